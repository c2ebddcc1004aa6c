"""Celery task names are data: outbox rows store them, and the routes and the beat
schedule name them. Every name the code queues or the settings name must be a task
the worker registers, whichever module defines it."""

from __future__ import annotations

from django.conf import settings

from claims.evidence import snapshots
from claims.intake import ingestion
from claims.matching import semantic, triage
from claims.publishing import webhooks
from factcheck.celery import app

QUEUED = {
    ingestion.INGEST_TASK,
    ingestion.EXTRACT_TASK,
    snapshots.SNAPSHOT_TASK,
    snapshots.CHECK_TASK,
    webhooks.DELIVER_TASK,
    triage.MATCH_TASK,
    semantic.INDEX_TASK,
}


def registered() -> set[str]:
    app.loader.import_default_modules()  # autodiscovery, as a worker does at start
    return {name for name in app.tasks if name.startswith("claims.")}


def test_every_task_the_outbox_routes_or_beat_names_is_registered():
    routed = set(settings.CELERY_TASK_ROUTES)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert (QUEUED | routed | scheduled) - registered() == set()


def test_task_names_keep_the_claims_tasks_prefix_stored_in_outbox_rows():
    # A task moved out of claims/tasks.py keeps its name with @shared_task(name="claims.tasks.<function>").
    assert {name.rpartition(".")[0] for name in registered()} == {"claims.tasks"}
