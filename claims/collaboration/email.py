"""Notification e-mails: one at once, or one digest per user per day.

Sending at most once: the notification row (or the day's digest row) is locked
with ``select_for_update`` for the whole send, and marked sent with its
Message-ID in that same transaction. A second run of the task waits on the lock,
then finds it sent and does nothing. A send that fails (the mail server is down)
leaves the row to be sent, with its next attempt time, for the beat's
``send_due_emails``: mail is delayed, never lost. Only a crash after the server
accepted the message and before the commit can send it again; it then carries
the same Message-ID (derived from the row), so mail clients show it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from claims.models import DigestEmail, Notification

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600


def claim_link(claim_id: int) -> str:
    return settings.SITE_URL + reverse("admin:claims_claim_change", args=[claim_id])


def _message_id(kind: str, pk: int) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"<{kind}-{pk}@{host}>"


@dataclass(frozen=True)
class Line:
    """One notification as an e-mail shows it."""

    text: str
    link: str


def describe(notification: Notification) -> Line:
    who = notification.actor_username or "system"
    what = notification.get_verb_display()
    on = f"claim #{notification.claim_id}" if notification.claim_id else "the desk"
    detail = f": {notification.detail}" if notification.detail else ""
    text = f"{what} by {who}, on {on}{detail}"
    return Line(text=text, link=claim_link(notification.claim_id) if notification.claim_id else settings.SITE_URL)


def _build(recipient, subject: str, lines: list[Line], message_id: str) -> EmailMultiAlternatives:
    context = {"recipient": recipient.get_username(), "lines": lines, "site": settings.FACTCHECK_ORGANIZATION_NAME}
    message = EmailMultiAlternatives(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
        body=render_to_string("claims/email/notifications.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Message-ID": message_id},
        connection=get_connection(fail_silently=False),
    )
    message.attach_alternative(render_to_string("claims/email/notifications.html", context), "text/html")
    return message


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(MAX_BACKOFF_SECONDS, 30 * 2**attempts))


SEND_ERRORS = (OSError, smtplib.SMTPException)


def send_notification(notification_id: int) -> str:
    """Send one notification's e-mail if it is still to be sent (idempotent)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().select_related("recipient").filter(pk=notification_id).first()
        )
        if notification is None:
            return "gone"
        if notification.email != Notification.Email.PENDING:
            return "nothing to send"
        message_id = _message_id("notification", notification.pk)
        line = describe(notification)
        message = _build(notification.recipient, line.text, [line], message_id)
        try:
            message.send()
        except SEND_ERRORS as exc:
            notification.email_attempts += 1
            notification.email_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.email_next_at = timezone.now() + _backoff(notification.email_attempts)
            notification.save(update_fields=["email_attempts", "email_error", "email_next_at"])
            logger.warning("notification #%s: e-mail not sent, retried later: %s", notification.pk, exc)
            return "failed"
        notification.email = Notification.Email.SENT
        notification.email_message_id = message_id
        notification.emailed_at = timezone.now()
        notification.email_attempts += 1
        notification.email_error = ""
        notification.email_next_at = None
        notification.save(
            update_fields=["email", "email_message_id", "emailed_at", "email_attempts", "email_error", "email_next_at"]
        )
        return "sent"


def due_notification_ids(now: dt.datetime | None = None, *, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(
        Notification.objects.filter(email=Notification.Email.PENDING, email_next_at__lte=now)
        .order_by("email_next_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def send_due(now: dt.datetime | None = None) -> int:
    """Send every e-mail whose attempt is due (the beat, every minute): those whose first try failed."""
    return sum(send_notification(pk) == "sent" for pk in due_notification_ids(now))


def send_digests(now: dt.datetime | None = None) -> int:
    """Send today's digest to each user with digest notifications waiting, once the digest hour has come.

    At most one digest per user per day (DigestEmail's unique day); what arrives after
    today's digest went out waits for tomorrow's.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.FACTCHECK_DIGEST_HOUR:
        return 0
    user_ids = (
        Notification.objects.filter(email=Notification.Email.DIGEST, created_at__lte=now)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    return sum(send_digest(user_id, local.date(), now) for user_id in list(user_ids))


def send_digest(user_id: int, day: dt.date, now: dt.datetime) -> int:
    with transaction.atomic():
        digest, _ = DigestEmail.objects.select_for_update().get_or_create(user_id=user_id, day=day)
        if digest.sent_at is not None:
            return 0
        waiting = list(
            Notification.objects.select_for_update()
            .filter(recipient_id=user_id, email=Notification.Email.DIGEST, created_at__lte=now)
            .order_by("created_at", "pk")
        )
        if not waiting:
            return 0
        recipient = digest.user
        message_id = _message_id("digest", digest.pk)
        count = len(waiting)
        subject = f"Your day at the desk: {count} notification{'s' if count != 1 else ''}"
        try:
            _build(recipient, subject, [describe(n) for n in waiting], message_id).send()
        except SEND_ERRORS as exc:
            logger.warning("digest for user #%s: not sent, retried on the next run: %s", user_id, exc)
            return 0
        digest.sent_at = timezone.now()
        digest.message_id = message_id
        digest.notification_count = count
        digest.save(update_fields=["sent_at", "message_id", "notification_count"])
        Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(
            email=Notification.Email.SENT, email_message_id=message_id, emailed_at=digest.sent_at
        )
        return 1
