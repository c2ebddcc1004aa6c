"""Poll the monitored feeds and sitemaps from the shell.

    python manage.py poll_sources               # poll due sources every minute until interrupted
    python manage.py poll_sources --once        # one round of the due sources, then exit
    python manage.py poll_sources --source 12   # poll source 12 now, due or not (repeatable)

A progress bar on standard error; one line per source on standard output
(its id, what happened, new articles, the error in plain words).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from claims.models import WatchedSource
from claims.monitoring import polling

BAR_WIDTH = 30
ROUND_SECONDS = 60


class Command(BaseCommand):
    help = "Poll the monitored feeds and sitemaps: the due ones, or the ones named with --source."

    def add_arguments(self, parser):
        parser.add_argument("--source", type=int, action="append", metavar="ID", help="Poll this source now.")
        parser.add_argument("--once", action="store_true", help="One round, then exit.")

    def handle(self, *args, source: list[int] | None, once: bool, **options):
        if source:
            known = set(WatchedSource.objects.filter(pk__in=source).values_list("pk", flat=True))
            if missing := sorted(set(source) - known):
                raise CommandError(f"No watched source with id {', '.join(map(str, missing))}.")
            self._round(polling.claim_due(only=source), asked=source)
            return
        while True:
            self._round(polling.claim_due())
            if once:
                return
            time.sleep(ROUND_SECONDS)

    def _round(self, ids: list[int], asked: list[int] | None = None) -> None:
        for source_id in sorted(set(asked or []) - set(ids)):
            self.stdout.write(f"source {source_id}: skipped (switched off, or being polled right now)")
        total = len(ids)
        if not total:
            if not asked:
                self.stdout.write("No source is due.")
            return
        done = 0

        def progress(result: polling.PollResult) -> None:
            nonlocal done
            done += 1
            filled = BAR_WIDTH * done // total
            self.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} sources", ending="")
            self.stderr.flush()
            line = f"source {result.source_id}: {result.outcome}, {result.new_articles} new articles"
            self.stdout.write(line + (f" ({result.error})" if result.error else ""))

        polling.poll_claimed_many(ids, on_polled=progress)
        self.stderr.write("")
