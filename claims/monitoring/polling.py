"""Polling the watched feeds and sitemaps and submitting what is new.

Beat runs ``poll_due`` every minute. It leases the due sources first
(``leased_until``), in one short transaction: ``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so two runs at once take disjoint sets; on SQLite,
which has no row locks but runs one write at a time, a conditional UPDATE per
source that only a free source passes. A poller that dies holds its sources
no longer than the lease. Each leased
source is then polled outside any transaction:

- the host's request slot is taken through the link checker's ``reserve_host``
  (``LinkCheckHost``), held for the whole fetch, so a host gets one request at
  a time from both and FACTCHECK_LINK_CHECK_HOST_SECONDS between them; a busy
  host puts the source back until the slot is free (``HostSlots``);
- the fetch goes through the safe fetcher with the last ``ETag`` and
  ``Last-Modified``: a 304 is a success with nothing parsed;
- new entries (not yet seen from this source, passing its include/exclude
  patterns) are submitted through ``claims.intake.ingestion.submit_articles``,
  which returns the existing article for a URL (normalised) already in the
  tracker, so a story in a feed and a sitemap, or listed twice, is one article;
  the same text at another URL is recognised when the page is fetched
  (``same_text``). A feed's date is kept on a new article: the page's own
  date only fills an empty one (``ingestion._apply_metadata``);
- a failure (the fetcher's message, or the parser's) is stored on the source
  in plain words; each failure in a row doubles the wait before the next poll,
  and FACTCHECK_MONITOR_FAILING_AFTER in a row mark it failing. The next
  success resets both.

Nothing a source does stops the others: an unexpected error is logged and
recorded on that source too.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.evidence.snapshots import release_host, reserve_host
from claims.fetching import FetchError, FetchResult, fetch
from claims.intake.ingestion import prepare_article, submit_articles
from claims.models import Article, WatchedItem, WatchedSource
from claims.models.monitoring import url_patterns
from claims.normalize import normalize_url, url_host

from .parsing import XML_TYPES, Entry, ParseError, parse_feed, parse_sitemap

logger = logging.getLogger(__name__)

# How long a claimed source is kept from other pollers: longer than one poll can take.
LEASE = dt.timedelta(minutes=10)
# At most this many child sitemaps of an index are fetched in one poll, and entries taken.
MAX_CHILD_SITEMAPS = 20
MAX_ENTRIES = 500


@dataclass
class PollResult:
    source_id: int
    outcome: str  # "new", "unchanged", "not modified", "failed", "host busy", "skipped"
    new_articles: int = 0
    entries: int = 0
    error: str = ""
    articles: list[int] = field(default_factory=list)


def due_source_ids(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    now = now or timezone.now()
    limit = limit or settings.FACTCHECK_MONITOR_BATCH
    return list(
        WatchedSource.objects.filter(enabled=True, next_poll_at__lte=now)
        .order_by("next_poll_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def claim_due(
    *, now: dt.datetime | None = None, limit: int | None = None, only: Iterable[int] | None = None
) -> list[int]:
    """Lease the due sources (or `only` these, due or not) to this poller; see the module docstring."""
    now = now or timezone.now()
    limit = limit or settings.FACTCHECK_MONITOR_BATCH
    free = Q(enabled=True) & (Q(leased_until__isnull=True) | Q(leased_until__lte=now))
    wanted = Q(pk__in=list(only)) if only is not None else Q(next_poll_at__lte=now)
    lease = now + LEASE
    with transaction.atomic():
        candidates = WatchedSource.objects.filter(free, wanted)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.order_by("next_poll_at", "pk").values_list("pk", flat=True)[:limit])
        if connection.features.has_select_for_update_skip_locked:
            # Locked by this transaction until it commits, so one UPDATE leases them all.
            WatchedSource.objects.filter(pk__in=ids).update(leased_until=lease)
            return ids
    # No row locks (SQLite): the first poller whose UPDATE still finds the source free wins it;
    # SQLite runs one write at a time, so two UPDATEs never both see it free.
    return [pk for pk in ids if WatchedSource.objects.filter(free, wanted, pk=pk).update(leased_until=lease)]


def poll_due(
    *, now: dt.datetime | None = None, limit: int | None = None, budget_seconds: float | None = None
) -> list[PollResult]:
    """Poll every due source once (Celery beat, every minute); returns what each poll did."""
    return poll_claimed_many(claim_due(now=now, limit=limit), budget_seconds=budget_seconds)


def poll_claimed_many(
    source_ids: list[int], *, on_polled=None, budget_seconds: float | None = None
) -> list[PollResult]:
    """Poll sources this poller has leased, in order; ``on_polled(result)`` after each.

    With `budget_seconds`, no poll starts after that long: the sources not reached are
    handed back (their lease cleared), due as they were, for the next run."""
    sources = WatchedSource.objects.in_bulk(source_ids)
    results = []
    slots = HostSlots(keep=settings.FACTCHECK_LINK_CHECK_HOST_SECONDS == 0)
    stop_at = None if budget_seconds is None else time.monotonic() + budget_seconds
    with _asynchronous_commits():
        try:
            for position, source_id in enumerate(source_ids):
                if stop_at is not None and time.monotonic() >= stop_at:
                    WatchedSource.objects.filter(pk__in=source_ids[position:]).update(leased_until=None)
                    break
                result = poll_claimed(source_id, source=sources.get(source_id), slots=slots)
                results.append(result)
                if on_polled is not None:
                    on_polled(result)
        finally:
            slots.release_all()
    return results


class HostSlots:
    """The host slots (``LinkCheckHost``, shared with the link checker) a polling run takes.

    Each poll takes its host's slot for as long as a fetch may take and frees it when
    done. With no spacing asked between requests (FACTCHECK_LINK_CHECK_HOST_SECONDS=0)
    only "one at a time" remains, which a run polling one source after another keeps
    by holding a host across its sources instead: two writes fewer per poll, renewed
    (freed and taken again, so a waiting link check can get in) before the hold lapses.
    """

    def __init__(self, *, keep: bool) -> None:
        self.keep = keep
        self.hold = settings.FACTCHECK_FETCH_TOTAL_TIMEOUT
        self._renew_at: dict[str, float] = {}

    def take(self, host: str) -> float:
        """0 when the slot is ours, else the seconds until it frees."""
        if host in self._renew_at:
            if time.monotonic() < self._renew_at[host]:
                return 0.0
            del self._renew_at[host]
            release_host(host)
        wait = reserve_host(host, hold=self.hold)
        if wait == 0 and self.keep:
            self._renew_at[host] = time.monotonic() + self.hold / 2
        return wait

    def done(self, host: str) -> None:
        if host not in self._renew_at:
            release_host(host)

    def release_all(self) -> None:
        for host in self._renew_at:
            release_host(host)
        self._renew_at.clear()


@contextmanager
def _asynchronous_commits():
    """On PostgreSQL, a run's commits do not wait for the disk: a round of 304s would otherwise
    wait for one WAL flush per write, most of its cost. A crash can lose the last moments of
    the run, and only as a whole suffix of it (the WAL is written in order): sources are then
    polled again and their entries submitted again, which the per-source items and the
    article URLs make idempotent."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def poll_now(source_id: int) -> PollResult:
    """Poll one source now, due or not ("poll now" in the admin, ``poll_sources --source``)."""
    if not claim_due(only=[source_id]):
        return PollResult(source_id, "skipped", error="switched off, missing, or being polled right now")
    return poll_claimed(source_id)


