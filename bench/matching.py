"""Benchmark: one top-5 claim match (``claims.matching.match``, as the triage task
calls it) with 100,000 and with 1,000,000 stored claims on PostgreSQL, next to a
brute-force scan over the same rows in the same run: pg_trgm ``similarity()``
of the query against every claim, best five.

The stored claims are the 19,250 PolitiFact fact-checks (imported as
references) plus synthetic claims of this desk: each the first half of one
PolitiFact claim joined to the second half of another (of those no CT2021-2B
query points at), with the first one's date, so their words, lengths and word
frequencies are the corpus's own. ``--quality`` also scores the CT2021-2B
queries at each size, with the synthetic claims as distractors. The queries are the CT2021-2B debate
sentences. Needs ../shared/data and PostgreSQL (BENCH_DATABASE_URL, a database
it creates and drops).

    python -m bench.matching [--sizes 100000,1000000] [--queries 200] [--brute-queries 10]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from .common import bench_database, server_version, throwaway_database

# Beside the repository; a git worktree elsewhere points at it with FACTCHECK_SHARED_DATA (as the tests do).
SHARED = Path(
    os.environ.get("FACTCHECK_SHARED_DATA") or Path(__file__).resolve().parent.parent.parent / "shared" / "data"
)
CORPUS = SHARED / "claimreview" / "politifact-ct2021-2b.claimreview.jsonl"
QUERIES = SHARED / "matching" / "ct2021-2b" / "train-dev.queries.tsv"
SEED = 20210921
STATUSES = ["candidate", "candidate", "accepted", "assigned", "in_research", "published"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def synthetic_claims(sources: list[tuple[str, object]], count: int, rng: random.Random):
    """(text, date): the first half of one claim and the second half of another, with the first one's date."""
    words = [(text.split(), date) for text, date in sources]
    for _ in range(count):
        (first, date), (second, _) = rng.choice(words), rng.choice(words)
        yield " ".join(first[: max(1, len(first) // 2)] + second[len(second) // 2 :]), date


def load_claims(sources: list[tuple[str, object]], count: int, rng: random.Random) -> None:
    """COPY ``count`` synthetic claims into claims_claim, the GIN index rebuilt afterwards, as a bulk load would."""
    from django.db import connection
    from django.utils import timezone

    from claims.models import Claim

    now = timezone.now()
    values = {"status_changed_at": now, "created_at": now, "updated_at": now}
    fields = [f for f in Claim._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS claim_match_document")
        with cursor.cursor.copy(f"COPY claims_claim ({columns}) FROM STDIN") as copy:  # noqa: S608 (model columns)
            for text, date in synthetic_claims(sources, count, rng):
                row = []
                for field in fields:
                    if field.name == "text":
                        row.append(text)
                    elif field.name == "claimed_on":
                        row.append(date)
                    elif field.name == "status":
                        row.append(rng.choice(STATUSES))
                    elif field.name in values:
                        row.append(values[field.name])
                    elif field.null:
                        row.append(None)
                    else:
                        row.append(field.get_db_prep_save(field.get_default(), connection))
                copy.write_row(row)
        cursor.execute(
            "CREATE INDEX claim_match_document ON claims_claim USING gin (match_document) WITH (fastupdate = off)"
        )
        cursor.execute("VACUUM ANALYZE claims_claim")
        cursor.execute("VACUUM ANALYZE claims_externalreview")


def time_queries(queries: list[str], run) -> list[float]:
    timings = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def brute_force(query: str) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT kind, id FROM (
                SELECT 'claim' AS kind, id, similarity(text, %s) AS s FROM claims_claim
                WHERE status NOT IN ('dismissed', 'duplicate')
                UNION ALL
                SELECT 'external', id, similarity(claim_reviewed, %s) FROM claims_externalreview
            ) scored ORDER BY s DESC LIMIT 5
            """,
            [query, query],
        )
        return cursor.fetchall()


def quality() -> dict:
    from claims.matching import match
    from claims.matching.training import QRELS_FILES, debate_date, load_dataset, measures

    dataset = load_dataset(QUERIES.parent)
    result = {}
    for split in QRELS_FILES:
        rankings, relevant = {}, {}
        for qid, text, rel in dataset.split(split):
            found = match(text, top=5, public_only=False, date=debate_date(qid))
            rankings[qid] = [m.identifier or f"{m.kind}:{m.id}" for m in found]
            relevant[qid] = rel
        result[f"{split}_map5"] = round(measures(rankings, relevant)["map@5"], 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="Stored claims, comma-separated, ascending.")
    parser.add_argument("--queries", type=int, default=200, help="Queries timed per size (matching).")
    parser.add_argument("--brute-queries", type=int, default=10, help="Queries timed per size (brute force).")
    parser.add_argument(
        "--quality",
        action="store_true",
        help="Also score the CT2021-2B train and dev queries (MAP@5) at each size, the synthetic claims as distractors.",
    )
    args = parser.parse_args()
    if not CORPUS.is_file() or not QUERIES.is_file():
        print(f"bench.matching: skipped, {SHARED} is missing (the shared data sits beside the repository)")
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name):
        import django

        django.setup()
        from django.core.management import call_command

        from claims.matching import backends, match
        from claims.matching.imports import ImportedReview, import_reviews, read_reviews
        from claims.models import Claim, ExternalReview

        call_command("migrate", verbosity=0)
        reviews = [r for r in read_reviews(CORPUS) if isinstance(r, ImportedReview)]
        import_reviews(reviews)
        # Built from the fact-checks no query points at, so that no synthetic claim
        # repeats half of a relevant one: distractors in the corpus's own words.
        relevant = set()
        for name in ("train.qrels.tsv", "dev.qrels.tsv"):
            relevant.update(
                line.split()[2] for line in (QUERIES.parent / name).read_text().splitlines() if line.strip()
            )
        sources = [(r.claim_reviewed, r.claim_date) for r in reviews if r.identifier not in relevant]
        rng = random.Random(SEED)  # noqa: S311 (synthetic data, reproducible)
        lines = [line.split("\t", 1)[1].strip() for line in QUERIES.read_text().splitlines() if "\t" in line]
        queries = rng.sample(lines, min(args.queries, len(lines)))
        brute_queries = queries[: args.brute_queries]
        results = []
        for size in sizes:
            stored = ExternalReview.objects.count() + Claim.objects.count()
            if size > stored:
                load_claims(sources, size - stored, rng)
            backends.forget_stats()
            stored = ExternalReview.objects.count() + Claim.objects.count()
            for query in queries[:10]:  # warm the caches, as a running server's are
                match(query, top=5, public_only=False)
            ours = time_queries(queries, lambda q: match(q, top=5, public_only=False))
            brute = time_queries(brute_queries, brute_force)
            result = {
                "benchmark": "claim_matching",
                "server": server_version(),
                "stored_claims": stored,
                "queries": len(ours),
                "match_median_ms": round(statistics.median(ours), 1),
                "match_p95_ms": round(percentile(ours, 0.95), 1),
                "brute_force_queries": len(brute),
                "brute_force_median_ms": round(statistics.median(brute), 1),
                "brute_force_p95_ms": round(percentile(brute, 0.95), 1),
            }
            result["speedup_median"] = round(result["brute_force_median_ms"] / result["match_median_ms"], 1)
            if args.quality:
                result |= quality()
            results.append(result)
            print(
                f"\nClaim matching on {result['server']}: {stored:,} stored claims "
                f"({len(reviews):,} PolitiFact fact-checks, the rest synthetic claims)"
            )
            print(
                f"  match, top 5 (full-text candidates + re-ranking)  median {result['match_median_ms']:>8} ms  "
                f"p95 {result['match_p95_ms']:>8} ms  ({len(ours)} queries)"
            )
            print(
                f"  brute force (pg_trgm similarity over every row)   median {result['brute_force_median_ms']:>8} ms  "
                f"p95 {result['brute_force_p95_ms']:>8} ms  ({len(brute)} queries; "
                f"{result['speedup_median']}x our median)"
            )
            if args.quality:
                print(
                    f"  MAP@5 with these distractors: train {result['train_map5']:.4f}, dev {result['dev_map5']:.4f} "
                    "(each query with its debate's date)"
                )
            print(json.dumps(result))
        if not results:
            sys.exit("bench.matching: no sizes to measure")


if __name__ == "__main__":
    main()
