"""Match claims read from standard input against published and imported fact-checks.

    python manage.py match_claims [--top K] [--format json|text] [--all-claims] < claims.tsv

Each input line is ``id<TAB>text``, optionally ``<TAB>YYYY-MM-DD`` (when the
claim was made). With ``--format json`` (the default) each line gives one JSON
line: ``{"id": ..., "matches": [{"identifier", "url", "claim", "score"}, ...]}``,
best match first; ``identifier`` is the ClaimReview identifier of an imported
fact-check (null for this desk's own). A line that cannot be read is reported
on standard error with its number, and the others are still matched.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from claims.matching import MAX_TOP, MatchError, match


class Command(BaseCommand):
    help = "Match id<TAB>text lines from standard input against published and imported fact-checks."
    # Tests pass the input as call_command(..., stdin=...).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--top", type=int, default=5, metavar="K", help=f"Matches per claim, 1 to {MAX_TOP}.")
        parser.add_argument("--format", choices=["json", "text"], default="json", help="json: one JSON line per claim.")
        parser.add_argument(
            "--all-claims",
            action="store_true",
            help="Also match this desk's claims that are not published (dismissed claims and duplicates excepted).",
        )

    def handle(self, *args, top: int, format: str, all_claims: bool, **options):
        if not 1 <= top <= MAX_TOP:
            raise CommandError(f"--top must be from 1 to {MAX_TOP}; got {top}")
        stdin = options.get("stdin") or sys.stdin
        failed = 0
        for number, line in enumerate(stdin, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            try:
                claim_id, text, date = self._parse(line)
                found = match(text, top=top, public_only=not all_claims, date=date)
            except MatchError as exc:
                failed += 1
                self.stderr.write(f"line {number}: {exc}")
                continue
            if format == "json":
                matches = [
                    {
                        "identifier": m.identifier or None,
                        "url": m.url or None,
                        "claim": m.claim,
                        "score": round(m.score, 4),
                    }
                    for m in found
                ]
                self.stdout.write(json.dumps({"id": claim_id, "matches": matches}, ensure_ascii=False))
            else:
                self.stdout.write(f"{claim_id}: {len(found)} match(es)")
                for m in found:
                    where = m.url or f"claim #{m.id} ({m.status})"
                    rating = f" [{m.rating}]" if m.rating else ""
                    self.stdout.write(f"  {m.score:.2f}  {m.publisher}{rating}: {m.claim}  <{where}>")
        if failed:
            raise CommandError(f"{failed} line(s) could not be matched (see above); the others were.")

    @staticmethod
    def _parse(line: str) -> tuple[str, str, dt.date | None]:
        fields = line.split("\t")
        if len(fields) not in (2, 3) or not fields[0].strip():
            raise MatchError("expected id<TAB>text, optionally <TAB>YYYY-MM-DD")
        date = None
        if len(fields) == 3 and fields[2].strip():
            try:
                date = dt.date.fromisoformat(fields[2].strip())
            except ValueError:
                raise MatchError(f"bad date {fields[2].strip()!r}: expected YYYY-MM-DD") from None
        return fields[0].strip(), fields[1], date
