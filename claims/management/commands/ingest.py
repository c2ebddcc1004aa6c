"""Submit articles (URLs or HTML/text files) to the ingestion pipeline.

python manage.py ingest https://example.org/story article.html notes.txt
python manage.py ingest --sync --format json pages/*.html
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from claims.intake import ingestion
from claims.intake.sources import read_source
from claims.models import Article

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
            prepared = []
            for value in batch:
                try:
                    source = read_source(value)
                    draft = ingestion.prepare_article(url=source.url, text=source.text, html=source.html)
                except (OSError, ValueError, ValidationError) as exc:
                    failures += 1
                    message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    self.stderr.write(f"{value}: {message}")
                    continue
                prepared.append((value, draft))
            # One transaction and a few queries per batch: a commit costs more than an article's inserts.
            submissions = ingestion.submit_articles([draft for _, draft in prepared])
            submitted = [(value, s.article) for (value, _), s in zip(prepared, submissions, strict=True)]
            if sync:
                for _, article in submitted:
                    if article.status == Article.Status.PENDING:
                        ingestion.ingest(article.pk)  # a URL: fetch it now
                ingestion.extract_many([article.pk for _, article in submitted])
            current = Article.objects.annotate(claim_count=Count("claims")).in_bulk([a.pk for _, a in submitted])
            for value, article in submitted:
                article = current[article.pk]
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
        claims = article.claim_count
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