def poll_claimed(source_id: int, *, source: WatchedSource | None = None, slots: HostSlots | None = None) -> PollResult:
    """Poll a source this poller has leased; never raises for anything the source does."""
    source = source or WatchedSource.objects.filter(pk=source_id).first()
    if source is None:
        return PollResult(source_id, "skipped", error="deleted")
    try:
        return _poll(source, slots or HostSlots(keep=False))
    except Exception as exc:  # noqa: BLE001 - one source's surprise must not stop the others
        logger.exception("polling watched source %s (%s) failed", source.pk, source.url)
        message = f"Polling {source.url} failed unexpectedly ({type(exc).__name__}); the error is in the log."
        _record_failure(source, message)
        return PollResult(source.pk, "failed", error=message)


def _poll(source: WatchedSource, slots: HostSlots) -> PollResult:
    host = url_host(source.url)
    wait = slots.take(host)
    if wait > 0:
        WatchedSource.objects.filter(pk=source.pk).update(
            next_poll_at=timezone.now() + dt.timedelta(seconds=wait), leased_until=None
        )
        return PollResult(source.pk, "host busy")
    finished = False

    def finish(record, *args, **kwargs) -> None:
        nonlocal finished
        slots.done(host)
        finished = True
        record(source, *args, **kwargs)

    try:
        try:
            document = fetch(source.url, accept=XML_TYPES, etag=source.etag, last_modified=source.last_modified)
        except FetchError as exc:
            finish(_record_failure, exc.message)
            return PollResult(source.pk, "failed", error=exc.message)
        if document.not_modified:
            finish(_record_success, document, new_items=0)
            return PollResult(source.pk, "not modified")
        try:
            entries, child_lastmods, child_errors = _entries(source, document)
        except ParseError as exc:
            finish(_record_failure, exc.message)
            return PollResult(source.pk, "failed", error=exc.message)
        new_items, articles = submit_entries(source, entries)
        if child_errors:
            message = " ".join(child_errors)
            finish(_record_failure, message, document=document, new_items=new_items, child_lastmods=child_lastmods)
            return PollResult(source.pk, "failed", len(articles), len(entries), message, articles)
        finish(_record_success, document, new_items=new_items, child_lastmods=child_lastmods)
        return PollResult(source.pk, "new" if articles else "unchanged", len(articles), len(entries), "", articles)
    finally:
        if not finished:
            slots.done(host)


