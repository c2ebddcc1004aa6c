"""Answers out: the instant answer to a tip, and every published revision of a
claim sent to each requester who asked about it.

A reply is a ``TipReply`` row first (one per tip for an answer, one per
requester and revision for a publication: the database holds it), then a send
queued through the outbox. ``send`` locks the row and sends only a PENDING
reply, so a send run twice sends once; a channel that is down leaves the row
pending with a later ``next_attempt_at``, and ``send_due`` (beat) tries again:
an outage delays replies and loses none. Channel rules are applied at send time
and recorded on the row: WhatsApp's 24-hour window (a template, else "not sent").
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from claims import outbox
from claims.matching import Match
from claims.models import Channel, Claim, ExternalReview, Tip, TipReply, Verdict

from . import channels

logger = logging.getLogger(__name__)

SEND_TASK = "claims.tasks.send_tip_reply"
QUEUE_TASK = "claims.tasks.queue_tip_replies"
WINDOW = dt.timedelta(hours=24)
OUTSIDE_WINDOW = "not sent: outside the 24-hour window"
MAX_ATTEMPTS = 20
STOP_HINT = "Reply STOP to receive no more messages."


UNSUBSCRIBE_SALT = "claims.tiplines.unsubscribe"


def unsubscribe_url(requester_id: int) -> str:
    token = signing.dumps(requester_id, salt=UNSUBSCRIBE_SALT)
    return f"{settings.SITE_URL}{reverse('tip-unsubscribe', args=[token])}"


def requester_for_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def _queue_send(reply: TipReply) -> None:
    outbox.enqueue(SEND_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, reply_id=reply.pk)


def _body(intro: str, claim_text: str, rating: str, url: str) -> str:
    lines = [intro, f"“{claim_text}”"]
    if rating:
        lines.append(f"Rating: {rating}")
    lines += [url, "", STOP_HINT]
    return "\n".join(lines)


def answer_for(tip: Tip) -> dict | None:
    """The public fact-check that answered a tip (what the reader is shown)."""
    if tip.answered_claim_id:
        claim = Claim.objects.filter(pk=tip.answered_claim_id).first()
        verdict = Verdict.objects.published().select_related("rating").filter(claim_id=tip.answered_claim_id).first()
        if claim is None or verdict is None:
            return None
        return {
            "claim": verdict.claim_text or claim.text,
            "headline": verdict.headline,
            "rating": verdict.rating.label,
            "url": claim.public_url,
            "publisher": settings.FACTCHECK_ORGANIZATION_NAME,
            "score": tip.match_score,
        }
    if tip.answered_review_id:
        review = ExternalReview.objects.filter(pk=tip.answered_review_id).defer("raw").first()
        if review is None:
            return None
        return {
            "claim": review.claim_reviewed,
            "headline": review.claim_reviewed,
            "rating": review.rating_text,
            "url": review.url,
            "publisher": review.publisher_name,
            "score": tip.match_score,
        }
    return None


def queue_answer(tip: Tip, match: Match) -> TipReply | None:
    """The instant answer, sent through the tip's channel (the web shows it on the page)."""
    if tip.requester_id is None or tip.channel == Channel.WEB:
        return None
    body = _body(f"{match.publisher} has checked this claim:", match.claim, match.rating, match.url)
    reply, created = TipReply.objects.get_or_create(
        tip=tip,
        kind=TipReply.Kind.ANSWER,
        defaults={
            "requester_id": tip.requester_id,
            "channel": tip.channel,
            "body": body,
            "template_parameters": [match.claim[:200], match.rating or "-", match.url],
        },
    )
    if created:
        _queue_send(reply)
    return reply


def queue_for_publication(claim_id: int, verdict_id: int) -> int:
    """One reply per requester who sent a tip about the claim, for this revision; idempotent."""
    verdict = Verdict.objects.select_related("rating", "claim").filter(pk=verdict_id, claim_id=claim_id).first()
    if verdict is None or verdict.status != Verdict.Status.PUBLISHED:
        return 0  # superseded or retracted before the replies went out: the newer revision is sent
    claim = verdict.claim
    kind = TipReply.Kind.CORRECTION if verdict.revision > 1 else TipReply.Kind.PUBLICATION
    intro = "We have corrected the fact-check you asked about:" if verdict.revision > 1 else "We have checked it:"
    body = _body(
        f"{intro} {verdict.headline}", verdict.claim_text or claim.text, verdict.rating.label, claim.public_url
    )
    queued = 0
    for tip in _latest_per_requester(claim_id):
        try:
            with transaction.atomic():
                reply, created = TipReply.objects.get_or_create(
                    requester_id=tip.requester_id,
                    verdict=verdict,
                    defaults={
                        "tip": tip,
                        "kind": kind,
                        "channel": tip.channel,
                        "body": body,
                        "template_parameters": [verdict.headline[:200], verdict.rating.label, claim.public_url],
                    },
                )
                if created:
                    _queue_send(reply)
                    queued += 1
        except IntegrityError:
            continue  # a concurrent run made it: it is queued once
    return queued


def queue_if_published(claim_id: int) -> bool:
    """Queue the claim's public revision for everyone who asked about it, when it has one:
    for a tip linked to a claim already out (``queue_for_publication`` sends each requester
    a revision once, so those already sent it get nothing new)."""
    verdict_id = Verdict.objects.published().filter(claim_id=claim_id).values_list("pk", flat=True).first()
    if verdict_id is None:
        return False
    outbox.enqueue(QUEUE_TASK, queue=settings.FACTCHECK_FETCH_QUEUE, claim_id=claim_id, verdict_id=verdict_id)
    return True


