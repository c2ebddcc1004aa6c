"""Tips in: stored once per channel message, matched against what the desk knows.

A webhook's only write is ``accept_delivery``: the signed body kept as one outbox
row, committed before the 200. On a worker, ``receive_delivery`` reads it and
``receive`` stores each message as a tip (deduplicated by the channel's message
id, STOP handled) and queues ``process`` through the outbox in the same
transaction: a webhook answers at once and a crash loses nothing.
The web form and the API call ``submit`` then ``process`` in the request: the
reader waits for the answer there.

``process`` (idempotent: only a NEW tip is processed) first reads what the tip
points at: its link through the safe fetcher (the address checked before any
connection; a refusal or failure recorded on the tip, which goes on with its
text) and its image through the channel's media API. It then answers at once
from a published fact-check (ours or imported) matching at least
``answer_threshold()``; otherwise it links the tip to an unpublished claim
matching as well (its request count is its tips; a claim since marked a
duplicate passes the tip to its canonical claim), or makes a new candidate claim
with the tip's text through ``editing.create_claim``, the path every
hand-entered claim takes.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims import fetching, matching, outbox
from claims.extraction.article_text import PageSummary, is_boilerplate, paragraphs, summarize_page
from claims.extraction.languages import detect_language
from claims.matching import triage
from claims.models import Channel, Claim, OutboxMessage, Requester, Tip
from claims.review import editing

from . import channels, replies

logger = logging.getLogger(__name__)

PROCESS_TASK = "claims.tasks.process_tip"
DELIVERY_TASK = "claims.tasks.receive_channel_delivery"
MAX_TEXT = 5000
# The form and the API wait for ``process``: a slow link must not hold the reader, or a
# server thread, for the fetcher's full deadline. The workers (channel tips) allow it all.
WEB_LINK_SECONDS = 5.0
# Fewer words than this besides its link, and a tip is matched by what the linked page says.
LINK_ONLY_WORDS = 8
STOP_WORDS = frozenset({"stop", "/stop", "unsubscribe", "stopp", "arrêt", "alto", "baja"})
# Claims a tip may be linked to: still in the desk's hands.
LINKABLE = frozenset(Claim.Status.values) - {
    Claim.Status.DISMISSED,
    Claim.Status.DUPLICATE,
    Claim.Status.PUBLISHED,
    Claim.Status.RETRACTED,
}


class TipRefused(ValueError):
    """Input the tipline cannot take; ``errors`` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"Too many tips: try again in {retry_after} seconds.")
        self.retry_after = retry_after


def answer_threshold() -> float:
    if settings.FACTCHECK_TIP_ANSWER_MIN_SCORE is not None:
        return settings.FACTCHECK_TIP_ANSWER_MIN_SCORE
    return triage.min_score()


# --- Limits of the public form and API ------------------------------------------


