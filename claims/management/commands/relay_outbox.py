"""Publish the outbox's unsent tasks to the broker; run one beside the workers.

python manage.py relay_outbox              # runs until stopped
python manage.py relay_outbox --once       # one pass, e.g. from cron or a test
"""

from __future__ import annotations

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims import outbox


class Command(BaseCommand):
    help = "Publish unsent outbox messages to the Celery broker (SKIP LOCKED: several relays may run)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass over the due messages, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between passes when idle.")
        parser.add_argument("--batch", type=int, default=100, help="Messages per pass.")

    def handle(self, *args, once: bool, interval: float, batch: int, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("CELERY_BROKER_URL is not set: tasks run in-process and there is nothing to relay.")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            result = outbox.relay(batch=batch)
            if result.sent or result.failed or options["verbosity"] > 1:
                self.stdout.write(
                    f"relayed {result.sent}, failed {result.failed}{': ' + result.error if result.error else ''}"
                )
            if once or stopping:
                return
            if result.sent < batch:
                # Idle or the broker is down: wait before the next pass.
                time.sleep(interval)
