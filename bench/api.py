"""The public API under load: 100,000 published fact-checks in PostgreSQL,
served by gunicorn on loopback, against a floor measured in the same run.

For the list (``/api/v1/fact-checks/?page_size=50``, a few cursor pages) and
the detail (``/api/v1/fact-checks/<id>/``, random ids) it measures
(a) the maximum requests per second in a closed loop and (b) p50/p99 latency at
a fixed offered rate (an open loop, latency counted from each request's
scheduled send time, so queueing shows). The floor is a bare Django view per
endpoint (``bench/api_floor.py``): one hand-written SQL query through psycopg,
the page dumped with orjson, served by the same gunicorn with the same
workers. Before measuring, the bench checks that the app and the floor answer
every measured URL with the same JSON. It reports the app/floor ratios; the
target (issue #5) is at least half the floor's throughput.

The script creates its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://root@127.0.0.1:5432/factcheck_bench) and drops it at the end, even
on failure; the server runs only while it measures. `python -m bench.api --help`
lists the knobs.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from bench.common import bench_database, server_version, throwaway_database

from . import api_load

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
LIST = "/api/v1/fact-checks/"
FLOOR = "/floor"
PAGE_SIZE = 50
# Where the measured list pages start, in the default ordering (newest first).
LIST_PAGE_STARTS = (0, 50, 5_000, 25_000, 50_000, 90_000)
DETAIL_IDS = 500
SEED = 20261102
# The public API's anonymous throttle stays on; its rate is raised so that the
# benchmark's single client address is not refused. Per second, so each
# client's request history (which the throttle stores in the cache on every
# request) stays as short as a real client's.
BENCH_ANON_RATE = "100000/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fact-checks", type=int, default=100_000, help="published fact-checks to load (default 100,000)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurement rounds, each app and floor side by side (default 3)"
    )
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="measured seconds per endpoint, side and loop (default 8)"
    )
    parser.add_argument(
        "--turns", type=int, default=4, help="turns those seconds are split into, app and floor alternating (default 4)"
    )
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each turn (default 0.5)")
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers, for the app and the floor (default 2)"
    )
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (gthread; default 2)")
    parser.add_argument(
        "--connections", type=int, default=0, help="closed-loop connections (default 2 x workers x threads)"
    )
    parser.add_argument(
        "--rate-fraction",
        type=float,
        default=0.4,
        help="open-loop rate as a fraction of the floor's closed-loop maximum in the same round (default 0.4)",
    )
    parser.add_argument(
        "--gc",
        default="50000,20,100",
        help="the workers' gc thresholds after gc.freeze(), or 'off' for Python's defaults (default 50000,20,100)",
    )
    args = parser.parse_args(argv)
    args.connections = args.connections or 2 * args.workers * args.threads

    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name):
        return run(args)


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from . import api_seed

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    counts = api_seed.seed(args.fact_checks)
    seed_seconds = time.perf_counter() - started
    print(
        f"api benchmark on {server_version()}: seeded {counts['published']:,} published fact-checks "
        f"({', '.join(f'{v:,} {k}' for k, v in counts.items() if k != 'published')}) in {seed_seconds:.1f} s"
    )
    index_note = published_index()
    print(index_note)

    list_targets, detail_targets, hidden_targets = targets(args.fact_checks)
    port = free_port()
    server = start_server(args, port)
    try:
        wait_until_ready(server, port)
        checked = check_same_bodies(port, list_targets, detail_targets[:50] + hidden_targets)
        print(f"app and floor answer identically: {checked}")
        rounds = [measure_round(args, port, list_targets, detail_targets, n) for n in range(1, args.rounds + 1)]
    finally:
        stop_server(server)
    report(args, rounds, counts=counts, seed_seconds=seed_seconds, index_note=index_note)
    return 0


def published_index() -> str:
    """The first list page's query time, and that it uses the schema's index for the public order."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'verdict_public_order'")
        if cursor.fetchone() is None:
            raise SystemExit("bench.api: the index verdict_public_order is missing: are the migrations applied?")
        return f"first list page query (EXPLAIN ANALYZE, floor SQL): {explain_ms(cursor):.1f} ms"


def explain_ms(cursor) -> float:
    from .api_floor import LIST_SQL

    timings = []
    for _ in range(3):
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + LIST_SQL, [None, None, PAGE_SIZE + 1, 0])
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        timings.append(plan[0]["Execution Time"])
    return statistics.median(timings)


def cursor_for(position) -> str:
    # The API's own cursor format (DRF CursorPagination): base64 of "p=<position>".
    encoded = base64.b64encode(f"p={quote(str(position))}".encode()).decode()
    return quote(encoded, safe="")