def _take(key: str, limit: int, window: int, now: float) -> int | None:
    """Count one request in this fixed window; the seconds until it ends when over ``limit``."""
    slot = int(now // window)
    full_key = f"tips:rate:{key}:{slot}"
    cache.add(full_key, 0, timeout=window + 1)
    try:
        count = cache.incr(full_key)
    except ValueError:  # expired between add and incr
        cache.set(full_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        return max(1, int((slot + 1) * window - now) + 1)
    return None


def client_address(request) -> str:
    # REMOTE_ADDR: behind a proxy, the proxy is expected to set it (X-Forwarded-For can be forged).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def check_rate(address: str) -> None:
    """Per-address and global limits (the cache: Redis in production, shared by every process)."""
    now = time.time()
    for key, limit in (
        (f"addr:{address}", settings.FACTCHECK_TIP_ADDRESS_PER_MINUTE),
        ("all", settings.FACTCHECK_TIP_GLOBAL_PER_MINUTE),
    ):
        wait = _take(key, limit, 60, now)
        if wait is not None:
            raise RateLimited(wait)


# --- Receiving ------------------------------------------------------------------


def _requester(channel: str, channel_id: str, *, email: str = "", at: dt.datetime) -> Requester:
    requester, created = Requester.objects.get_or_create(
        channel=channel, channel_id=channel_id, defaults={"email": email, "last_message_at": at}
    )
    if not created:
        changes = {"last_message_at": max(requester.last_message_at, at)}
        if email and email != requester.email:
            changes["email"] = email
        Requester.objects.filter(pk=requester.pk).update(**changes)
        for name, value in changes.items():
            setattr(requester, name, value)
    return requester


# --- Channel deliveries (webhooks) -----------------------------------------------------

PARSERS = {
    Channel.WHATSAPP: channels.parse_whatsapp,
    Channel.TELEGRAM: channels.parse_telegram_delivery,
}


def accept_delivery(channel: str, body: bytes) -> bool:
    """A signed webhook body, kept for a worker to read: one INSERT, nothing else.

    The webhook answers as soon as the delivery is committed (Meta and Telegram want a
    quick 200 and deliver again otherwise); storing the tips, deduplicating them by the
    channel's message id and recording delivery statuses are ``receive_delivery``'s,
    on a worker. The body is parsed here first, so a body that is not the channel's
    shape is refused (``PayloadError``) and one that carries nothing is not stored
    (False).
    """
    messages, statuses = PARSERS[channel](body)
    if not messages and not statuses:
        return False
    # Autocommit: a single statement, committed before the 200 goes out.
    outbox.enqueue(DELIVERY_TASK, queue=settings.FACTCHECK_EXTRACT_QUEUE, channel=channel, body=body.decode())
    return True


def receive_delivery(channel: str, body: str, *, outbox_row: int | None = None) -> int:
    """Store the tips of a webhook delivery and record its statuses (idempotent: a tip is
    stored once per channel message id, a status only moves a reply forward); returns
    how many new tips it stored.

    Then the delivery's outbox row forgets the body: it names the requester (their phone
    number or chat id) and what they wrote, which from now on live only in the tip and
    its requester, where retention erases them.
    """
    if not body:
        return 0  # this row's delivery was received before: it forgot the body then
    messages, statuses = PARSERS[channel](body.encode())
    stored = sum(1 for message in messages if receive(message) is not None)
    replies.record_statuses(statuses)
    if outbox_row is not None:
        OutboxMessage.objects.filter(pk=outbox_row, task=DELIVERY_TASK).update(kwargs={"channel": channel})
    return stored


def erase_old_deliveries(cutoff: dt.datetime) -> int:
    """Bodies of deliveries relayed before ``cutoff`` and still kept (their task never
    ran to its end): erased with the identities they name. Unsent ones wait for a worker."""
    erased = 0
    for channel in PARSERS:
        erased += OutboxMessage.objects.filter(
            task=DELIVERY_TASK,
            sent_at__isnull=False,
            created_at__lt=cutoff,
            kwargs__channel=channel,
            kwargs__has_key="body",
        ).update(kwargs={"channel": channel})
    return erased


def receive(incoming: channels.Incoming) -> Tip | None:
    """Store a channel message as a tip and queue its processing; None for a message
    already received (channels deliver again) or a STOP."""
    try:
        return _receive(incoming)
    except IntegrityError:
        # A retried delivery of the same message, or the same person's first two messages,
        # stored by another request at the same moment: the second look sees its rows.
        if already_received(incoming.channel, incoming.message_id):
            return None
        return _receive(incoming)


def _receive(incoming: channels.Incoming) -> Tip | None:
    text = incoming.text[:MAX_TEXT]
    with transaction.atomic():
        requester = _requester(incoming.channel, incoming.sender, at=incoming.sent_at)
        if text.strip().lower() in STOP_WORDS:
            if requester.unsubscribed_at is None:
                Requester.objects.filter(pk=requester.pk).update(unsubscribed_at=timezone.now())
            return None
        tip = Tip.objects.create(
            channel=incoming.channel,
            text=text,
            url=incoming.url[:2000],
            media_id=incoming.media_id,
            media_type=incoming.media_type,
            received_at=incoming.sent_at,
            requester=requester,
            message_id=incoming.message_id,
        )
        outbox.enqueue(PROCESS_TASK, queue=settings.FACTCHECK_EXTRACT_QUEUE, tip_id=tip.pk)
        return tip


def record_history(
    channel: str, sender: str, *, text: str, language: str, at: dt.datetime, claim_id: int | None = None
) -> Tip:
    """A tip from another tool's history (a Check tipline request), as the desk's queue holds it.

    Nothing is queued and nothing is sent: the reader asked long ago, elsewhere. Queued
    (or linked, when the history names the claim) and marked processed, so ``process``
    leaves it alone. ``sender`` is the opaque id the caller chose; retention applies
    to it as to any requester's.
    """
    with transaction.atomic():
        # No sender, no requester: an empty id would be every erased requester's.
        requester = _requester(channel, sender, at=at) if sender else None
        return Tip.objects.create(
            channel=channel,
            text=text[:MAX_TEXT],
            language=language[:16],
            received_at=at,
            requester=requester,
            status=Tip.Status.LINKED if claim_id else Tip.Status.QUEUED,
            claim_id=claim_id,
            processed_at=timezone.now(),
        )


def already_received(channel: str, message_id: str) -> bool:
    return Tip.objects.filter(channel=channel, message_id=message_id).exists()


@dataclass
class WebTip:
    text: str = ""
    url: str = ""
    email: str = ""
    honeypot: str = ""


def validate(data: WebTip) -> WebTip:
    errors: dict[str, list[str]] = {}
    text = (data.text or "").replace("\x00", " ").strip()
    url = (data.url or "").strip()
    email = (data.email or "").strip()
    if len(text) > MAX_TEXT:
        errors["text"] = [f"Keep the tip to at most {MAX_TEXT:,} characters (it has {len(text):,})."]
    if not text and not url:
        errors["text"] = ["Write what you saw, or give its link."]
    if url:
        try:
            url = fetching.check_url(url)
        except fetching.FetchError as exc:
            errors["url"] = [exc.message]
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address, or leave it empty."]
    if errors:
        raise TipRefused(errors)
    return WebTip(text=text, url=url, email=email.lower(), honeypot=data.honeypot)


def submit(data: WebTip, *, address: str) -> Tip:
    """A tip from the web form or the API: limited, checked, stored. A filled honeypot
    is stored as spam and goes no further; the caller then runs ``process``."""
    check_rate(address)
    clean = validate(data)
    now = timezone.now()
    with transaction.atomic():
        requester = _requester(Channel.WEB, clean.email, email=clean.email, at=now) if clean.email else None
        text = clean.text or clean.url
        return Tip.objects.create(
            channel=Channel.WEB,
            text=clean.text,
            url=clean.url,
            language=detect_language(text) if text else "",
            received_at=now,
            requester=requester,
            status=Tip.Status.SPAM if clean.honeypot.strip() else Tip.Status.NEW,
        )


# --- Processing -------------------------------------------------------------------


MEDIA_FETCHERS = {
    Channel.WHATSAPP: channels.fetch_whatsapp_media,
    Channel.TELEGRAM: channels.fetch_telegram_photo,
}


def _fetch_media(tip: Tip) -> None:
    fetch = MEDIA_FETCHERS.get(tip.channel)
    if fetch is None or not tip.media_id or tip.media is not None or tip.media_error:
        return
    try:
        body, media_type = fetch(tip.media_id)
    except fetching.FetchError as exc:
        # One try: the tip goes on without its image, and the desk reads why in the inbox.
        Tip.objects.filter(pk=tip.pk).update(media_error=exc.message[:2000])
        return
    Tip.objects.filter(pk=tip.pk).update(media=body, media_type=media_type)


def _read_link(tip: Tip) -> tuple[PageSummary | None, str]:
    """The tip's linked page, summarised, or why it was not read (a sentence for the inbox).

    The address is checked before anything connects: a link to a private or loopback
    address is refused here and never fetched. One try, no retry: a link that fails
    leaves the tip to be matched on its text.
    """
    if not tip.url:
        return None, ""
    try:
        url = fetching.check_url(tip.url)
        page = fetching.fetch(url, timeout=WEB_LINK_SECONDS if tip.channel == Channel.WEB else None)
    except fetching.FetchError as exc:
        return None, exc.message[:2000]
    try:
        if page.content_type in fetching.HTML_TYPES:
            return summarize_page(page.text, url=page.final_url), ""
        first = next((p.text for p in paragraphs(page.text) if not is_boilerplate(p.text)), "")
        return PageSummary(description=" ".join(first.split())[:1000]), ""
    except Exception:  # a page the parser chokes on must not stop the tip
        logger.exception("tip #%s: could not read the linked page", tip.pk)
        return None, "The linked page was fetched but could not be read."


def _query(tip: Tip, page: PageSummary | None = None) -> str:
    """What the tip is matched on: its text, or, when it is little more than a link, the
    rest of its text with what the linked page says it is about."""
    text = " ".join((tip.text or "").split())
    if page is not None and (page.title or page.description):
        words = " ".join(channels.URL_IN_TEXT.sub(" ", text).replace(tip.url, " ").split())
        if len(words.split()) < LINK_ONLY_WORDS:
            text = " ".join(part for part in (words, page.title or page.description) if part)
    return text[: matching.MAX_QUERY_CHARS]


def process(tip_id: int) -> str:
    """Answer, link or queue a new tip; returns its status (a processed tip is left as it is)."""
    tip = Tip.objects.filter(pk=tip_id).select_related("requester").first()
    if tip is None or tip.status != Tip.Status.NEW:
        return tip.status if tip else "gone"
    _fetch_media(tip)
    page, url_error = _read_link(tip)
    query = _query(tip, page)
    if query and not tip.language:
        # Here, on the worker, not in the webhook: the language model is loaded once per process.
        tip.language = detect_language(query)
    threshold = answer_threshold()
    answer = None
    linked = None
    if query:
        # Matching reads many rows: done before the tip's row lock is taken.
        public = matching.match(query, top=1, language=tip.language)
        answer = public[0] if public and public[0].score >= threshold else None
        if answer is None:
            desk = matching.match(query, top=5, public_only=False, language=tip.language)
            linked = next(
                (m for m in desk if m.kind == "claim" and m.status in LINKABLE and m.score >= threshold), None
            )
    language = tip.language
    with transaction.atomic():
        tip = Tip.objects.select_for_update(of=("self",)).select_related("requester").get(pk=tip_id)
        if tip.status != Tip.Status.NEW:
            return tip.status
        fields = ["status", "processed_at", "language", "url_title", "url_error", "processing_error"]
        tip.processing_error = ""
        tip.language = tip.language or language
        tip.url_title = page.title if page is not None else ""
        tip.url_error = url_error
        tip.processed_at = timezone.now()
        if answer is not None:
            tip.status = Tip.Status.ANSWERED
            tip.match_score = round(answer.score, 4)
            if answer.kind == "claim":
                tip.answered_claim_id = answer.id
            else:
                tip.answered_review_id = answer.id
            fields += ["match_score", "answered_claim", "answered_review"]
            replies.queue_answer(tip, answer)
        elif linked is not None and (target := _link_target(linked.id)) is not None:
            tip.status, tip.claim_id, tip.match_score = Tip.Status.LINKED, target, round(linked.score, 4)
            fields += ["claim", "match_score"]
        elif query:
            claim = editing.create_claim(by=None, text=query, language=tip.language)
            tip.status, tip.claim = Tip.Status.QUEUED, claim
            fields += ["claim"]
        else:
            # An image without a caption: the desk reads it in the tips inbox.
            tip.status = Tip.Status.QUEUED
        tip.save(update_fields=fields)
    return tip.status


def _link_target(claim_id: int) -> int | None:
    """The claim a tip matching ``claim_id`` is linked to, under that claim's row lock.

    The match was read before any lock: since then the claim may have been marked a
    duplicate (its tips moved to the canonical claim, ``workflow.mark_duplicate``) or
    published (its tips sent the fact-check, ``publication.publish_draft``). Both take
    this lock, so either they see this tip, or this sees what they did and follows it:
    the canonical claim, and the replies of a fact-check already out.
    """
    seen = Claim.objects.only("status", "duplicate_of_id").filter(pk=claim_id).first()
    if seen is not None and seen.status == Claim.Status.DUPLICATE and seen.duplicate_of_id is not None:
        # The canonical claim first, then the duplicate: the order ``mark_duplicate`` takes
        # them in when it repoints a claim's duplicates, so the two never wait on each other.
        _locked(seen.duplicate_of_id)
    claim = _locked(claim_id)
    if claim is not None and claim.status == Claim.Status.DUPLICATE and claim.duplicate_of_id is not None:
        claim = _locked(claim.duplicate_of_id)  # already held, unless it changed since the read above
    if claim is None or claim.status in (Claim.Status.DISMISSED, Claim.Status.DUPLICATE, Claim.Status.RETRACTED):
        return None  # gone, or out of the desk's hands: the tip becomes a candidate of its own
    replies.queue_if_published(claim.pk)
    return claim.pk


def _locked(claim_id: int) -> Claim | None:
    return Claim.objects.select_for_update().only("status", "duplicate_of_id").filter(pk=claim_id).first()


def answer_of(tip: Tip) -> dict | None:
    """What the reader is shown at once (the form's page, the API): public data only."""
    if tip.status != Tip.Status.ANSWERED:
        return None
    return replies.answer_for(tip)


# --- Privacy ------------------------------------------------------------------------


def unsubscribe(requester_id: int) -> bool:
    return bool(
        Requester.objects.filter(pk=requester_id, unsubscribed_at__isnull=True).update(unsubscribed_at=timezone.now())
    )


def mark_spam(tip_ids: list[int]) -> int:
    """Tips an editor calls spam: their claims keep them out of the request counts."""
    return Tip.objects.filter(pk__in=tip_ids).exclude(status=Tip.Status.SPAM).update(status=Tip.Status.SPAM, claim=None)


def erase_expired(now: dt.datetime | None = None) -> int:
    """Erase who asked, and what, after FACTCHECK_TIP_RETENTION_DAYS; the rows (counts) stay."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.FACTCHECK_TIP_RETENTION_DAYS)
    with transaction.atomic():
        erase_old_deliveries(cutoff)
        erased = Requester.objects.filter(last_message_at__lt=cutoff, erased_at__isnull=True).update(
            channel_id="", email="", erased_at=timezone.now()
        )
        # The link's title and error say what was asked too (the error quotes the URL).
        Tip.objects.filter(received_at__lt=cutoff).exclude(
            text="", url="", url_title="", url_error="", media_id="", media=None
        ).update(text="", url="", url_title="", url_error="", media_id="", media=None, message_id="")
    return erased
