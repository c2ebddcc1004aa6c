"""Benchmark: importing the shared PolitiFact ClaimReview corpus (19,250
records) into PostgreSQL, records per second, next to a floor measured in the
same run: reading and parsing the file alone (no database).

    python -m bench.imports            # needs ../shared/data and PostgreSQL (BENCH_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from .common import bench_database, server_version, throwaway_database

CORPUS = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "data"
    / "claimreview"
    / "politifact-ct2021-2b.claimreview.jsonl"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not CORPUS.is_file():
        print(f"bench.imports: skipped, {CORPUS} is missing (the shared data sits beside the repository)")
        return
    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name):
        import django

        django.setup()
        from django.core.management import call_command

        from claims.matching.imports import import_reviews, read_reviews
        from claims.models import ExternalReview

        call_command("migrate", verbosity=0)
        floor, first, again = [], [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            records = list(read_reviews(CORPUS))
            floor.append(len(records) / (time.perf_counter() - started))
            ExternalReview.objects.all().delete()
            started = time.perf_counter()
            report = import_reviews(read_reviews(CORPUS))
            first.append(report.created / (time.perf_counter() - started))
            started = time.perf_counter()
            repeat = import_reviews(read_reviews(CORPUS))
            again.append(repeat.skipped / (time.perf_counter() - started))
            if report.created != len(records) or repeat.created or repeat.updated:
                sys.exit(f"bench.imports: unexpected counts: first {report}, again {repeat}")
        result = {
            "benchmark": "claimreview_import",
            "server": server_version(),
            "records": len(records),
            "floor_parse_records_per_s": round(statistics.median(floor)),
            "import_records_per_s": round(statistics.median(first)),
            "reimport_records_per_s": round(statistics.median(again)),
        }
        result["ratio_import_to_floor"] = round(result["import_records_per_s"] / result["floor_parse_records_per_s"], 2)
        print(
            f"\nClaimReview import on {result['server']}: {result['records']:,} PolitiFact records, median of {args.rounds}"
        )
        print(f"  floor (read + parse, no database) {result['floor_parse_records_per_s']:>9,} records/s")
        print(
            f"  import (new rows)                 {result['import_records_per_s']:>9,} records/s  ({result['ratio_import_to_floor']}x the floor)"
        )
        print(f"  re-import (all skipped)           {result['reimport_records_per_s']:>9,} records/s")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
