"""This organisation's published fact-checks as ClaimReview JSON lines on stdout.

python manage.py export_claimreview > claimreview.jsonl
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from claims.publishing.claimreview import claimreview
from claims.publishing.record import published_fact_checks


class Command(BaseCommand):
    help = "Write every published fact-check as one schema.org ClaimReview JSON-LD object per line."

    def handle(self, *args, **options):
        count = 0
        for verdict in published_fact_checks().order_by("published_at", "pk").iterator(chunk_size=500):
            self.stdout.write(json.dumps(claimreview(verdict), ensure_ascii=False, sort_keys=True))
            count += 1
        self.stderr.write(f"{count} fact-check(s) exported.")
