"""Submit articles (URLs or HTML/text files) to the ingestion pipeline.

python manage.py ingest https://example.org/story article.html notes.txt
python manage.py ingest --sync --format json pages/*.html
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims import ingestion
from claims.models import Article
from claims.sources import read_source

# Sources submitted (and, with --sync, extracted) per transaction.
BATCH = 50


class Command(BaseCommand):
    help = "Add articles by URL or file; their claims are extracted in the background (or now, with --sync)."

    def add_arguments(self, parser):
        parser.add_argument(
            "sources", nargs="+", metavar="SOURCE", help="http(s) URL, or path to an HTML or text file."
        )
        parser.add_argument(
            "--sync", action="store_true", help="Fetch and extract now, in this process, instead of queueing."
        )
        parser.add_argument("--format", choices=["text", "json"], default="text", help="json: one object per article.")

    def handle(self, *args, sources: list[str], sync: bool, format: str, **options):
        failures = 0
        show_progress = len(sources) > 1
        done = 0
        for start in range(0, len(sources), BATCH):
            batch = sources[start : start + BATCH]
            submitted = []
            # One transaction per batch: a commit costs more than an article's inserts.
            with transaction.atomic():
                for value in batch:
                    try:
                        source = read_source(value)
                        submission = ingestion.submit_article(url=source.url, text=source.text, html=source.html)
                    except (OSError, ValueError, ValidationError) as exc:
                        failures += 1
                        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                        self.stderr.write(f"{value}: {message}")
                        continue
                    submitted.append((value, submission.article))
            if sync:
                for _, article in submitted:
                    if article.status == Article.Status.PENDING:
                        ingestion.ingest(article.pk)  # a URL: fetch it now
                ingestion.extract_many([article.pk for _, article in submitted])
            for value, article in submitted:
                article.refresh_from_db()
                if article.status == Article.Status.FAILED:
                    failures += 1
                self._report(article, value, format)
            done += len(batch)
            if show_progress:
                self._progress(done, len(sources))
        if show_progress:
            self.stderr.write("")
        if failures:
            raise CommandError(f"{failures} of {len(sources)} source(s) failed; see the messages above.")

    def _report(self, article: Article, value: str, format: str) -> None:
        claims = article.claims.count()
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "article_id": article.pk,
                        "url": article.url or None,
                        "title": article.title,
                        "status": article.status,
                        "claims": claims,
                        "error": article.error or None,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            detail = f": {article.error}" if article.error else ""
            self.stdout.write(f"#{article.pk} {article.get_status_display().lower()}, {claims} claims: {value}{detail}")

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        self.stderr.flush()