def _latest_per_requester(claim_id: int) -> list[Tip]:
    seen: dict[int, Tip] = {}
    for tip in (
        Tip.objects.filter(claim_id=claim_id, requester__isnull=False, requester__erased_at__isnull=True)
        .exclude(status=Tip.Status.SPAM)
        .order_by("-received_at", "-pk")
    ):
        seen.setdefault(tip.requester_id, tip)
    return list(seen.values())


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 10 * 2 ** min(attempts, 12)))


def send(reply_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one pending reply; returns its status afterwards.

    The row stays locked while the channel is asked: a second run of the same
    message waits (or, from ``send_due``, skips it) and then finds it sent.
    """
    now = now or timezone.now()
    with transaction.atomic():
        reply = (
            TipReply.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("requester")
            .filter(pk=reply_id)
            .first()
        )
        if reply is None:
            return "busy"
        if reply.status != TipReply.Status.PENDING:
            return reply.status
        requester = reply.requester
        if requester.unsubscribed_at or requester.erased_at:
            return _finish(reply, TipReply.Status.NOT_SENT, reason="not sent: the requester unsubscribed")
        try:
            provider_id = _deliver(reply, now)
        except channels.SendError as exc:
            reply.attempts += 1
            reply.last_error = exc.message[:2000]
            if exc.transient and reply.attempts < MAX_ATTEMPTS:
                reply.next_attempt_at = now + _backoff(reply.attempts)
                reply.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                logger.warning("tip reply #%s: %s (trying again later)", reply.pk, exc.message)
                return reply.status
            return _finish(reply, TipReply.Status.FAILED, reason=f"not sent: {exc.message}"[:2000])
        except _NotSent as exc:
            return _finish(reply, TipReply.Status.NOT_SENT, reason=str(exc))
        reply.attempts += 1
        reply.provider_message_id = provider_id[:200]
        reply.sent_at = now
        return _finish(reply, TipReply.Status.SENT, extra=["attempts", "provider_message_id", "sent_at"])


class _NotSent(Exception):
    """A channel rule forbids this send; the reason is recorded."""


def _deliver(reply: TipReply, now: dt.datetime) -> str:
    requester = reply.requester
    if reply.channel == Channel.WHATSAPP:
        if not channels.whatsapp_enabled():
            raise channels.SendError("WhatsApp is not configured.", transient=True)
        if now - requester.last_message_at > WINDOW:
            if not settings.WHATSAPP_REPLY_TEMPLATE:
                raise _NotSent(OUTSIDE_WINDOW)
            reply.reason = f"outside the 24-hour window: sent as template {settings.WHATSAPP_REPLY_TEMPLATE}"
            return channels.send_whatsapp(
                requester.channel_id,
                template=settings.WHATSAPP_REPLY_TEMPLATE,
                parameters=[str(p) for p in reply.template_parameters],
            )
        return channels.send_whatsapp(requester.channel_id, text=reply.body)
    if reply.channel == Channel.TELEGRAM:
        if not channels.telegram_enabled():
            raise channels.SendError("Telegram is not configured.", transient=True)
        return channels.send_telegram(requester.channel_id, reply.body)
    if not requester.email:
        raise _NotSent("not sent: no e-mail address was given")
    body = reply.body.replace(STOP_HINT, f"To receive no more messages: {unsubscribe_url(requester.pk)}")
    return channels.send_email(requester.email, "Your tip has been fact-checked", body)


def _finish(reply: TipReply, status: str, *, reason: str = "", extra: list[str] | None = None) -> str:
    reply.status = status
    reply.status_changed_at = timezone.now()
    if reason:
        reply.reason = reason
    reply.save(update_fields=["status", "status_changed_at", "reason", *(extra or [])])
    return status


def send_due(*, now: dt.datetime | None = None, batch: int = 100) -> int:
    """Send the pending replies whose time has come (beat); overlapping runs skip each other's rows."""
    now = now or timezone.now()
    ids = list(
        TipReply.objects.filter(status=TipReply.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(send(pk, now=now) == TipReply.Status.SENT for pk in ids)


# Later states win: a "delivered" arriving after "read" leaves it read.
STATUS_ORDER = {
    TipReply.Status.SENT: 1,
    TipReply.Status.DELIVERED: 2,
    TipReply.Status.READ: 3,
    TipReply.Status.FAILED: 4,
}


def record_statuses(updates: list[channels.StatusUpdate]) -> int:
    """The channel's delivery statuses on our outgoing messages (WhatsApp: sent, delivered, read, failed)."""
    changed = 0
    for update in updates:
        if update.status not in STATUS_ORDER:
            continue
        later = [s for s, rank in STATUS_ORDER.items() if rank < STATUS_ORDER[update.status]]
        fields = {"status": update.status, "status_changed_at": update.at}
        if update.status == TipReply.Status.FAILED:
            fields["reason"] = f"failed: {update.error or 'the channel reported a failure'}"
        changed += TipReply.objects.filter(
            channel=Channel.WHATSAPP, provider_message_id=update.provider_message_id, status__in=later
        ).update(**fields)
    return changed
