"""Score sentences for check-worthiness: one sentence a line in, one score a line out.

    printf 'Unemployment fell by 3.1 percent.\nThank you.\n' | python manage.py score_sentences
    0.9321
    0.0412

Every input line gets a score, empty ones included, so the output lines up
with the input line for line.
"""

from __future__ import annotations

import sys
from itertools import islice

from django.core.management.base import BaseCommand

from claims.extraction.checkworthiness import score

BATCH = 2048


class Command(BaseCommand):
    help = "Read sentences from stdin (one a line) and write one check-worthiness score in [0, 1] a line."
    # call_command(..., stdin=StringIO(...)) in tests and scripts.
    stealth_options = ("stdin",)

    def handle(self, *args, **options):
        lines = (line.rstrip("\r\n") for line in (options.get("stdin") or sys.stdin))
        # Batches keep memory flat on long inputs; each sentence is scored on its own.
        while batch := list(islice(lines, BATCH)):
            self.stdout.write("\n".join(f"{value:.4f}" for value in score(batch)))
