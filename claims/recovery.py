"""Work a lost worker left behind: found by Celery beat every minute and queued again.

Tasks are acknowledged late, so the message of a worker killed outright
(kill -9, out of memory, a lost host) comes back from the broker once its
visibility timeout has passed (settings: a few minutes). Some work never comes
back that way: a task killed by its hard time limit is acknowledged as failed,
and a broker that lost its data (a Redis restarted without persistence) lost
the message. ``requeue_stuck_work`` catches those, and the killed worker's too
if it comes first, by looking at the work itself:

- an article ``fetching`` whose last change is older than
  FACTCHECK_STUCK_AFTER_SECONDS: only a running ``ingest`` sets that status,
  and no fetch, nor its retry countdowns, lasts that long. It goes back to
  ``pending`` with its fetch queued again;
- an article ``extracting`` unchanged for as long: queued again. That status is
  also "waiting in the queue", so a long backlog looks the same; the note and
  the batch limit below keep that to one spare message per article;
- an evidence source with no reference snapshot, no snapshot error and no
  waiting outbox row, added longer ago than that (a running snapshot leaves no
  trace on the row: ``take_snapshot`` writes only its outcome). Its snapshot is
  queued again;
- a reader's tip still new, with no waiting outbox row, that arrived longer ago
  than that: its processing failed (a database error, a deadlock's victim) or
  its message was lost. Its processing is queued again (``Tip.processing_error``
  says so until it is processed).

Each is changed with a conditional UPDATE (still in that state, unchanged since
it was read) and its task recorded in the outbox in the same transaction, so
two sweeps at once, or a sweep racing the task finishing, queue nothing twice.
Nothing is queued while an unsent outbox row already carries the same task for
it. Each item is queued again at most once: the sweep leaves a note saying so
(the article's error, the source's snapshot error, which the task clears when
it succeeds) and passes over items that carry one. Work lost a second time, or
an extraction that keeps failing, then waits for a person instead of looping;
the admin shows why.

What may run twice is harmless because every task is idempotent: ``ingest``
claims the article under a row lock and does nothing once it is past fetching
(so the redelivered original and the re-queued copy fetch once between them),
``extract`` skips an article no longer extracting and spans already saved, a
snapshot is taken once per URL.

Webhook deliveries need nothing here: a delivery's attempt is claimed with a
lease (``next_attempt_at`` pushed past the request timeout), so one whose
worker was lost mid-attempt is due again when the lease runs out and
``deliver_due_webhooks`` (beat, every 5 seconds) makes the next attempt; the
lost one's message, redelivered, names an attempt already made and sends
nothing (``claims.publishing.webhooks``; tests/test_crash_recovery.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from claims.evidence.snapshots import SNAPSHOT_TASK
from claims.intake.ingestion import EXTRACT_TASK, INGEST_TASK
from claims.models import Article, Evidence, OutboxMessage, Tip
from claims.tiplines.tips import PROCESS_TASK

from . import outbox

logger = logging.getLogger(__name__)

# Items of each kind queued again per run, oldest first: a backlog that looks
# stuck costs at most this many spare messages a minute.
BATCH = 100


@dataclass
class Requeued:
    """The ids queued again, by kind."""

    fetches: list[int] = field(default_factory=list)
    extractions: list[int] = field(default_factory=list)
    snapshots: list[int] = field(default_factory=list)
    tips: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "fetches": len(self.fetches),
            "extractions": len(self.extractions),
            "snapshots": len(self.snapshots),
            "tips": len(self.tips),
        }

    @property
    def total(self) -> int:
        return sum(self.counts().values())


def requeue_stuck_work(*, now: dt.datetime | None = None, batch: int = BATCH) -> Requeued:
    """Queue again the work left in a running state past FACTCHECK_STUCK_AFTER_SECONDS."""
    now = now or timezone.now()
    stuck_after = dt.timedelta(seconds=settings.FACTCHECK_STUCK_AFTER_SECONDS)
    cutoff = now - stuck_after
    note = (
        f"No result {_duration(stuck_after)} after it started or was queued (a worker lost mid-task, "
        f"or a long queue): queued again at {timezone.localtime(now):%Y-%m-%d %H:%M:%S %Z}."
    )
    result = Requeued(
        fetches=_requeue_fetches(cutoff, now, note, batch),
        extractions=_requeue_extractions(cutoff, now, note, batch),
        snapshots=_requeue_snapshots(cutoff, note, batch),
        tips=_requeue_tips(cutoff, note, batch),
    )
    if result.total:
        logger.warning(
            "re-queued stuck work: %s article fetches %s, %s extractions %s, %s evidence snapshots %s, %s tips %s",
            len(result.fetches),
            result.fetches,
            len(result.extractions),
            result.extractions,
            len(result.snapshots),
            result.snapshots,
            len(result.tips),
            result.tips,
        )
    return result


def _requeue(
    unfinished: QuerySet,
    since: str,
    cutoff: dt.datetime,
    task: str,
    queue: str,
    key: str,
    changes: dict,
    batch: int,
    unchanged: tuple[str, ...] = (),
) -> list[int]:
    """Rows of ``unfinished`` whose ``since`` is before ``cutoff``, with no ``task`` waiting
    for them: each changed (``changes``, which carry the note) if still unfinished and, for
    the ``unchanged`` fields, as it was read, and its task queued, in one transaction."""
    stuck = (
        unfinished.filter(**{f"{since}__lt": cutoff})
        .exclude(pk__in=_waiting(task, key))
        .order_by(since, "pk")
        .values_list("pk", *unchanged)[:batch]
    )
    done = []
    for pk, *values in stuck:
        with transaction.atomic():
            if unfinished.filter(pk=pk, **dict(zip(unchanged, values, strict=True))).update(**changes):
                outbox.enqueue(task, queue=queue, **{key: pk})
                done.append(pk)
    return done


def _requeue_articles(
    status: str, task: str, queue: str, changes: dict, cutoff: dt.datetime, now: dt.datetime, note: str, batch: int
) -> list[int]:
    """Articles in ``status`` since before ``cutoff`` with no ``task`` waiting for them:
    each changed (``changes``, the note, now) and its task queued once, in one transaction."""
    unfinished = Article.objects.filter(status=status, error="")
    changes = {**changes, "error": note, "updated_at": now}
    # Only if no one touched it since it was read (updated_at): a worker that woke up wins.
    return _requeue(unfinished, "updated_at", cutoff, task, queue, "article_id", changes, batch, ("updated_at",))


def _requeue_fetches(cutoff: dt.datetime, now: dt.datetime, note: str, batch: int) -> list[int]:
    # Pending again: it is not being fetched, and a sweep passes over pending articles.
    changes = {"status": Article.Status.PENDING}
    fetching, queue = Article.Status.FETCHING, settings.FACTCHECK_FETCH_QUEUE
    return _requeue_articles(fetching, INGEST_TASK, queue, changes, cutoff, now, note, batch)


def _requeue_extractions(cutoff: dt.datetime, now: dt.datetime, note: str, batch: int) -> list[int]:
    extracting, queue = Article.Status.EXTRACTING, settings.FACTCHECK_EXTRACT_QUEUE
    return _requeue_articles(extracting, EXTRACT_TASK, queue, {}, cutoff, now, note, batch)


def _requeue_snapshots(cutoff: dt.datetime, note: str, batch: int) -> list[int]:
    # Evidence keeps no time of its last change; added_at is when its first
    # snapshot was queued. (A source whose URL changed since has its new
    # snapshot queued then: if that one is not done by the next sweep, it is
    # queued once more; the task does it once all the same.) The snapshot
    # error is the "retried later" message take_snapshot shows meanwhile; it
    # clears it when the snapshot is taken.
    unfinished = Evidence.objects.filter(
        link_status=Evidence.LinkStatus.UNCHECKED, snapshot_fetched_at__isnull=True, snapshot_error=""
    )
    queue, changes = settings.FACTCHECK_FETCH_QUEUE, {"snapshot_error": note}
    return _requeue(unfinished, "added_at", cutoff, SNAPSHOT_TASK, queue, "evidence_id", changes, batch, ("url",))


def _requeue_tips(cutoff: dt.datetime, note: str, batch: int) -> list[int]:
    # received_at is when the reader sent it, so a tip the channel delivered late may be
    # queued once more while its first message still waits: processing it twice does it once.
    unfinished = Tip.objects.filter(status=Tip.Status.NEW, processing_error="")
    queue, changes = settings.FACTCHECK_EXTRACT_QUEUE, {"processing_error": note}
    return _requeue(unfinished, "received_at", cutoff, PROCESS_TASK, queue, "tip_id", changes, batch)


def _waiting(task: str, key: str) -> QuerySet:
    """The ids in the unsent outbox rows of ``task`` (few, and read through the outbox's partial index)."""
    return (
        OutboxMessage.objects.filter(task=task, sent_at__isnull=True)
        .annotate(item_id=Cast(KT(f"kwargs__{key}"), BigIntegerField()))
        .values("item_id")
    )


def _duration(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min" if seconds >= 120 and not seconds % 60 else f"{seconds} s"
