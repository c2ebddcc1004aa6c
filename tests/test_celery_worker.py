"""A real Celery worker, in its own process, against the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from claims.models import ServiceHeartbeat
from claims.tasks import record_worker_heartbeat

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_this_test_database() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def worker(settings):
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("CELERY_BROKER_URL is not set, so there is no broker for a real worker (CI sets one)")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_for_this_test_database(),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "factcheck",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
        pytest.fail(f"the worker did not record a heartbeat within 60 s; its output:\n{output[-4000:]}")
    assert heartbeat.hostname.startswith(f"{queue}@")