def targets(total: int) -> tuple[list[str], list[str], list[str]]:
    from claims.models import Claim, Verdict

    ordered = Verdict.objects.published().order_by("-published_at", "-pk").values_list("published_at", flat=True)
    lists = []
    for start in LIST_PAGE_STARTS:
        if start == 0:
            lists.append(f"{LIST}?page_size={PAGE_SIZE}")
        elif start < total:
            lists.append(f"{LIST}?cursor={cursor_for(ordered[start - 1])}&page_size={PAGE_SIZE}")
    public_ids = list(Verdict.objects.published().values_list("claim_id", flat=True))
    rng = random.Random(SEED)  # noqa: S311 -- a reproducible sample, not a secret
    details = [f"{LIST}{pk}/" for pk in rng.sample(public_ids, min(DETAIL_IDS, len(public_ids)))]
    # Checked (the floor and the app must both answer 404), not measured.
    hidden = Claim.objects.exclude(verdicts__status="published").values_list("pk", flat=True)[:5]
    return lists, details, [f"{LIST}{pk}/" for pk in hidden]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "FACTCHECK_API_ANON_RATE": BENCH_ANON_RATE,
        "FACTCHECK_GC_THRESHOLD": args.gc,
    }
    command = [
        sys.executable, "-m", "gunicorn", "factcheck.wsgi:application",
        "--config", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"{HOST}:{port}",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 -- our own command line


def wait_until_ready(server: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench.api: gunicorn exited with status {server.returncode} before answering")
        try:
            status, _, _ = api_load.fetch(HOST, port, "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench.api: gunicorn did not answer /healthz within {timeout:.0f} s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def check_same_bodies(port: int, list_targets: list[str], detail_targets: list[str]) -> str:
    """Refuse to measure unless the floor serves exactly the app's data."""
    for target in [*list_targets, *detail_targets]:
        app_status, headers, app_body = api_load.fetch(HOST, port, target)
        floor_status, _, floor_body = api_load.fetch(HOST, port, FLOOR + target)
        if app_status != floor_status:
            raise SystemExit(f"bench.api: {target}: the app answered {app_status}, the floor {floor_status}")
        if app_status != 200:
            continue
        app = json.loads(app_body)
        floor = json.loads(floor_body.replace(f"{FLOOR}{LIST}".encode(), LIST.encode()))
        if app != floor:
            raise SystemExit(
                f"bench.api: {target}: the floor's body differs from the app's:\n{first_difference(app, floor)}"
            )
        if "etag" not in headers:
            raise SystemExit(f"bench.api: {target}: the app sent no ETag")
    results = [json.loads(api_load.fetch(HOST, port, t)[2])["results"] for t in list_targets]
    ids = {item["id"] for page in results for item in page}
    if any(len(page) != PAGE_SIZE for page in results) or len(ids) != PAGE_SIZE * len(results):
        raise SystemExit("bench.api: the measured list pages are not distinct full pages")
    return (
        f"{len(list_targets)} list pages of {PAGE_SIZE} and {len(detail_targets)} details (same ids, keys and values)"
    )


def first_difference(a, b, path="$") -> str:
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        return next((first_difference(a[k], b[k], f"{path}.{k}") for k in a if a[k] != b[k]), "")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        return next(
            (first_difference(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), ""
        )
    return f"{path}: {a!r} != {b!r}"


def interleaved(sides: dict[str, list[bytes]], turns: int, run) -> dict[str, api_load.Result]:
    """Each side measured in short turns, alternating which goes first, merged.

    The machine is shared: whatever else runs on it then slows both sides
    alike, instead of whichever happened to be measured at the wrong moment.
    """
    results: dict[str, list[api_load.Result]] = {side: [] for side in sides}
    order = list(sides)
    for number in range(turns):
        for side in order if number % 2 == 0 else order[::-1]:
            results[side].append(run(sides[side]))
    return {side: api_load.merge(parts) for side, parts in results.items()}


def measure_round(args, port, list_targets, detail_targets, number: int) -> dict:
    endpoints = {"list": list_targets, "detail": detail_targets}
    result = {"round": number}
    for endpoint, paths in endpoints.items():
        sides = {"floor": [(FLOOR + p).encode() for p in paths], "app": [p.encode() for p in paths]}
        turn = args.seconds / args.turns
        closed = interleaved(
            sides,
            args.turns,
            functools.partial(
                api_load.closed_loop, HOST, port, connections=args.connections, seconds=turn, warmup=args.warmup
            ),
        )
        rate = max(1.0, round(closed["floor"].rate * args.rate_fraction))
        opened = interleaved(
            sides,
            args.turns,
            functools.partial(api_load.open_loop, HOST, port, rate=rate, seconds=turn, warmup=args.warmup),
        )
        for side in sides:
            for run in (closed[side], opened[side]):
                if set(run.statuses) != {200}:
                    raise SystemExit(f"bench.api: {endpoint} ({side}, {run.mode} loop) answered {run.statuses}")
        result[endpoint] = {
            "offered_rate": rate,
            **{
                side: {
                    "max_rps": round(closed[side].rate, 1),
                    "closed_p50_ms": round(closed[side].percentile(50), 2),
                    "p50_ms": round(opened[side].percentile(50), 2),
                    "p99_ms": round(opened[side].percentile(99), 2),
                    "client_cpu_us": round(closed[side].client_cpu_us_per_request),
                    "max_send_lag_ms": round(opened[side].max_send_lag_ms, 1),
                }
                for side in sides
            },
        }
        r = result[endpoint]
        r["ratio_rps"] = round(r["app"]["max_rps"] / r["floor"]["max_rps"], 2)
        r["ratio_p50"] = round(r["app"]["p50_ms"] / r["floor"]["p50_ms"], 2)
        r["ratio_p99"] = round(r["app"]["p99_ms"] / r["floor"]["p99_ms"], 2)
        print(
            f"round {number} {endpoint:<6} floor {r['floor']['max_rps']:7.1f} req/s, app {r['app']['max_rps']:7.1f} req/s "
            f"(x{r['ratio_rps']}); at {rate:.0f} req/s p50/p99 floor {r['floor']['p50_ms']:.1f}/{r['floor']['p99_ms']:.1f} ms, "
            f"app {r['app']['p50_ms']:.1f}/{r['app']['p99_ms']:.1f} ms",
            flush=True,
        )
    return result


def report(args, rounds: list[dict], *, counts: dict, seed_seconds: float, index_note: str) -> None:
    print()
    print(
        f"gunicorn: {args.workers} workers x {args.threads} threads (gthread, keep-alive), gc {args.gc}; "
        f"closed loop {args.connections} connections; open loop at {args.rate_fraction:.0%} of the floor's max; "
        f"{args.seconds:g} s measured per side and loop in {args.turns} alternating turns, each after {args.warmup:g} s warm-up; anonymous throttle on at {BENCH_ANON_RATE}"
    )
    header = (
        f"{'endpoint':<8} {'round':>5} {'floor rps':>10} {'app rps':>9} {'app/floor':>9} {'rate':>6} "
        f"{'floor p50/p99 ms':>17} {'app p50/p99 ms':>15} {'p99 app/floor':>13}"
    )
    print(header)
    print("-" * len(header))
    for endpoint in ("list", "detail"):
        for r in rounds:
            e = r[endpoint]
            print(
                f"{endpoint:<8} {r['round']:>5} {e['floor']['max_rps']:>10.1f} {e['app']['max_rps']:>9.1f} "
                f"{e['ratio_rps']:>8.2f}x {e['offered_rate']:>6.0f} "
                f"{e['floor']['p50_ms']:>8.1f}/{e['floor']['p99_ms']:<8.1f} {e['app']['p50_ms']:>7.1f}/{e['app']['p99_ms']:<7.1f} "
                f"{e['ratio_p99']:>12.2f}x"
            )
        ratios = [r[endpoint]["ratio_rps"] for r in rounds]
        print(f"{endpoint:<8} {'median':>5} {'':>10} {'':>9} {statistics.median(ratios):>8.2f}x")
    client = max(r[e][s]["client_cpu_us"] for r in rounds for e in ("list", "detail") for s in ("app", "floor"))
    lag = max(r[e][s]["max_send_lag_ms"] for r in rounds for e in ("list", "detail") for s in ("app", "floor"))
    print(f"load generator: at most {client} us of its own CPU per request; open-loop sends at most {lag:.1f} ms late")
    print()
    print(
        json.dumps(
            {
                "benchmark": "public_api",
                "server": server_version(),
                "seed_seconds": round(seed_seconds, 1),
                **counts,
                "workers": args.workers,
                "threads": args.threads,
                "gc": args.gc,
                "rate_fraction": args.rate_fraction,
                "page_size": PAGE_SIZE,
                "index": index_note,
                "rounds": rounds,
                "median_ratio_rps": {
                    e: statistics.median(r[e]["ratio_rps"] for r in rounds) for e in ("list", "detail")
                },
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
