"""Real Celery workers in their own processes, for tests that need one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_this_test_database() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def require_broker() -> str:
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker:
        pytest.skip("CELERY_BROKER_URL is not set, so there is no broker for a real worker (CI sets one)")
    return broker


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}-"


@contextlib.contextmanager
def celery_worker(
    queues: list[str],
    *,
    env: dict[str, str] | None = None,
    name: str = "",
    pool: str = "solo",
    own_process_group: bool = False,
) -> Iterator[subprocess.Popen]:
    """A worker consuming only ``queues`` (unique per test, so runs sharing a broker never meet).

    With ``own_process_group`` it leads a process group of its own, its pool
    processes with it (``pool="prefork"``), so ``kill_worker`` can kill the whole worker.
    """
    require_broker()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": database_url_for_this_test_database(),
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "factcheck",
            "worker",
            f"--pool={pool}",
            *(["--concurrency=1"] if pool == "prefork" else []),
            "--queues",
            ",".join(queues),
            "--hostname",
            f"{name or queues[0]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_process_group,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kill_worker(proc: subprocess.Popen) -> None:
    """Kill the whole worker at once (SIGKILL to its process group: start it with
    ``own_process_group``), as kill -9 or a lost host would: no shutdown, no acknowledgement."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def output_of(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
    try:
        return (proc.communicate(timeout=30)[0] or "")[-4000:]
    except (subprocess.TimeoutExpired, ValueError):
        return "(no output)"
