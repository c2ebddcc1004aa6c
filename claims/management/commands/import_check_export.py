"""Import a Meedan Check workspace export (the zip Check mails to workspace admins, or its folder).

python manage.py import_check_export my-workspace.zip [--dry-run] [--status-map statuses.json] [--format json]
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from claims.checkimport.archive import ArchiveError, Export
from claims.checkimport.csvfiles import ExportFormatError
from claims.checkimport.importer import ImportBusy, Report, run_import
from claims.checkimport.maps import MapError, load_status_map
from claims.checkimport.steps import STEPS

LISTED_ERRORS = 50


class Command(BaseCommand):
    help = (
        "Import a Meedan Check workspace export: users as inactive accounts, items as claims, published "
        "fact-checks as this desk's, imported ones as references. Check ids are kept, so running it again "
        "creates nothing. See docs/migrating-from-check.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="The export's zip file or its unpacked folder.")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be done; write nothing.")
        parser.add_argument(
            "--status-map", metavar="FILE", help="JSON: Check status -> claim status (or {status, rating})."
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, path: str, dry_run: bool, status_map: str | None, format: str, **options):
        try:
            statuses = load_status_map(status_map)
            with Export(path) as export:
                report = run_import(export, STEPS, status_map=statuses, dry_run=dry_run, progress=self.stderr._out)
        except (ArchiveError, ExportFormatError, MapError, ImportBusy) as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        if format == "json":
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._summary(report)

    def _summary(self, report: Report) -> None:
        heading = "Dry run: nothing was written." if report.dry_run else f"Imported in {report.seconds:.1f} s."
        self.stdout.write(f"{heading} Source: {report.source}")
        self.stdout.write(f"{'kind':<18} {'created':>8} {'updated':>8} {'skipped':>8} {'for later':>10} {'failed':>7}")
        for name, kind in report.kinds.items():
            self.stdout.write(
                f"{name:<18} {kind.created:>8,} {kind.updated:>8,} {kind.skipped:>8,} "
                f"{kind.kept_for_later:>10,} {kind.failed:>7,}" + (f"  ({kind.note})" if kind.note else "")
            )
            for outcome, count in sorted(kind.outcomes.items()):
                self.stdout.write(f"  {outcome}: {count:,}")
        if report.missing_files:
            self.stdout.write("not in the export: " + ", ".join(report.missing_files))
        if report.other_files:
            self.stdout.write("not imported (unknown files): " + ", ".join(report.other_files))
        if report.errors:
            self.stdout.write(f"rows not imported: {len(report.errors):,}")
            for error in report.errors[:LISTED_ERRORS]:
                self.stdout.write(f"  {error['file']} row {error['row']}: {error['reason']}")
            if len(report.errors) > LISTED_ERRORS:
                self.stdout.write(f"  ... {len(report.errors) - LISTED_ERRORS:,} more (--format json lists them all)")
