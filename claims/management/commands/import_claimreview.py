"""Import fact-checks published by others, as references.

python manage.py import_claimreview politifact.claimreview.jsonl
python manage.py import_claimreview --format json page.jsonld google-response.json
"""

from __future__ import annotations

import itertools
import json

from django.core.management.base import BaseCommand, CommandError

from claims.matching.imports import ImportReport, InputError, import_reviews, read_reviews

LISTED_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import ClaimReview JSON-LD (an object, an array, @graph or JSON lines) and Google Fact Check Tools "
        "API responses as external reviews: references attributed to their publisher, never this desk's verdicts. "
        "Records are matched by review URL, so importing a file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="A JSON, JSON-LD or JSON lines file.")
        parser.add_argument(
            "--format", choices=["text", "json"], default="text", help="json: one object with the counts and errors."
        )

    def handle(self, *args, files: list[str], format: str, **options):
        # Every file is read before anything is written, so an unreadable one
        # stops the import without leaving half of it behind.
        try:
            streams = [read_reviews(path) for path in files]
        except InputError as exc:
            raise CommandError(str(exc)) from None
        report = import_reviews(itertools.chain.from_iterable(streams))
        report.files = list(files)
        if format == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._summary(report)

    def _summary(self, report: ImportReport) -> None:
        rate = f", {report.records / report.seconds:,.0f} records/s" if report.seconds else ""
        self.stdout.write(
            f"{report.records:,} records from {len(report.files)} file(s) in {report.seconds:.1f} s{rate}"
        )
        duplicates = (
            f" ({report.duplicates:,} repeating a review URL earlier in the input)" if report.duplicates else ""
        )
        self.stdout.write(f"created: {report.created:,}")
        self.stdout.write(f"updated: {report.updated:,}")
        self.stdout.write(f"skipped: {report.skipped:,}{duplicates}")
        self.stdout.write(f"errors:  {len(report.errors):,}")
        self._list(report.errors)
        if report.warnings:
            self.stdout.write(f"warnings: {len(report.warnings):,}")
            self._list(report.warnings)

    def _list(self, problems: list[dict]) -> None:
        for problem in problems[:LISTED_ERRORS]:
            place = f"line {problem['line']}" if "line" in problem else f"index {problem['index']}"
            self.stdout.write(f"  {problem['file']} {place}: {problem['message']}")
        if len(problems) > LISTED_ERRORS:
            self.stdout.write(f"  … and {len(problems) - LISTED_ERRORS:,} more (--format json lists them all)")
