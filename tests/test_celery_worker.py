"""A real Celery worker, in its own process, against the real broker."""

from __future__ import annotations

import time

import pytest

from claims.models import ServiceHeartbeat
from claims.tasks import record_worker_heartbeat

from .workers import celery_worker, output_of, unique_prefix


@pytest.fixture
def worker():
    queue = unique_prefix() + "default"
    with celery_worker([queue]) as proc:
        yield queue, proc


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_task_and_its_effect_reaches_the_database(worker, settings):
    queue, proc = worker
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    record_worker_heartbeat.apply_async(queue=queue)

    deadline = time.monotonic() + 60
    heartbeat = None
    while heartbeat is None and time.monotonic() < deadline and proc.poll() is None:
        heartbeat = ServiceHeartbeat.objects.filter(service="celery-worker").first()
        time.sleep(0.2)
    if heartbeat is None:
        pytest.fail(f"the worker did not record a heartbeat within 60 s; its output:\n{output_of(proc)}")
    assert heartbeat.hostname.startswith(f"{queue}@")
