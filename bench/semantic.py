"""Benchmark: the optional semantic matching backend (pgvector) at 100,000 stored claims.

The same collection as ``bench.matching`` (the 19,250 PolitiFact fact-checks and
synthetic claims made of their halves), the same debate sentences as queries.
The model is made here, for timing only: a Model2Vec-format directory over the
collection's words with a random 256-dimensional vector per word (the size of
the common small Model2Vec models), so its neighbours mean nothing and no
quality is measured. Reported: the time ``semantic_index`` takes to embed
everything and build the HNSW indexes, a second (idempotent) run, and one top-5
``match`` with the backend off and on. Needs ../shared/data and PostgreSQL with
pgvector (BENCH_DATABASE_URL, a database it creates and drops).

    python -m bench.semantic [--size 100000] [--queries 200] [--dimensions 256]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from tests.model2vec_support import write_model2vec

from .common import bench_database, server_version, throwaway_database
from .matching import CORPUS, QUERIES, SEED, load_claims, percentile, time_queries


def make_timing_model(directory: Path, texts: list[str], dimensions: int) -> Path:
    """A Model2Vec directory: a lower-cased word-level tokenizer over ``texts``' words, random vectors."""
    import numpy as np

    words = sorted({w for text in texts for w in re.findall(r"\w+", text.lower())})
    vocabulary = {"[UNK]": 0, **{w: i for i, w in enumerate(words, start=1)}}
    vectors = np.random.default_rng(SEED).normal(size=(len(vocabulary), dimensions)).astype(np.float32)
    vectors[0] = 0.0
    return write_model2vec(directory, vocabulary, vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="Stored claims and fact-checks together.")
    parser.add_argument("--queries", type=int, default=200, help="Queries timed, backend off and on.")
    parser.add_argument("--dimensions", type=int, default=256, help="Size of the timing model's vectors.")
    args = parser.parse_args()
    if not CORPUS.is_file() or not QUERIES.is_file():
        print(
            f"bench.semantic: skipped, {CORPUS.parent.parent} is missing (the shared data sits beside the repository)"
        )
        return
    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name), tempfile.TemporaryDirectory() as model_root:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from claims.matching import backends, embedding, match, semantic
        from claims.matching.imports import ImportedReview, import_reviews, read_reviews
        from claims.models import Claim, ExternalReview

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            if cursor.fetchone() is None:
                print("bench.semantic: skipped, this PostgreSQL server has no pgvector (bash .ci/install-pgvector)")
                return
        call_command("migrate", verbosity=0)
        reviews = [r for r in read_reviews(CORPUS) if isinstance(r, ImportedReview)]
        import_reviews(reviews)
        sources = [(r.claim_reviewed, r.claim_date) for r in reviews]
        rng = random.Random(SEED)  # noqa: S311 (synthetic data, reproducible)
        load_claims(sources, max(0, args.size - ExternalReview.objects.count()), rng)
        stored = ExternalReview.objects.count() + Claim.objects.count()
        lines = [line.split("\t", 1)[1].strip() for line in QUERIES.read_text().splitlines() if "\t" in line]
        queries = rng.sample(lines, min(args.queries, len(lines)))
        model_dir = make_timing_model(
            Path(model_root) / "timing-model", [text for text, _ in sources] + lines, args.dimensions
        )

        backends.forget_stats()
        settings.FACTCHECK_EMBEDDING_MODEL = str(model_dir)
        embedding.forget()
        semantic.forget()
        started = time.perf_counter()
        call_command("semantic_index", stdout=io.StringIO(), stderr=io.StringIO())
        index_seconds = time.perf_counter() - started
        started = time.perf_counter()
        call_command("semantic_index", stdout=io.StringIO(), stderr=io.StringIO())
        again_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {semantic.TABLE}")
            cursor.execute(f"SELECT count(*) FROM {semantic.TABLE}")  # noqa: S608 (our table)
            embedded = cursor.fetchone()[0]
        for query in queries[:10]:  # warm the caches, as a running server's are
            match(query, top=5, public_only=False)
        # Off and on in turns, query by query, so that other load on the machine weighs on both alike.
        off, on, public = [], [], []
        for query in queries:
            settings.FACTCHECK_EMBEDDING_MODEL = ""
            off += time_queries([query], lambda q: match(q, top=5, public_only=False))
            settings.FACTCHECK_EMBEDDING_MODEL = str(model_dir)
            on += time_queries([query], lambda q: match(q, top=5, public_only=False))
            public += time_queries([query], lambda q: match(q, top=5))
        result = {
            "benchmark": "semantic_matching",
            "server": server_version(),
            "stored": stored,
            "embedded": embedded,
            "dimensions": args.dimensions,
            "index_seconds": round(index_seconds, 1),
            "reindex_seconds": round(again_seconds, 1),
            "queries": len(queries),
            "lexical_median_ms": round(statistics.median(off), 1),
            "lexical_p95_ms": round(percentile(off, 0.95), 1),
            "semantic_median_ms": round(statistics.median(on), 1),
            "semantic_p95_ms": round(percentile(on, 0.95), 1),
            "semantic_public_median_ms": round(statistics.median(public), 1),
            "semantic_public_p95_ms": round(percentile(public, 0.95), 1),
        }
        print(f"\nSemantic matching on {result['server']}: {stored:,} claims and fact-checks, {embedded:,} embedded")
        print(f"  semantic_index: {result['index_seconds']} s (again, nothing changed: {result['reindex_seconds']} s)")
        print(
            f"  match, top 5, lexical only        median {result['lexical_median_ms']:>7} ms  p95 {result['lexical_p95_ms']:>7} ms"
        )
        print(
            f"  match, top 5, semantic on         median {result['semantic_median_ms']:>7} ms  p95 {result['semantic_p95_ms']:>7} ms"
        )
        print(
            f"  match, top 5, semantic on, public median {result['semantic_public_median_ms']:>7} ms  "
            f"p95 {result['semantic_public_p95_ms']:>7} ms"
        )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
