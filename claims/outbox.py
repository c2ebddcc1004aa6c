"""The transactional outbox: background work is recorded in the database in the
same transaction as the change that calls for it, then relayed to the broker.

Why: a broker call can hang for seconds when Redis is unreachable, and can
raise even though the message was delivered. So a request never talks to the
broker. ``enqueue`` only inserts a row; ``relay`` (run by the ``relay_outbox``
command, or in-process when no broker is configured) publishes unsent rows
under ``SELECT ... FOR UPDATE SKIP LOCKED`` and marks them sent. A broker
outage leaves rows unsent, to be published when it is back: work is delayed,
never dropped. A row can be published twice (the relay may die between the
publish and the commit), so every task it carries is idempotent.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from claims.models import OutboxMessage

logger = logging.getLogger(__name__)

_local = threading.local()


def enqueue(task: str, *, queue: str = "", **kwargs) -> OutboxMessage:
    """Record ``task(**kwargs)`` to run once the current transaction commits.

    Call inside the transaction that makes the change; the work is committed or
    rolled back with it.
    """
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, queue=queue)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No broker: run the work in this process as soon as the change is committed.
        transaction.on_commit(relay_in_process)
    return message


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    error: str = ""


def _backoff(attempts: int) -> timedelta:
    # Exponential with full jitter, capped at five minutes.
    return timedelta(seconds=random.uniform(0, min(300, 2**attempts)))  # noqa: S311 (jitter, not security)


class BrokerPublisher:
    """Publishes outbox messages over one broker connection with short timeouts,
    so an unreachable or hung broker fails a relay pass in seconds."""

    def __init__(self, broker_url: str | None = None, *, timeout: float | None = None):
        from factcheck.celery import app

        self.app = app
        self.broker_url = broker_url or app.conf.broker_url
        self.timeout = timeout or settings.FACTCHECK_OUTBOX_PUBLISH_TIMEOUT
        self._connection = None

    def __call__(self, message: OutboxMessage) -> None:
        from kombu import Connection

        if self._connection is None:
            self._connection = Connection(
                self.broker_url,
                connect_timeout=self.timeout,
                transport_options={"socket_connect_timeout": self.timeout, "socket_timeout": self.timeout},
            )
        options = {"queue": message.queue} if message.queue else {}
        # retry=False: a broker that is down fails this publish at once; the
        # row stays unsent and a later pass tries again.
        self.app.send_task(
            message.task,
            kwargs=message.kwargs,
            task_id=task_id(message),
            connection=self._connection,
            retry=False,
            **options,
        )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
            self._connection = None


def relay(*, batch: int = 100, publish: Callable[[OutboxMessage], None] | None = None) -> RelayResult:
    """Publish up to ``batch`` due, unsent messages, oldest first.

    Stops at the first failure (the broker is probably down) and schedules
    that message's next attempt with backoff. Several relays may run at once:
    SKIP LOCKED gives each its own rows.
    """
    own_publisher = publish is None
    publish = publish or BrokerPublisher()
    result = RelayResult()
    try:
        _relay_pass(batch, publish, result)
    finally:
        if own_publisher:
            publish.close()
    return result


def _relay_pass(batch: int, publish: Callable[[OutboxMessage], None], result: RelayResult) -> None:
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, available_at__lte=now)
            .order_by("available_at", "pk")[:batch]
        )
        for message in rows:
            try:
                publish(message)
            except Exception as exc:  # noqa: BLE001 (any broker failure leaves the row for later)
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                message.available_at = timezone.now() + _backoff(message.attempts)
                message.save(update_fields=["attempts", "last_error", "available_at"])
                result.failed += 1
                result.error = message.last_error
                logger.warning("outbox: could not publish %s #%s: %s", message.task, message.pk, message.last_error)
                break
            message.sent_at = timezone.now()
            message.attempts += 1
            message.save(update_fields=["sent_at", "attempts"])
            result.sent += 1


@functools.cache
def _app_with_tasks():
    """The Celery app with its tasks registered, as a worker has it once started.

    Messages name their task (``claims.tasks.ingest_article``); the outbox never
    imports the modules that define or queue them. Celery's autodiscovery, which
    a worker runs at start, imports them here once per process.
    """
    from factcheck.celery import app

    app.loader.import_default_modules()
    return app


def run_in_process(message: OutboxMessage) -> None:
    _app_with_tasks().tasks[message.task].apply(kwargs=message.kwargs, task_id=task_id(message), throw=True)


TASK_ID_PREFIX = "outbox-"


def task_id(message: OutboxMessage) -> str:
    """The Celery task id of a row's task: a task that must change its own row (to forget
    what it no longer needs) finds it with ``row_of``."""
    return f"{TASK_ID_PREFIX}{message.pk}"


def row_of(celery_task_id: str | None) -> int | None:
    """The outbox row a task came from, by its task id; None for a task sent otherwise."""
    if not celery_task_id or not celery_task_id.startswith(TASK_ID_PREFIX):
        return None
    number = celery_task_id.removeprefix(TASK_ID_PREFIX)
    return int(number) if number.isdigit() else None


def relay_in_process() -> int:
    """Without a broker: run due messages here, until none is left.

    Tasks queue follow-up work through the outbox too; a nested call (from a
    task's own commit) returns at once and the outer loop picks the new rows up.
    """
    if getattr(_local, "relaying", False):
        return 0
    _local.relaying = True
    done = 0
    try:
        while True:
            with transaction.atomic():
                message = (
                    OutboxMessage.objects.select_for_update(skip_locked=True)
                    .filter(sent_at__isnull=True, available_at__lte=timezone.now())
                    .order_by("available_at", "pk")
                    .first()
                )
                if message is None:
                    return done
                message.sent_at = timezone.now()
                message.attempts += 1
                message.save(update_fields=["sent_at", "attempts"])
            # Outside the transaction, as a worker would run it. A failure is
            # recorded by the task itself (e.g. on the article); it does not
            # stop the loop or the request that triggered it.
            try:
                run_in_process(message)
            except Exception:
                logger.exception("outbox: %s #%s failed in-process", message.task, message.pk)
            done += 1
    finally:
        _local.relaying = False
