"""Measure claim matching on CLEF-2021 CheckThat! Task 2B (English), through the database.

    python manage.py evaluate_matching [--no-date] [--format json]

Imports the PolitiFact fact-checks the qrels point at (unless they are already
imported), then matches every train and dev query with ``claims.matching.match``
exactly as the public API does, and prints MAP@1, MAP@5, MRR (over the first
``DEPTH`` results) and P@5 for each split. Each query carries the date of its
debate (from its id) unless ``--no-date``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from claims.matching import backends, match
from claims.matching.imports import ImportedReview, InputError, import_reviews, read_reviews
from claims.matching.training import QRELS_FILES, DataError, debate_date, load_dataset, measures
from claims.models import ExternalReview

from .train_matching import add_data_arguments

DEPTH = 10


def ensure_imported(references: Path) -> int:
    """Import the reference file unless every review in it is stored; returns how many were created."""
    try:
        reviews = [r for r in read_reviews(references) if isinstance(r, ImportedReview)]
    except InputError as exc:
        raise DataError(str(exc)) from None
    urls = [r.url for r in reviews]
    stored = sum(ExternalReview.objects.filter(url__in=urls[i : i + 1000]).count() for i in range(0, len(urls), 1000))
    if stored >= len(set(urls)):
        return 0
    return import_reviews(reviews).created


class Command(BaseCommand):
    help = "Match the CT2021-2B train and dev queries against the imported PolitiFact fact-checks; print MAP@1, MAP@5, MRR, P@5."

    def add_arguments(self, parser):
        add_data_arguments(parser)
        parser.add_argument("--no-date", action="store_true", help="Match without the debates' dates.")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            dataset = load_dataset(Path(options["data_dir"]))
            created = ensure_imported(Path(options["references"]))
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        if connection.vendor == "postgresql":
            # Matching reads document frequencies from the planner's statistics.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE claims_externalreview, claims_claim")
            backends.forget_stats()
        report = {"imported": created, "with_date": not options["no_date"], "database": connection.vendor}
        for split in QRELS_FILES:
            split_started = time.perf_counter()
            rankings, relevant = {}, {}
            for qid, text, rel in dataset.split(split):
                found = match(text, top=DEPTH, date=None if options["no_date"] else debate_date(qid))
                rankings[qid] = [m.identifier or f"{m.kind}:{m.id}" for m in found]
                relevant[qid] = rel
            report[split] = measures(rankings, relevant) | {"seconds": round(time.perf_counter() - split_started, 1)}
        report["seconds"] = round(time.perf_counter() - started, 1)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"{'imported ' + format(created, ',') + ' fact-checks' if created else 'fact-checks already imported'}; "
            f"matching on {connection.vendor}, {'with' if report['with_date'] else 'without'} the debates' dates"
        )
        for split in QRELS_FILES:
            values = report[split]
            self.stdout.write(
                f"{split}: MAP@1 {values['map@1']:.4f}  MAP@5 {values['map@5']:.4f}  MRR {values['mrr']:.4f}  "
                f"P@5 {values['p@5']:.4f}  ({values['queries']} queries, {values['seconds']} s)"
            )
