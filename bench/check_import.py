"""Benchmark: importing a generated Meedan Check workspace export of 50,000
items (with 5,000 published fact-checks and 25 users) into PostgreSQL, items
per second, next to a floor measured in the same run: opening the zip and
parsing every CSV file alone (no database). The matching the import queues
is left in the outbox for the workers, as in production. The issue's target: the whole
import in under two minutes on this machine.

    python -m bench.check_import [--items 50000] [--rounds 1]   # PostgreSQL (BENCH_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

from tests.checkexport import HEADERS, csv_bytes, write_zip

from .common import bench_database, server_version, throwaway_database

STATUSES = ["undetermined", "in_progress", "not_applicable", "false", "verified"]
MEDIA = ["Claim"] * 14 + ["Link"] * 3 + ["UploadedImage"] * 2 + ["UploadedVideo"]
WORDS = "minister said budget rose percent schools hospitals council taxes river floods vaccine buses".split()


def generate(path: Path, items: int) -> Path:
    fact_checks = items // 10
    item_rows, fc_rows = [], []
    for n in range(items):
        media = MEDIA[n % len(MEDIA)]
        title = f"Item {n}: the {WORDS[n % 13]} {WORDS[(n * 7) % 13]} by {n % 97} percent"
        data = (
            f"{title}, {WORDS[(n * 3) % 13]} and {WORDS[(n * 5) % 13]} say officials"
            if media == "Claim"
            else f"https://media.example/{media.lower()}/{n}"
        )
        status = STATUSES[n % 5] if n >= fact_checks else ("false", "verified")[n % 2]
        item_rows.append(
            [str(n + 1), title, f"Description {n}", "2024-05-02 09:30:00 UTC", "budget, health", status,
             f"Source {n % 2000}", media, data]
        )  # fmt: skip
        if n < fact_checks:
            fc_rows.append(
                [str(n + 1), title, f"Summary {n}", f"https://desk.example/fc/{n}", "en", "published", "false"]
            )
    users = [[str(n), f"User {n}", f"user{n}@desk.example", "2021-01-01 00:00:00 UTC", "", ("admin", "editor", "collaborator")[n % 3]] for n in range(25)]  # fmt: skip
    workspace = [["7", "Bench desk", "https://checkmedia.org/bench", "", "", "25", str(items), "0", str(fact_checks), "0", "No", "No", "No", "", "No", ""]]  # fmt: skip
    return write_zip(
        path,
        {
            "README.txt": b"CSV Export Documentation\n",
            "workspace_data.csv": csv_bytes(HEADERS["workspace_data.csv"], workspace),
            "workspace_user_data.csv": csv_bytes(HEADERS["workspace_user_data.csv"], users),
            "workspace_item_data.csv": csv_bytes(HEADERS["workspace_item_data.csv"], item_rows),
            "workspace_fact_checks_data.csv": csv_bytes(HEADERS["workspace_fact_checks_data.csv"], fc_rows),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name), tempfile.TemporaryDirectory() as folder:
        # As in production, the matching the import queues waits in the outbox for the workers; without a
        # broker it would run in this process, and this would time the matching of 50,000 claims instead.
        os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
        import django

        django.setup()
        from django.core.management import call_command

        from claims.checkimport.archive import Export
        from claims.checkimport.csvfiles import read_rows
        from claims.checkimport.importer import run_import
        from claims.checkimport.maps import load_status_map
        from claims.checkimport.steps import STEPS
        from claims.models import Claim, ImportedRecord, Verdict

        call_command("migrate", verbosity=0)
        path = generate(Path(folder) / "bench.zip", args.items)
        floor, first, seconds, again = [], [], [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            with Export(path) as export:
                for name in export.names:
                    if name.endswith(".csv"):
                        list(read_rows(name, export.read(name) or b"", required=())[1])
            floor.append(args.items / (time.perf_counter() - started))
            Verdict.objects.all().delete()
            ImportedRecord.objects.all().delete()
            started = time.perf_counter()
            with Export(path) as export:
                report = run_import(export, STEPS, status_map=load_status_map(None), progress=StringIO())
            elapsed = time.perf_counter() - started
            seconds.append(elapsed)
            first.append(args.items / elapsed)
            started = time.perf_counter()
            with Export(path) as export:
                repeat = run_import(export, STEPS, status_map=load_status_map(None), progress=StringIO())
            again.append(args.items / (time.perf_counter() - started))
            items, fcs = report.kinds["item"], report.kinds["fact_check"]
            if items.created != args.items or fcs.created != args.items // 10 or report.errors:
                sys.exit(f"bench.check_import: unexpected counts: {json.dumps(report.as_dict())[:2000]}")
            if repeat.kinds["item"].created or repeat.kinds["fact_check"].created:
                sys.exit("bench.check_import: the second run created rows")
        result = {
            "benchmark": "check_import",
            "server": server_version(),
            "items": args.items,
            "published_fact_checks": Verdict.objects.published().count(),
            "claims": Claim.objects.count(),
            "floor_read_parse_items_per_s": round(statistics.median(floor)),
            "import_items_per_s": round(statistics.median(first)),
            "import_seconds": round(statistics.median(seconds), 1),
            "reimport_items_per_s": round(statistics.median(again)),
        }
        result["seconds_per_kind"] = {name: round(k.seconds, 1) for name, k in report.kinds.items() if k.file}
        result["ratio_import_to_floor"] = round(
            result["import_items_per_s"] / result["floor_read_parse_items_per_s"], 3
        )
        print(f"\nCheck export import on {result['server']}: {args.items:,} items, median of {args.rounds}")
        print(f"  floor (unzip + parse CSV, no database) {result['floor_read_parse_items_per_s']:>9,} items/s")
        print(
            f"  import (everything new)                {result['import_items_per_s']:>9,} items/s  "
            f"({result['import_seconds']} s; {result['ratio_import_to_floor']}x the floor; target under 120 s)"
        )
        print(f"  re-import (all skipped)                {result['reimport_items_per_s']:>9,} items/s")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
