"""Notifications: written in the transaction of what caused them, e-mailed through the outbox."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from claims import outbox
from claims.models import Claim, Evidence, Notification, NotificationKind, NotificationPreference, Verdict

SEND_TASK = "claims.tasks.send_notification_email"

Kind = NotificationKind
Channel = NotificationPreference.Channel


def channel_for(user, kind: str) -> str:
    preference = NotificationPreference.objects.filter(user=user, kind=kind).values_list("channel", flat=True).first()
    return preference or Channel.EMAIL


def notify(recipient, kind: str, *, claim: Claim | None, actor=None, detail: str = "") -> Notification | None:
    """Tell ``recipient`` about ``kind``; call inside the transaction of the change itself.

    Nobody is told about what they did themselves. An e-mail at once is queued through
    the outbox in the same transaction, so it is sent only if the change commits,
    and is sent even if the broker or the mail server is down at that moment.
    """
    if recipient is None or not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return None
    channel = channel_for(recipient, kind)
    email = Notification.Email.NONE
    if recipient.email and channel == Channel.EMAIL:
        email = Notification.Email.PENDING
    elif recipient.email and channel == Channel.DIGEST:
        email = Notification.Email.DIGEST
    now = timezone.now()
    notification = Notification.objects.create(
        recipient=recipient,
        verb=kind,
        claim=claim,
        actor=actor,
        actor_username=actor.get_username() if actor else "system",
        detail=detail[:300],
        created_at=now,
        email=email,
        email_next_at=now if email == Notification.Email.PENDING else None,
    )
    if email == Notification.Email.PENDING:
        outbox.enqueue(SEND_TASK, notification_id=notification.pk)
    return notification


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def mark_read(user, notification_id: int) -> Notification | None:
    notification = Notification.objects.filter(recipient=user, pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def set_preference(user, kind: str, channel: str) -> NotificationPreference:
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}; known: {', '.join(Kind.values)}.")
    if channel not in Channel.values:
        raise ValueError(f"Unknown channel {channel!r}; known: {', '.join(Channel.values)}.")
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"channel": channel}
        )
    return preference


def source_broken(evidence_id: int, *, gone_at) -> int:
    """Tell the author and the approver of a published fact-check that one of its sources is gone.

    Queued by the link checker in the transaction that marked the source gone; run twice
    (a retried task), it tells each of them once: a notice already written since the
    source went gone counts. A source that came back meanwhile is not reported.
    """
    with transaction.atomic():
        # The source's row lock orders two runs of the same message.
        evidence = Evidence.objects.select_for_update().filter(pk=evidence_id).first()
        if evidence is None or evidence.link_status != Evidence.LinkStatus.GONE:
            return 0
        verdict = (
            Verdict.objects.published().filter(claim_id=evidence.claim_id).select_related("author", "approver").first()
        )
        if verdict is None:
            return 0
        gone = f"{evidence.title or evidence.url} is gone"
        detail = f"{gone}: {evidence.link_error}"[:300]
        told = 0
        for recipient in {user for user in (verdict.author, verdict.approver) if user is not None}:
            already = Notification.objects.filter(
                recipient=recipient,
                verb=NotificationKind.SOURCE_BROKEN,
                claim_id=evidence.claim_id,
                created_at__gte=gone_at,
                detail__startswith=gone,
            ).exists()
            if not already and notify(recipient, NotificationKind.SOURCE_BROKEN, claim=verdict.claim, detail=detail):
                told += 1
        return told
