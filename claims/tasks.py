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