def _entries(source: WatchedSource, document: FetchResult) -> tuple[list[Entry], dict[str, str], list[str]]:
    if source.kind == WatchedSource.Kind.FEED:
        return parse_feed(document.body, source.url), source.child_lastmods, []
    sitemap = parse_sitemap(document.body, source.url)
    if not sitemap.children:
        return sitemap.entries, {}, []
    entries: list[Entry] = []
    errors: list[str] = []
    seen = dict(source.child_lastmods or {})
    lastmods: dict[str, str] = {}
    for child_url, lastmod in sitemap.children[:MAX_CHILD_SITEMAPS]:
        if lastmod and seen.get(child_url) == lastmod:
            lastmods[child_url] = lastmod  # unchanged since the last poll: not fetched
            continue
        try:
            child = fetch(child_url, accept=XML_TYPES)
            entries.extend(parse_sitemap(child.body, child_url).entries)
        except (FetchError, ParseError) as exc:
            errors.append(f"In the sitemap index {source.url}: {exc.message}")
            continue
        lastmods[child_url] = lastmod
    return entries, lastmods, errors


def submit_entries(source: WatchedSource, entries: list[Entry]) -> tuple[int, list[int]]:
    """Submit the entries this source has not listed before; returns (new items, new article ids)."""
    include = url_patterns(source.include_patterns)
    exclude = url_patterns(source.exclude_patterns)
    wanted: dict[str, Entry] = {}
    for entry in entries:
        try:
            url = normalize_url(entry.url)
        except ValueError:
            continue
        if include and not any(p.search(url) for p in include):
            continue
        if any(p.search(url) for p in exclude):
            continue
        wanted.setdefault(url, entry)
        if len(wanted) >= MAX_ENTRIES:
            break
    if not wanted:
        return 0, []
    known = set(WatchedItem.objects.filter(source=source, url__in=list(wanted)).values_list("url", flat=True))
    fresh = [(url, entry) for url, entry in wanted.items() if url not in known]
    if not fresh:
        return 0, []
    drafts, kept = [], []
    for url, entry in fresh:
        try:
            drafts.append(prepare_article(url=url, title=entry.title))
        except ValidationError:
            continue
        kept.append((url, entry))
    with transaction.atomic():
        submissions = submit_articles(drafts)
        created, dated = [], []
        for (_url, entry), submission in zip(kept, submissions, strict=True):
            if submission.created:
                created.append(submission.article.pk)
                if entry.published_at and submission.article.published_at is None:
                    submission.article.published_at = entry.published_at
                    dated.append(submission.article)
        # One UPDATE for all (the articles were inserted in bulk, without their dates).
        Article.objects.bulk_update(dated, ["published_at"])
        items = WatchedItem.objects.bulk_create(
            [
                WatchedItem(source=source, url=url, article=submission.article, published_at=entry.published_at)
                for (url, entry), submission in zip(kept, submissions, strict=True)
            ],
            ignore_conflicts=True,
        )
    return len(items), created


def _record_success(
    source: WatchedSource, document: FetchResult, *, new_items: int, child_lastmods: dict | None = None
) -> None:
    now = timezone.now()
    updates = {
        "last_polled_at": now,
        "last_success_at": now,
        "last_error": "",
        "consecutive_failures": 0,
        "next_poll_at": now + dt.timedelta(minutes=source.interval_minutes),
        "etag": document.etag or ("" if not document.not_modified else source.etag),
        "last_modified": document.last_modified or ("" if not document.not_modified else source.last_modified),
    }
    if child_lastmods is not None:
        updates["child_lastmods"] = child_lastmods
    _save(source, updates, new_items)


def _record_failure(
    source: WatchedSource,
    message: str,
    *,
    document: FetchResult | None = None,
    new_items: int = 0,
    child_lastmods: dict | None = None,
) -> None:
    now = timezone.now()
    failures = source.consecutive_failures + 1
    updates = {
        "last_polled_at": now,
        "last_error": message,
        "last_error_at": now,
        "consecutive_failures": failures,
        "next_poll_at": now + backoff(source.interval_minutes, failures),
    }
    if child_lastmods is not None:
        updates["child_lastmods"] = child_lastmods
    _save(source, updates, new_items)


def backoff(interval_minutes: int, failures: int) -> dt.timedelta:
    """The wait after `failures` failed polls in a row: the interval, doubled for each failure after the first."""
    ceiling = dt.timedelta(hours=settings.FACTCHECK_MONITOR_MAX_BACKOFF_HOURS)
    return min(dt.timedelta(minutes=interval_minutes) * 2 ** min(max(failures - 1, 0), 20), ceiling)


def _save(source: WatchedSource, updates: dict, new_items: int) -> None:
    updates["leased_until"] = None
    if new_items:
        updates["items_seen"] = F("items_seen") + new_items
    WatchedSource.objects.filter(pk=source.pk).update(**updates)
    for name, value in updates.items():
        if name != "items_seen":
            setattr(source, name, value)
