"""Celery tasks: take ids, load rows, call one service; retry policy on the decorator.

An entry point, like the admin and the API: it imports the modules of the
services it calls (and calls ``module.function``, so a test that patches
``claims.evidence.snapshots.check_link`` reaches the task), and nothing below
it imports it. A task's name is its module path
(``claims.tasks.<function>``), stored in outbox rows and named by
CELERY_TASK_ROUTES and CELERY_BEAT_SCHEDULE: a task moved out of this module
keeps its name with ``@shared_task(name="claims.tasks.<function>")``
(tests/test_task_names.py holds every stored name to a registered task).
"""

from __future__ import annotations

import datetime as dt
import random
import socket

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from claims import outbox, recovery
from claims.collaboration import email, notifications
from claims.evidence import snapshots
from claims.fetching import FetchError
from claims.intake import ingestion
from claims.matching import semantic, triage
from claims.models import ServiceHeartbeat
from claims.monitoring import polling, repeats
from claims.publishing import webhooks
from claims.review import workflow
from claims.tiplines import replies as tip_replies
from claims.tiplines import tips


@shared_task(bind=True, ignore_result=True)
def record_worker_heartbeat(self) -> None:
    """Record that a worker is consuming tasks (Celery beat sends it every minute)."""
    ServiceHeartbeat.objects.update_or_create(
        service="celery-worker",
        defaults={"hostname": self.request.hostname or socket.gethostname(), "seen_at": timezone.now()},
    )


@shared_task(ignore_result=True)
def publish_due_claims() -> int:
    """Publish every scheduled claim whose embargo has lifted (Celery beat, every minute).

    Each claim is published in its own transaction under a row lock and only
    while it is still scheduled, so overlapping or repeated runs publish once.
    """
    published = 0
    for claim_id in workflow.due_scheduled_claim_ids():
        if workflow.publish_scheduled(claim_id) is not None:
            published += 1
    return published


FETCH_MAX_RETRIES = 5


def _backoff(retries: int) -> float:
    """2, 4, 8, 16, 32 s, with full jitter. A retry waits in the worker that holds
    its message, unacknowledged, so no countdown may exceed FACTCHECK_RETRY_COUNTDOWN_MAX
    (the broker's visibility timeout allows for that much, see settings)."""
    return random.uniform(1, min(settings.FACTCHECK_RETRY_COUNTDOWN_MAX, 2 ** (retries + 1)))  # noqa: S311


@shared_task(bind=True, ignore_result=True, max_retries=FETCH_MAX_RETRIES, soft_time_limit=120, time_limit=150)
def ingest_article(self, article_id: int) -> str:
    """Fetch an article and store its text; queues claim extraction.

    Transient fetch failures (timeouts, connection errors, 429, 5xx) retry
    with exponential backoff and jitter; the last failure is stored on the
    article. Without a broker there is nobody to retry later, so the first
    failure is stored at once.
    """
    final = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        return ingestion.ingest(article_id, final_attempt=final)
    except FetchError as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def extract_article_claims(article_id: int) -> int:
    """Save an article's check-worthy claims as candidates (idempotent); their matching is queued with them."""
    return ingestion.extract(article_id)


@shared_task(bind=True, ignore_result=True, max_retries=FETCH_MAX_RETRIES, soft_time_limit=120, time_limit=150)
def snapshot_evidence(self, evidence_id: int) -> str:
    """Take the reference snapshot of a newly attached source (idempotent).

    Transient fetch failures retry with exponential backoff and jitter, as
    ingest_article's do; the last failure is stored on the evidence.
    """
    final = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        return snapshots.take_snapshot(evidence_id, final_attempt=final)
    except FetchError as exc:
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task(bind=True, ignore_result=True, max_retries=20, soft_time_limit=120, time_limit=150)
def check_evidence_link(self, evidence_id: int, requested_at: str | None = None) -> str:
    """Check one source for rot and drift (idempotent: see claims.evidence.snapshots).

    When another check holds the host's request slot, tries again once the
    slot is free, or after FACTCHECK_RETRY_COUNTDOWN_MAX seconds if that is
    sooner (a longer countdown would outlast the broker's visibility timeout
    and be delivered again meanwhile); the host may still be busy then, and it
    waits again. Without a broker there is nobody to try later: the check is
    left to the next planned run.
    """
    try:
        return snapshots.check_link(
            evidence_id, requested_at=dt.datetime.fromisoformat(requested_at) if requested_at else None
        )
    except snapshots.HostBusy as exc:
        if self.request.is_eager:
            return "host busy"
        countdown = min(exc.wait + random.uniform(0, 1), settings.FACTCHECK_RETRY_COUNTDOWN_MAX)  # noqa: S311
        raise self.retry(countdown=countdown) from exc


