"""Evidence durability: the archived snapshot of each source, and the link
checks that notice when a published fact-check's sources rot or drift.

Snapshots. Saving a new source (``claims.evidence.sources.save_source``, called
by ``claims.review.editing`` whatever the door: admin, internal API, demo)
writes a ``snapshot_evidence`` outbox row in the same transaction, so attaching
never waits for the fetch and never fails because of it. The task fetches the
page through the safe fetcher and stores the *reference snapshot*: the
extracted main text, the sha256 of the body and of the normalised text
(``claims.normalize.content_hash``, so re-flowed white space is not drift), the
HTTP status, the final URL and the time. Transient failures retry with backoff;
the last failure is stored as a readable error and logged. The reference is
kept as taken: nothing overwrites it, and only a change of the source's URL
clears it (and the link state: ``Evidence.save``) and queues a new one
(``save_source``), since the old snapshot would describe another page.

Link checks. Once a minute Celery beat runs ``plan_link_checks``: the sources
of published fact-checks not checked for ``FACTCHECK_LINK_CHECK_HOURS``,
never-checked and oldest-checked first, at most ``FACTCHECK_LINK_CHECK_BATCH``
a run, each queued as one ``check_evidence_link`` task. Requests to one host
are spread ``FACTCHECK_LINK_CHECK_HOST_SECONDS`` apart, hosts interleaved;
``reserve_host`` enforces the spacing again at fetch time (a conditional
UPDATE on ``LinkCheckHost``, so racing workers agree), and a task that finds
its host busy is retried when the host is free (snapshots on attaching are
not throttled: they come at the pace people attach sources). Each check is
logged as an ``EvidenceCheck`` and sets the source's link status:

- ok: the text hashes as the reference's and the final URL is the reference's;
- moved: the final URL (normalised) differs from the reference's final URL
  (moved wins over changed: the reference's address no longer serves it);
- changed: the text hash differs from the reference's;
- error: the fetch failed, fewer than ``FACTCHECK_LINK_GONE_AFTER`` times in a
  row, or for a reason that does not mean the page is gone (refused address,
  a PDF where a page was, too large, 429);
- gone: ``FACTCHECK_LINK_GONE_AFTER`` failures in a row, the last of them an
  error status, an unknown host, a refused connection or no answer.

A check of a source that has no reference snapshot yet takes it instead.

Idempotency: a snapshot is taken once per URL (a source whose snapshot was
taken, or failed for good, is skipped); a periodic check of a source checked
within the interval is skipped, and a re-check asked for at time T is skipped
once the source has been checked since T, so a task delivered twice does
nothing twice. A drift, a move or a loss is marked once (``status_changed`` on
the check, ``link_changed_at`` on the source), not again at every check that
sees the same thing, until the source changes again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, F, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from claims import outbox
from claims.extraction.article_text import extract_document, html_to_text
from claims.fetching import FetchError, fetch
from claims.models import LINK_RECORD_FIELDS, Claim, Evidence, EvidenceCheck, LinkCheckHost, OutboxMessage, Verdict
from claims.normalize import content_hash, normalize_url, url_host

SNAPSHOT_TASK = "claims.tasks.snapshot_evidence"
CHECK_TASK = "claims.tasks.check_evidence_link"
# Who published the fact-check is told when a source goes gone (collaboration, above this
# layer, writes the notification: reached by task name through the outbox).
SOURCE_BROKEN_TASK = "claims.tasks.notify_source_broken"
# Beat runs plan_link_checks this often (settings.CELERY_BEAT_SCHEDULE); a run
# plans no further ahead, so consecutive runs do not plan the same host twice.
PLAN_WINDOW = dt.timedelta(seconds=60)
# A run looks at most this many due sources per source it may queue, so a run
# stays cheap when one busy host owns the oldest thousands.
_SCAN_FACTOR = 10

Status = Evidence.LinkStatus
# Failures that, repeated, mean the page is no longer there.
_UNREACHABLE_KINDS = frozenset({"http_status", "connection", "timeout"})
_HTTP_TOO_MANY_REQUESTS = 429


class HostBusy(Exception):
    """The host had a request from us less than FACTCHECK_LINK_CHECK_HOST_SECONDS ago."""

    def __init__(self, host: str, wait: float) -> None:
        super().__init__(f"{host} is busy for {wait:.1f} more seconds")
        self.host = host
        self.wait = wait


@dataclass(frozen=True)
class PageSeen:
    """What one fetch of a source saw."""

    http_status: int
    final_url: str
    body_sha256: str
    text: str
    text_sha256: str
    fetched_at: dt.datetime


def fetch_page(url: str) -> PageSeen:
    """Fetch `url` through the safe fetcher and extract its main text; FetchError when it cannot."""
    page = fetch(url)
    return page_from_body(
        page.body,
        content_type=page.content_type,
        final_url=page.final_url,
        text=page.text,
        http_status=page.status,
        fetched_at=page.fetched_at,
    )


def page_from_body(
    body: bytes,
    *,
    content_type: str,
    final_url: str,
    text: str | None = None,
    http_status: int = 200,
    fetched_at: dt.datetime | None = None,
) -> PageSeen:
    """What a page's body says, as a snapshot or a check keeps it: the main text and the hashes.

    `text` is the body decoded (the fetcher decodes with the page's charset); UTF-8 when not given.
    """
    decoded = body.decode("utf-8", errors="replace") if text is None else text
    if content_type.startswith("text/plain"):
        main_text = decoded.strip()
    else:
        main_text = extract_document(decoded, url=final_url).text or html_to_text(decoded)
    return PageSeen(
        http_status=http_status,
        final_url=final_url,
        body_sha256=hashlib.sha256(body).hexdigest(),
        text=main_text,
        text_sha256=content_hash(main_text),
        fetched_at=fetched_at or timezone.now(),
    )


# --- Snapshots ------------------------------------------------------------------


def queue_snapshot(evidence: Evidence) -> OutboxMessage:
    """Record the snapshot task of `evidence`; call inside the transaction that saves it."""
    return outbox.enqueue(SNAPSHOT_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, evidence_id=evidence.pk)


def take_snapshot(evidence_id: int, *, final_attempt: bool = True) -> str:
    """Take the source's reference snapshot; returns what happened.

    Does nothing for a source that has one, or whose snapshot failed for good
    (the link checks try those again). Raises FetchError for a transient
    failure when ``final_attempt`` is False, after storing it, so the task can
    retry; otherwise the failure is stored and the source's status is error.
    """
    current = Evidence.objects.filter(pk=evidence_id).values("url", "link_status").first()
    if current is None:
        return "missing"
    if current["link_status"] != Status.UNCHECKED:
        return "already done"
    url = current["url"]
    try:
        page = fetch_page(url)
    except FetchError as exc:
        final = final_attempt or not exc.transient
        with transaction.atomic():
            evidence = _locked(evidence_id, url)
            if evidence is None or evidence.link_status != Status.UNCHECKED:
                return "already done"
            _record_failure(evidence, url, exc, kind=EvidenceCheck.Kind.SNAPSHOT, final=final)
        if not final:
            raise
        return "failed"
    return store_reference(evidence_id, url, page)


def store_reference(evidence_id: int, url: str, page: PageSeen) -> str:
    """Store `page` as the source's reference snapshot: "archived", or "already done"
    when the source has one, failed for good, was deleted or no longer has this `url`."""
    with transaction.atomic():
        evidence = _locked(evidence_id, url)
        if evidence is None or evidence.link_status != Status.UNCHECKED:
            return "already done"
        _record_reference(evidence, url, page)
    return "archived"


# --- Link checks ----------------------------------------------------------------


def check_link(evidence_id: int, *, requested_at: dt.datetime | None = None) -> str:
    """Check one source now; returns what happened.

    Skipped when it was checked since ``requested_at`` (a re-check asked for
    then) or, without it, within FACTCHECK_LINK_CHECK_HOURS. Raises HostBusy
    when the host's request slot is taken; nothing is recorded then.
    """
    current = Evidence.objects.filter(pk=evidence_id).values("url", "link_checked_at").first()
    if current is None:
        return "missing"
    if _checked_since(current["link_checked_at"], requested_at):
        return "checked recently"
    url = current["url"]
    host = url_host(url)
    wait = reserve_host(host)
    if wait > 0:
        raise HostBusy(host, wait)
    try:
        page = fetch_page(url)
    except FetchError as exc:
        with transaction.atomic():
            evidence = _locked(evidence_id, url)
            if evidence is None:
                return "discarded: the source changed meanwhile"
            if _checked_since(evidence.link_checked_at, requested_at):
                return "checked recently"
            _record_failure(evidence, url, exc, kind=EvidenceCheck.Kind.CHECK, final=True)
        return "failed"
    with transaction.atomic():
        evidence = _locked(evidence_id, url)
        if evidence is None:
            return "discarded: the source changed meanwhile"
        if _checked_since(evidence.link_checked_at, requested_at):
            return "checked recently"
        if evidence.snapshot_fetched_at is None:
            _record_reference(evidence, url, page)
            return "archived"
        return _record_check(evidence, url, page)


def needs_attention() -> Q:
    """Sources an editor should look at: changed, moved, gone, or failing check after check."""
    return Q(link_status__in=[Status.CHANGED, Status.MOVED, Status.GONE]) | Q(
        link_status=Status.ERROR, link_failures__gte=settings.FACTCHECK_LINK_GONE_AFTER
    )


def plan_link_checks(*, now: dt.datetime | None = None) -> int:
    """Queue the next run of link checks (Celery beat, every minute); returns how many.

    The sources of published fact-checks due a check, never-checked and
    oldest-checked first, at most FACTCHECK_LINK_CHECK_BATCH, spread per host
    (see the module docstring).
    """
    now = now or timezone.now()
    limit = settings.FACTCHECK_LINK_CHECK_BATCH
    cutoff = now - dt.timedelta(hours=settings.FACTCHECK_LINK_CHECK_HOURS)
    # Checks planned earlier and still waiting in the outbox (a broker outage, or
    # spread to later in the minute) are not planned again at every run.
    waiting = (
        OutboxMessage.objects.filter(task=CHECK_TASK, sent_at__isnull=True)
        .annotate(evidence_id=Cast(KT("kwargs__evidence_id"), BigIntegerField()))
        .values("evidence_id")
    )
    due = (
        Evidence.objects.filter(claim__status=Claim.Status.PUBLISHED)
        .filter(Q(link_checked_at__isnull=True) | Q(link_checked_at__lte=cutoff))
        .exclude(pk__in=waiting)
        .order_by(F("link_checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", "url")[: limit * _SCAN_FACTOR]
    )
    return _queue_spread(list(due), now=now, limit=limit)


def queue_link_checks(evidence_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Re-check these sources now (the admin's action), whenever they were last
    checked, still one request per host per FACTCHECK_LINK_CHECK_HOST_SECONDS."""
    now = now or timezone.now()
    sources = list(Evidence.objects.filter(pk__in=list(evidence_ids)).order_by("pk").values_list("pk", "url"))
    return _queue_spread(sources, now=now, limit=len(sources), requested_at=now, window=None)


def _queue_spread(
    sources: list[tuple[int, str]],
    *,
    now: dt.datetime,
    limit: int,
    requested_at: dt.datetime | None = None,
    window: dt.timedelta | None = PLAN_WINDOW,
) -> int:
    """Queue a check per source, each host's checks FACTCHECK_LINK_CHECK_HOST_SECONDS
    apart from when the host is next free; hosts interleaved. Sources that would
    start beyond `window` are left for the next run."""
    spacing = dt.timedelta(seconds=settings.FACTCHECK_LINK_CHECK_HOST_SECONDS)
    busy_until = dict(
        LinkCheckHost.objects.filter(
            host__in={url_host(url) for _, url in sources}, next_request_at__gt=now
        ).values_list("host", "next_request_at")
    )
    next_slot: dict[str, dt.datetime] = {}
    plan: list[tuple[dt.datetime, int, int]] = []
    for evidence_id, url in sources:
        host = url_host(url)
        start = next_slot.get(host) or busy_until.get(host) or now
        if window is not None and start - now >= window:
            continue
        plan.append((start, len(plan), evidence_id))
        next_slot[host] = start + spacing
        if len(plan) >= limit:
            break
    # Every host's first check, then every host's second, ...; in the order given within each round.
    plan.sort()
    kwargs = {"requested_at": requested_at.isoformat()} if requested_at else {}
    with transaction.atomic():
        for start, _, evidence_id in plan:
            message = outbox.enqueue(
                CHECK_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, evidence_id=evidence_id, **kwargs
            )
            if start > now:
                OutboxMessage.objects.filter(pk=message.pk).update(available_at=start)
    return len(plan)


def reserve_host(host: str, *, now: dt.datetime | None = None, hold: float | None = None) -> float:
    """Take the host's request slot: 0 when taken, else the seconds until it is free.

    The slot is held FACTCHECK_LINK_CHECK_HOST_SECONDS, or `hold` seconds when
    longer: monitoring holds it for a whole fetch and frees it with
    ``release_host`` when done, so a host gets one request at a time from the
    link checker and the monitor together.
    """
    spacing = dt.timedelta(seconds=max(settings.FACTCHECK_LINK_CHECK_HOST_SECONDS, hold or 0))
    if not spacing:
        return 0.0
    now = now or timezone.now()
    # One conditional UPDATE: of several workers racing for a free host, exactly one changes the row.
    if LinkCheckHost.objects.filter(host=host, next_request_at__lte=now).update(next_request_at=now + spacing):
        return 0.0
    try:
        with transaction.atomic():
            LinkCheckHost.objects.create(host=host, next_request_at=now + spacing)
        return 0.0
    except IntegrityError:
        pass  # the host has a row, and its slot is taken
    next_at = LinkCheckHost.objects.filter(host=host).values_list("next_request_at", flat=True).first()
    # A slot freed between the UPDATE and here: try again very soon.
    return max((next_at - now).total_seconds(), 0.1) if next_at else 0.1


def release_host(host: str) -> None:
    """The request that took the host's slot is done: the next may go
    FACTCHECK_LINK_CHECK_HOST_SECONDS from now (not from the end of the hold)."""
    until = timezone.now() + dt.timedelta(seconds=settings.FACTCHECK_LINK_CHECK_HOST_SECONDS)
    LinkCheckHost.objects.filter(host=host, next_request_at__gt=until).update(next_request_at=until)


# --- Recording ------------------------------------------------------------------


def _locked(evidence_id: int, url: str) -> Evidence | None:
    """The source under a row lock, or None when it was deleted or its URL changed since the fetch began."""
    return Evidence.objects.select_for_update().filter(pk=evidence_id, url=url).first()


def _checked_since(checked_at: dt.datetime | None, requested_at: dt.datetime | None) -> bool:
    if checked_at is None:
        return False
    if requested_at is not None:
        return checked_at >= requested_at
    return checked_at > timezone.now() - dt.timedelta(hours=settings.FACTCHECK_LINK_CHECK_HOURS)


def _same_address(a: str, b: str) -> bool:
    try:
        return normalize_url(a) == normalize_url(b)
    except ValueError:
        return a == b


def _record_reference(evidence: Evidence, url: str, page: PageSeen) -> None:
    previous = evidence.link_status
    evidence.snapshot_text = page.text
    evidence.snapshot_sha256 = page.body_sha256
    evidence.snapshot_text_sha256 = page.text_sha256
    evidence.snapshot_http_status = page.http_status
    evidence.snapshot_final_url = page.final_url[:2000]
    evidence.snapshot_fetched_at = page.fetched_at
    evidence.snapshot_error = ""
    evidence.link_status = Status.OK
    evidence.link_failures = 0
    evidence.link_error = ""
    evidence.link_checked_at = page.fetched_at
    evidence.link_text_sha256 = page.text_sha256
    evidence.link_final_url = page.final_url[:2000]
    # A source that failed before and now answers has changed state (recovered).
    changed = previous not in (Status.UNCHECKED, Status.OK)
    if changed:
        evidence.link_changed_at = page.fetched_at
    evidence.save(update_fields=[f for f in LINK_RECORD_FIELDS if f != "link_changed_at" or changed])
    _log(evidence, url, EvidenceCheck.Kind.SNAPSHOT, page=page, changed=changed, checked_at=page.fetched_at)
    record_on_published_revisions(evidence)


def _record_check(evidence: Evidence, url: str, page: PageSeen) -> str:
    if not _same_address(page.final_url, evidence.snapshot_final_url):
        status = Status.MOVED
    elif page.text_sha256 != evidence.snapshot_text_sha256:
        status = Status.CHANGED
    else:
        status = Status.OK
    changed = status != evidence.link_status or (
        status != Status.OK
        and (
            page.text_sha256 != evidence.link_text_sha256 or not _same_address(page.final_url, evidence.link_final_url)
        )
    )
    evidence.link_status = status
    evidence.link_failures = 0
    evidence.link_error = ""
    evidence.link_checked_at = page.fetched_at
    evidence.link_text_sha256 = page.text_sha256
    evidence.link_final_url = page.final_url[:2000]
    fields = ["link_status", "link_failures", "link_error", "link_checked_at", "link_text_sha256", "link_final_url"]
    if changed:
        evidence.link_changed_at = page.fetched_at
        fields.append("link_changed_at")
    evidence.save(update_fields=fields)
    _log(evidence, url, EvidenceCheck.Kind.CHECK, page=page, changed=changed, checked_at=page.fetched_at)
    return status


def _record_failure(evidence: Evidence, url: str, exc, *, kind: str, final: bool) -> None:
    now = timezone.now()
    if not final:
        # Retried later: the error is shown meanwhile, the status stays "not yet archived".
        evidence.snapshot_error = exc.message
        evidence.save(update_fields=["snapshot_error"])
        _log(evidence, url, kind, error=exc.message, http_status=exc.status, changed=False, checked_at=now)
        return
    previous = evidence.link_status
    evidence.link_failures += 1
    unreachable = exc.kind in _UNREACHABLE_KINDS and exc.status != _HTTP_TOO_MANY_REQUESTS
    gone = unreachable and evidence.link_failures >= settings.FACTCHECK_LINK_GONE_AFTER
    evidence.link_status = Status.GONE if gone else Status.ERROR
    evidence.link_error = exc.message
    evidence.link_checked_at = now
    fields = ["link_status", "link_failures", "link_error", "link_checked_at"]
    if evidence.snapshot_fetched_at is None:
        evidence.snapshot_error = exc.message
        fields.append("snapshot_error")
    changed = previous != Status.UNCHECKED and previous != evidence.link_status
    if changed:
        evidence.link_changed_at = now
        fields.append("link_changed_at")
    evidence.save(update_fields=fields)
    _log(evidence, url, kind, error=exc.message, http_status=exc.status, changed=changed, checked_at=now)
    if gone and previous != Status.GONE:
        outbox.enqueue(SOURCE_BROKEN_TASK, evidence_id=evidence.pk, gone_at=now.isoformat())


def _log(
    evidence: Evidence,
    url: str,
    kind: str,
    *,
    changed: bool,
    checked_at: dt.datetime,
    page: PageSeen | None = None,
    error: str = "",
    http_status: int | None = None,
) -> EvidenceCheck:
    return EvidenceCheck.objects.create(
        evidence=evidence,
        kind=kind,
        url=url,
        checked_at=checked_at,
        link_status=evidence.link_status,
        status_changed=changed,
        http_status=page.http_status if page else http_status,
        final_url=page.final_url[:2000] if page else "",
        body_sha256=page.body_sha256 if page else "",
        text_sha256=page.text_sha256 if page else "",
        error=error,
    )


def record_on_published_revisions(evidence: Evidence) -> int:
    """Fill the reference snapshot into the published revisions that cite the source without one.

    A revision's sources are fixed when it is published; a source archived after
    that (one an editor cited without its archive, since publication waits for
    the others) gains its fingerprint there, and only that, its "not archived"
    reason giving way to it: nothing else of the published record changes.
    Returns how many revisions were filled in.
    """
    filled = 0
    revisions = Verdict.objects.filter(claim_id=evidence.claim_id).exclude(status=Verdict.Status.DRAFT)
    for verdict in revisions.select_for_update():
        changed = False
        for source in verdict.sources:
            if source.get("evidence_id") == evidence.pk and source.get("url") == evidence.url:
                if not source.get("snapshot_sha256"):
                    source["snapshot_sha256"] = evidence.snapshot_sha256
                    source["snapshot_date"] = evidence.snapshot_fetched_at.isoformat()
                    source["not_archived_reason"] = None
                    changed = True
        if changed:
            verdict.save(update_fields=["sources", "updated_at"])
            filled += 1
    return filled
