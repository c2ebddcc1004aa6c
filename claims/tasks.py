"""Celery tasks: take ids, load rows, call one service; retry policy on the decorator."""

from __future__ import annotations

import random
import socket

from celery import shared_task
from django.utils import timezone

from .models import ServiceHeartbeat


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
    from . import workflow

    published = 0
    for claim_id in workflow.due_scheduled_claim_ids():
        if workflow.publish_scheduled(claim_id) is not None:
            published += 1
    return published


FETCH_MAX_RETRIES = 5


@shared_task(bind=True, ignore_result=True, max_retries=FETCH_MAX_RETRIES, soft_time_limit=120, time_limit=150)
def ingest_article(self, article_id: int) -> str:
    """Fetch an article and store its text; queues claim extraction.

    Transient fetch failures (timeouts, connection errors, 429, 5xx) retry
    with exponential backoff and jitter; the last failure is stored on the
    article. Without a broker there is nobody to retry later, so the first
    failure is stored at once.
    """
    from .fetching import FetchError
    from .ingestion import ingest

    final = self.request.is_eager or self.request.retries >= self.max_retries
    try:
        return ingest(article_id, final_attempt=final)
    except FetchError as exc:
        # 2, 4, 8, 16, 32 s (capped at 10 min), with full jitter.
        countdown = random.uniform(1, min(600, 2 ** (self.request.retries + 1)))  # noqa: S311
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def extract_article_claims(article_id: int) -> int:
    """Save an article's check-worthy claims as candidates (idempotent)."""
    from .ingestion import extract

    return extract(article_id)
