"""Build or bring up to date the optional semantic matching store.

    python manage.py semantic_index [--rebuild] [--check]

Needs ``FACTCHECK_EMBEDDING_MODEL`` (a local model directory) and PostgreSQL
with pgvector. Creates the ``vector`` extension and the embeddings table when
missing, embeds every claim and imported review that is
new or changed since the last run (in batches, one transaction each) and drops
the rows of deleted ones, then builds the HNSW indexes if they are missing (after
the first fill, which is many times faster than growing them row by row): run
twice, the second run embeds nothing.
``--rebuild`` drops the table first (after changing to a model of another
size). ``--check`` only says whether everything is in place.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from claims.matching import semantic


class Command(BaseCommand):
    help = "Create and fill the semantic matching store (pgvector) with embeddings of claims and imported reviews."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Drop the store and embed everything again.")
        parser.add_argument("--check", action="store_true", help="Only check the model, the database and the store.")
        parser.add_argument("--database", default="default", help="The database to index (default: default).")

    def handle(self, *args, rebuild: bool, check: bool, database: str, **options):
        if not semantic.configured():
            raise CommandError(
                "FACTCHECK_EMBEDDING_MODEL is not set: semantic matching is off. Set it to the absolute path "
                "of an installed model directory (see README, 'Semantic matching (optional)')."
            )
        problem = semantic.database_problem(database)
        if problem:
            raise CommandError(problem)
        try:
            model = semantic.embedder()
        except semantic.SemanticError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"model: {model.path} ({model.library}, {model.dimensions} dimensions)")
        if check:
            stored = semantic.stored_dimensions(database)
            if stored is None:
                raise CommandError("the embeddings table does not exist yet: run `python manage.py semantic_index`.")
            if stored != model.dimensions:
                raise CommandError(
                    f"the stored embeddings have {stored} dimensions and the model gives {model.dimensions}: "
                    "run `python manage.py semantic_index --rebuild`."
                )
            self.stdout.write("semantic matching is ready")
            return
        started = time.monotonic()
        try:
            if semantic.ensure_store(model.dimensions, rebuild=rebuild, using=database):
                self.stderr.write(f"created {semantic.TABLE}")
            report = semantic.index(using=database, log=self.stderr.write if options["verbosity"] > 1 else None)
            if semantic.ensure_indexes(using=database):
                self.stderr.write("built the HNSW indexes")
        except semantic.SemanticError as exc:
            raise CommandError(str(exc)) from None
        result = {**report.as_dict(), "seconds": round(time.monotonic() - started, 1)}
        self.stdout.write(json.dumps(result))
