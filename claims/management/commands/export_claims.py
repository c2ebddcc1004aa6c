"""The claim list as CSV or JSON on standard output, as the admin's "Export this list as CSV" writes it.

python manage.py export_claims --status candidate --status accepted > claims.csv
python manage.py export_claims --format json > claims.json
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from claims.models import Claim
from claims.review import export


class Command(BaseCommand):
    help = "Write the claims (optionally only some statuses) as CSV or JSON to standard output, in id order."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            action="append",
            choices=Claim.Status.values,
            metavar="STATUS",
            help=f"Only claims in this status; repeat for several. One of: {', '.join(Claim.Status.values)}.",
        )
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options):
        try:
            claims = export.claims_with_status(options["status"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        write = export.write_csv if options["format"] == "csv" else export.write_json
        write(export.rows(claims), self.stdout)