@shared_task(ignore_result=True)
def check_evidence_links() -> int:
    """Queue the next minute of link checks of published sources (Celery beat, every minute)."""
    return snapshots.plan_link_checks()


@shared_task(ignore_result=True)
def requeue_stuck_work() -> dict[str, int]:
    """Queue again the work a lost worker left in a running state (Celery beat, every minute)."""
    return recovery.requeue_stuck_work().counts()


@shared_task(ignore_result=True)
def deliver_webhook(delivery_id: int, attempt: int) -> str | None:
    """Make attempt number ``attempt`` of a webhook delivery, if that is the one due.

    Queued through the outbox when an event is recorded or redelivered; a
    message run twice sends once. Retries are the beat's job (``deliver_due_webhooks``).
    """
    return webhooks.deliver(delivery_id, attempt=attempt)


@shared_task(ignore_result=True)
def deliver_due_webhooks() -> int:
    """Make every due webhook attempt (Celery beat, every 5 seconds); overlapping runs share the work."""
    return webhooks.deliver_due()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def match_claims(claim_ids: list[int]) -> int:
    """Compute and store the matches of these claims for the triage queue, then mark
    those that repeat a published fact-check (both idempotent). With the semantic
    backend on, their embeddings are brought up to date first."""
    semantic.index_quietly(claim_ids=claim_ids)
    stored = sum(triage.refresh_matches(claim_id) for claim_id in claim_ids)
    repeats.flag_repeats(claim_ids)
    return stored


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def index_semantic(review_ids: list[int], claim_ids: list[int] | None = None) -> int:
    """Embed imported reviews (and claims) for the semantic backend (idempotent; nothing when it is off)."""
    return semantic.index_quietly(review_ids=review_ids, claim_ids=claim_ids or [])


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def send_notification_email(notification_id: int) -> str:
    """E-mail one notification (queued through the outbox); run twice, it sends once.

    A failure is recorded on the notification and retried by ``send_due_notification_emails``.
    """
    return email.send_notification(notification_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def notify_source_broken(evidence_id: int, gone_at: str) -> int:
    """Tell who published a fact-check that one of its sources is gone (queued by the link checker)."""
    return notifications.source_broken(evidence_id, gone_at=dt.datetime.fromisoformat(gone_at))


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def send_due_notification_emails() -> int:
    """Send the notification e-mails whose earlier attempt failed (Celery beat, every minute)."""
    return email.send_due()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def send_notification_digests() -> int:
    """Send each user's daily digest, at most one a day (Celery beat, every ten minutes)."""
    return email.send_digests()


@shared_task(bind=True, ignore_result=True, soft_time_limit=60, time_limit=90)
def receive_channel_delivery(self, channel: str, body: str = "") -> int:
    """Store the tips of a signed WhatsApp or Telegram delivery, once per message (idempotent),
    then erase the body from its outbox row."""
    return tips.receive_delivery(channel, body, outbox_row=outbox.row_of(self.request.id))


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def process_tip(tip_id: int) -> str:
    """Answer a new tip at once, link it to a claim or make it a candidate (idempotent)."""
    return tips.process(tip_id)


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def send_tip_reply(reply_id: int) -> str:
    """Send one reply to a requester if still pending (a second run sends nothing); an
    outage leaves it pending for ``send_due_tip_replies``."""
    return tip_replies.send(reply_id)


@shared_task(ignore_result=True)
def send_due_tip_replies() -> int:
    """Send the replies a channel outage held back (Celery beat, every 10 seconds)."""
    return tip_replies.send_due()


@shared_task(ignore_result=True)
def queue_tip_replies(claim_id: int, verdict_id: int) -> int:
    """A revision was published: one reply per requester who asked about the claim (idempotent)."""
    return tip_replies.queue_for_publication(claim_id, verdict_id)


@shared_task(ignore_result=True)
def erase_expired_tip_identities() -> int:
    """Erase requesters' identities past FACTCHECK_TIP_RETENTION_DAYS (Celery beat, hourly)."""
    return tips.erase_expired()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def poll_watched_sources() -> int:
    """Poll the monitored feeds and sitemaps that are due (Celery beat, every minute); returns how many.

    A run starts no poll after POLL_RUN_SECONDS, well inside its time limit, and hands the
    sources it did not reach back to the next run."""
    return len(polling.poll_due(budget_seconds=POLL_RUN_SECONDS))


POLL_RUN_SECONDS = 80


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def poll_watched_source(source_id: int) -> str:
    """Poll one source now, due or not (the admin's "poll now")."""
    return polling.poll_now(source_id).outcome
