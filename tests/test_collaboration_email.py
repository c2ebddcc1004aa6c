"""Notification e-mails through a real SMTP server on 127.0.0.1: sent once, delayed by an outage, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims import tasks
from claims.collaboration import email, notifications
from claims.models import Claim, Notification, NotificationKind, OutboxMessage
from claims.review import workflow

from .factories import ClaimFactory, advance
from .smtpserver import LocalSMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    """A running SMTP server the project's e-mail settings point at (the SMTP backend, as in production)."""
    server = LocalSMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = "https://desk.example.org"
    # No broker: the outbox runs the e-mail task in this process once the assignment commits.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield server
    server.stop()


def accepted_claim(editor, reviewer) -> Claim:
    claim = ClaimFactory(text="The river rose by 4 metres <overnight>.")
    return advance(claim, Claim.Status.ACCEPTED, editor, reviewer)


def test_assigning_a_claim_emails_the_assignee_once_with_the_claims_link(
    smtp, editor, reviewer, django_capture_on_commit_callbacks
):
    claim = accepted_claim(editor, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign(claim.pk, by=editor, assignee=reviewer)
    [message] = smtp.messages
    link = f"https://desk.example.org/admin/claims/claim/{claim.pk}/change/"
    assert message["To"] == reviewer.email
    assert "Assigned to you" in message["Subject"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert link in plain
    assert f'href="{link}"' in html
    # The claim's text is escaped in the HTML part.
    assert "&lt;overnight&gt;" in html and "<overnight>" not in html
    notification = Notification.objects.get(recipient=reviewer, verb=NotificationKind.ASSIGNED)
    assert notification.email == Notification.Email.SENT
    assert notification.email_message_id == message["Message-ID"]


def test_with_the_mail_server_down_assignment_succeeds_and_the_mail_arrives_once_after_restart(
    smtp, editor, reviewer, django_capture_on_commit_callbacks
):
    claim = accepted_claim(editor, reviewer)
    smtp.stop()
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign(claim.pk, by=editor, assignee=reviewer)
    # The refused connection is answered at once: the assignment is not held up.
    assert (timezone.now() - started).total_seconds() < 5
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ASSIGNED and claim.assignee == reviewer
    notification = Notification.objects.get(recipient=reviewer, verb=NotificationKind.ASSIGNED)
    assert notification.email == Notification.Email.PENDING
    assert notification.email_attempts == 1 and "Connection" in notification.email_error
    assert smtp.messages == []
    # Still down at the beat's first retry: nothing lost, tried again later.
    later = notification.email_next_at + dt.timedelta(seconds=1)
    assert email.send_due(later) == 0
    smtp.start()
    much_later = later + dt.timedelta(hours=2)
    assert email.send_due(much_later) == 1
    assert email.send_due(much_later) == 0
    assert len(smtp.messages) == 1
    notification.refresh_from_db()
    assert notification.email == Notification.Email.SENT
    assert notification.email_message_id == smtp.messages[0]["Message-ID"]


def test_running_the_send_task_twice_sends_once(smtp, editor, reviewer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = (
        False  # queued in the outbox, run here by hand as a redelivered message would be
    )
    claim = accepted_claim(editor, reviewer)
    workflow.assign(claim.pk, by=editor, assignee=reviewer)
    [message] = OutboxMessage.objects.filter(task=notifications.SEND_TASK)
    assert tasks.send_notification_email(**message.kwargs) == "sent"
    assert tasks.send_notification_email(**message.kwargs) == "nothing to send"
    assert len(smtp.messages) == 1


def test_a_refused_assignment_writes_no_notification(smtp, editor, reviewer):
    claim = accepted_claim(editor, reviewer)
    with pytest.raises(workflow.GuardFailed):
        workflow.assign(claim.pk, by=editor, assignee=editor)  # not a reviewer
    assert not Notification.objects.exists()
    assert not OutboxMessage.objects.filter(task=notifications.SEND_TASK).exists()


def test_workspace_only_preference_sends_no_mail(smtp, editor, reviewer, django_capture_on_commit_callbacks):
    notifications.set_preference(reviewer, NotificationKind.ASSIGNED, "workspace")
    claim = accepted_claim(editor, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign(claim.pk, by=editor, assignee=reviewer)
    assert smtp.messages == []
    assert Notification.objects.get(recipient=reviewer).email == Notification.Email.NONE


def test_changes_requested_and_published_tell_the_reviewer(settings, editor, reviewer):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    claim = advance(ClaimFactory(), Claim.Status.IN_REVIEW, editor, reviewer)
    workflow.request_changes(claim.pk, by=editor, note="Second source please.")
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    verbs = list(Notification.objects.filter(recipient=reviewer).order_by("pk").values_list("verb", flat=True))
    assert verbs == ["assigned", "changes_requested", "published"]
    assert not Notification.objects.filter(recipient=editor).exists()  # nobody is told what they did


def test_digest_sends_one_email_for_five_events_and_none_on_a_quiet_day(smtp, editor, reviewer, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FACTCHECK_DIGEST_HOUR = 7
    for kind in NotificationKind.values:
        notifications.set_preference(reviewer, kind, "digest")
    day = timezone.now().replace(hour=3, minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
    claim = ClaimFactory()
    for i in range(5):
        notifications.notify(
            reviewer, NotificationKind.MENTIONED, claim=claim, actor=editor, detail=f"event {i}"
        ).created_at = day
    Notification.objects.update(created_at=day)
    assert email.send_digests(day.replace(hour=6)) == 0  # before the digest hour
    assert email.send_digests(day.replace(hour=8)) == 1
    assert email.send_digests(day.replace(hour=9)) == 0  # at most one a day
    [message] = smtp.messages
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert all(f"event {i}" in plain for i in range(5))
    assert f"/admin/claims/claim/{claim.pk}/change/" in plain
    assert message.get_body(preferencelist=("html",)) is not None
    # The next day had no events: no e-mail.
    assert email.send_digests(day.replace(hour=8) + dt.timedelta(days=1)) == 0
    assert len(smtp.messages) == 1
    assert set(Notification.objects.values_list("email", flat=True)) == {Notification.Email.SENT}
