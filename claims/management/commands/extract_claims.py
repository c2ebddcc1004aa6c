"""Print the claim candidates of one article, without writing anything.

    python manage.py extract_claims ../shared/data/seed/000_421e45027504a804.html --format json
    python manage.py extract_claims article.txt --format json --all

start and end are character offsets in the article text (for HTML, the
extracted main text). Each candidate says which scorer gave its score: "en"
(the model trained on English debates) or "general" (the language-independent
scorer, for every other language). --all lists every sentence instead, with its
score, scorer, speaker and why it is or is not a candidate, so that nothing
drops out unseen.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from claims.extraction.article_text import extract_document, html_to_text
from claims.extraction.candidates import as_json, read_article, reading_as_json
from claims.fetching import FetchError, fetch
from claims.intake.sources import read_source


class Command(BaseCommand):
    help = "Extract check-worthy claims from a URL or an HTML/text file and print them (no database writes)."

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="SOURCE", help="http(s) URL, or path to an HTML or text file.")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--threshold", type=float, help="Minimum score (default FACTCHECK_EXTRACT_THRESHOLD).")
        parser.add_argument(
            "--max",
            type=int,
            dest="max_claims",
            help="At most this many per scorer (default FACTCHECK_EXTRACT_MAX_CLAIMS).",
        )
        parser.add_argument(
            "--all",
            action="store_true",
            dest="every_sentence",
            help="List every sentence with its score, scorer, speaker and status, candidates or not.",
        )

    def handle(
        self,
        *args,
        source: str,
        format: str,
        threshold: float | None,
        max_claims: int | None,
        every_sentence: bool = False,
        **options,
    ):
        try:
            src = read_source(source)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        text, language = src.text, ""
        if src.url:
            try:
                page = fetch(src.url)
            except FetchError as exc:
                raise CommandError(exc.message) from None
            if page.content_type.startswith("text/plain"):
                text = page.text
            else:
                src = type(src)(html=page.text, url=page.final_url, name=src.name)
        if src.html:
            document = extract_document(src.html, url=src.url or None)
            text, language = (document.text or html_to_text(src.html)), document.language
        reading = read_article(text, language=language, threshold=threshold, max_claims=max_claims)
        if every_sentence:
            if format == "json":
                self.stdout.write(json.dumps(reading_as_json(reading), ensure_ascii=False, indent=2))
                return
            self.stdout.write(f"language: {reading.language or 'unknown'}")
            for s in reading.sentences:
                who = s.claimant.name if s.claimant else "(the outlet)"
                score = f"{s.score:.2f}" if s.score is not None else "  - "
                self.stdout.write(f"{score}  {s.scorer:<7}  {s.status}  [{s.start}-{s.end}]  {who}: {s.text}")
            return
        candidates = reading.candidates()
        if format == "json":
            self.stdout.write(json.dumps(as_json(candidates), ensure_ascii=False, indent=2))
            return
        if not candidates:
            self.stdout.write("No check-worthy claims found.")
        for c in candidates:
            who = c.claimant.name if c.claimant else "(the outlet)"
            self.stdout.write(f"{c.score:.2f}  {c.scorer:<7}  [{c.start}-{c.end}]  {who}: {c.text}")
