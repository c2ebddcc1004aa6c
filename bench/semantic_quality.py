"""Quality of the optional semantic matching backend with a real model, through the database.

The evaluation's own set-up (``evaluate_matching``): the 19,250 PolitiFact
fact-checks the CT2021-2B qrels point at, imported as references, on
PostgreSQL with pgvector. Then, on that one database:

1. lexical only (``FACTCHECK_EMBEDDING_MODEL`` empty): every dev query (and,
   with ``--splits dev,train``, every train query: in-sample for the re-ranker),
   with its debate's date, through ``claims.matching.match`` as the public API
   calls it, and every reworded claim of ``tests/data/rewording_pairs.tsv`` (undated);
2. ``semantic_index`` with the model given (timed: embedding everything and
   building the HNSW indexes);
3. the same queries with the backend on (settings as committed:
   ``FACTCHECK_SEMANTIC_WEIGHT``, ``semantic.NEIGHBOURS``,
   ``semantic.MIN_NEIGHBOUR_SIMILARITY``).

Reported for each: MAP@1, MAP@5, MRR, P@1, P@5 (``training.measures``), at the
triage threshold the share of dev queries shown and how many of those are right,
the rewording suite's first-rank rate, each match's time (median, p95), and
how many queries the backend ranks better or worse (AP@5).
Only the train and dev queries exist in the shared data; dev is scored, nothing
is chosen on it. The model is the operator's (a local directory, Model2Vec or
sentence-transformers, which this script does not install); nothing is
downloaded. Needs ../shared/data (or FACTCHECK_SHARED_DATA) and PostgreSQL
with pgvector (BENCH_DATABASE_URL, a database it creates and drops).

    python -m bench.semantic_quality --model /srv/models/all-MiniLM-L6-v2 [--splits dev,train] [--format json]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from pathlib import Path

from .common import bench_database, server_version, throwaway_database
from .matching import CORPUS, SHARED, percentile

DEPTH = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="Absolute path of the model directory.")
    parser.add_argument(
        "--splits",
        default="dev",
        help="The CT2021-2B queries scored, comma-separated: dev, train (in-sample for the re-ranker) or both "
        "(default: %(default)s).",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    splits = [name.strip() for name in args.splits.split(",") if name.strip()]
    if not splits or set(splits) - {"dev", "train"}:
        parser.error("--splits takes dev, train or dev,train")
    data_dir = SHARED / "matching" / "ct2021-2b"
    if not CORPUS.is_file() or not data_dir.is_dir():
        print(f"bench.semantic_quality: skipped, {SHARED} is missing (the shared data sits beside the repository)")
        return
    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name):
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from claims.management.commands.evaluate_matching import shown_at
        from claims.matching import backends, embedding, match, semantic
        from claims.matching.imports import ImportedReview, import_reviews, read_reviews
        from claims.matching.training import (
            average_precision,
            debate_date,
            load_dataset,
            load_rewordings,
            measures,
            rewording_first_rank,
        )
        from claims.matching.triage import min_score

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            if cursor.fetchone() is None:
                print("bench.semantic_quality: skipped, this PostgreSQL server has no pgvector")
                return
        call_command("migrate", verbosity=0)
        import_reviews([r for r in read_reviews(CORPUS) if isinstance(r, ImportedReview)])
        with connection.cursor() as cursor:
            # Matching reads document frequencies from the planner's statistics.
            cursor.execute("ANALYZE claims_externalreview, claims_claim")
        backends.forget_stats()
        dataset = load_dataset(data_dir)
        queries = {split: dataset.split(split) for split in splits}
        rewordings = load_rewordings()
        threshold = min_score()

        def key(m) -> str:
            return m.identifier or f"{m.kind}:{m.id}"

        def evaluate(split: str) -> dict:
            found, relevant, timings = {}, {}, []
            for qid, text, rel in queries[split]:
                started = time.perf_counter()
                found[qid] = match(text, top=DEPTH, date=debate_date(qid))
                timings.append((time.perf_counter() - started) * 1000)
                relevant[qid] = rel
            rankings = {qid: [key(m) for m in matches] for qid, matches in found.items()}
            result = measures(rankings, relevant)
            result["p@1"] = sum(1 for q, r in rankings.items() if r and r[0] in relevant[q]) / len(rankings)
            result["at_threshold"] = shown_at(found, relevant, threshold)
            result["ap@5"] = {qid: average_precision(rankings[qid], relevant[qid], 5) for qid in rankings}
            result["match_median_ms"] = round(statistics.median(timings), 1)
            result["match_p95_ms"] = round(percentile(timings, 0.95), 1)
            return result

        def reworded() -> dict:
            best = {text: match(text, top=DEPTH) for _, text in rewordings}
            suite = rewording_first_rank(lambda text: [key(m) for m in best[text]], rewordings)
            suite["shown"] = sum(
                1
                for identifier, text in rewordings
                if best[text] and key(best[text][0]) == identifier and best[text][0].score >= threshold
            ) / len(rewordings)
            return suite

        settings.FACTCHECK_EMBEDDING_MODEL = ""
        warm = [text for _, text, _ in queries[splits[0]][:5]]
        for text in warm:  # warm the caches, as a running server's are
            match(text, top=DEPTH)
        lexical = {split: evaluate(split) for split in splits} | {"rewording": reworded()}

        settings.FACTCHECK_EMBEDDING_MODEL = str(args.model.expanduser().resolve())
        embedding.forget()
        semantic.forget()
        started = time.perf_counter()
        call_command("semantic_index", stdout=io.StringIO(), stderr=io.StringIO())
        index_seconds = time.perf_counter() - started
        model = semantic.embedder()
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {semantic.TABLE}")
            cursor.execute(f"SELECT count(*) FROM {semantic.TABLE}")  # noqa: S608 (our table)
            embedded = cursor.fetchone()[0]
        for text in warm:
            match(text, top=DEPTH)
        on = {split: evaluate(split) for split in splits} | {"rewording": reworded()}
        for split in splits:
            # Query by query: on which the backend gains or loses (AP@5).
            before, after = lexical[split].pop("ap@5"), on[split].pop("ap@5")
            on[split]["better"] = sum(1 for q in before if after[q] > before[q] + 1e-9)
            on[split]["worse"] = sum(1 for q in before if after[q] < before[q] - 1e-9)

        report = {
            "benchmark": "semantic_quality",
            "server": server_version(),
            "queries": {split: len(queries[split]) for split in splits},
            "model": {"path": str(model.path), "library": model.library, "dimensions": model.dimensions},
            "settings": {
                "weight": settings.FACTCHECK_SEMANTIC_WEIGHT,
                "neighbours": semantic.NEIGHBOURS,
                "min_similarity": semantic.MIN_NEIGHBOUR_SIMILARITY,
            },
            "threshold": threshold,
            "embedded": embedded,
            "index_seconds": round(index_seconds, 1),
            "lexical": lexical,
            "semantic": on,
        }
        if args.format == "json":
            print(json.dumps(report))
            return
        print(
            f"\n{report['server']}; {embedded:,} records embedded by {model.path} "
            f"({model.library}, {model.dimensions} dimensions) in {report['index_seconds']} s"
        )
        suites = {"lexical only": lexical["rewording"], "semantic on ": on["rewording"]}
        for split in splits:
            print(f"{split}: {len(queries[split])} queries with their debates' dates")
            for label, values in (("lexical only", lexical[split]), ("semantic on ", on[split])):
                at = values["at_threshold"]
                print(
                    f"  {label}  MAP@1 {values['map@1']:.4f}  MAP@5 {values['map@5']:.4f}  MRR {values['mrr']:.4f}  "
                    f"P@1 {values['p@1']:.4f}  P@5 {values['p@5']:.4f}  "
                    f"match median {values['match_median_ms']} ms (p95 {values['match_p95_ms']})"
                )
                print(f"      at score {threshold:.4f}: {at['shown']:.1%} shown, {at['precision']:.1%} of those right")
            print(f"      semantic on: AP@5 higher for {on[split]['better']} queries, lower for {on[split]['worse']}")
        print(f"rewording suite: {len(rewordings)} reworded claims, undated")
        for label, suite in suites.items():
            print(
                f"  {label}  first {suite['first']:.1%} (top 5 {suite['top5']:.1%}, first and shown {suite['shown']:.1%}); "
                f"missed: {', '.join(suite['missed']) or 'none'}"
            )
        print(json.dumps(report))


if __name__ == "__main__":
    main()
