"""Celery tasks: take ids, load rows, call one service; retry policy on the decorator."""

from __future__ import annotations

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
