"""Benchmark: outlet monitoring. 1,000 watched sources (half RSS feeds, half
sitemaps, 20 entries each) on a local HTTP server, polled by one worker
in-process on PostgreSQL, next to a floor measured in the same run: fetching
(the same safe fetcher) and parsing the same documents, no database.

- round 1: every source polled for the first time: 200, parsed, 20 new articles each;
- round 2: 10% of the sources changed (two new entries each, a new ETag), the others 304;
- round 3: nothing changed: every source answers 304, nothing parsed.

The aim: round 3 costs under a tenth of round 1. Articles stay pending in the
outbox (no worker): this times polling, not ingestion.

    python -m bench.monitoring [--sources 1000]     # PostgreSQL (BENCH_DATABASE_URL), dropped at the end
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .common import bench_database, server_version, throwaway_database

ENTRIES = 20
CHANGED_SHARE = 0.10


class Documents:
    """Each source's document and its version; a change bumps the version (the ETag)."""

    def __init__(self, sources: int) -> None:
        self.base = ""
        self.versions = [1] * sources
        self.lock = threading.Lock()

    def links(self, n: int) -> list[str]:
        version = self.versions[n]
        # A changed document lists two new stories first and drops its two oldest.
        newest = (version - 1) * 2
        return [f"{self.base}/s{n}/story-{k}" for k in range(newest, newest + ENTRIES)]

    def body(self, n: int) -> tuple[bytes, str]:
        if n % 2:
            urls = "".join(f"<url><loc>{link}</loc><lastmod>2026-05-12</lastmod></url>" for link in self.links(n))
            return (
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode(),
                "application/xml",
            )
        items = "".join(
            f"<item><title>Story {i} of source {n}</title><link>{link}</link>"
            f"<pubDate>Tue, 12 May 2026 08:{i:02d}:00 GMT</pubDate><description>Summary {i}.</description></item>"
            for i, link in enumerate(self.links(n))
        )
        rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Source {n}</title>{items}</channel></rss>'
        return rss.encode(), "application/rss+xml"


def serve(documents: Documents) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            n = int(self.path.split("/")[1].removeprefix("s").removesuffix(".xml"))
            etag = f'"{documents.versions[n]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, content_type = documents.body(n)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    documents.base = f"http://localhost:{server.server_address[1]}"
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000)
    args = parser.parse_args()
    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name):
        import os

        os.environ["FACTCHECK_FETCH_TEST_HOSTS"] = "localhost"
        # One poller and one local host: politeness would only add waiting here.
        os.environ["FACTCHECK_LINK_CHECK_HOST_SECONDS"] = "0"
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.utils import timezone

        from claims.fetching import fetch
        from claims.models import Article, Outlet, WatchedSource
        from claims.monitoring import polling
        from claims.monitoring.parsing import XML_TYPES, parse_feed, parse_sitemap

        call_command("migrate", verbosity=0)
        # Articles wait in the outbox as they would for a worker: this times polling, not ingestion.
        settings.CELERY_TASK_ALWAYS_EAGER = False
        documents = Documents(args.sources)
        server = serve(documents)
        outlet = Outlet.objects.create(name="Bench outlet", domain="localhost")
        WatchedSource.objects.bulk_create(
            WatchedSource(outlet=outlet, kind="sitemap" if n % 2 else "feed", url=f"{documents.base}/s{n}.xml")
            for n in range(args.sources)
        )
        ids = list(WatchedSource.objects.order_by("pk").values_list("pk", "kind", "url"))

        def floor() -> float:
            started = time.perf_counter()
            for _, kind, url in ids:
                body = fetch(url, accept=XML_TYPES).body
                entries = parse_feed(body, url) if kind == "feed" else parse_sitemap(body, url).entries
                if len(entries) != ENTRIES:
                    sys.exit(f"bench.monitoring: {url} gave {len(entries)} entries")
            return time.perf_counter() - started

        def poll_round() -> tuple[float, dict[str, int]]:
            WatchedSource.objects.update(next_poll_at=timezone.now())
            started = time.perf_counter()
            results = polling.poll_due(limit=args.sources)
            elapsed = time.perf_counter() - started
            outcomes: dict[str, int] = {}
            for result in results:
                outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
            return elapsed, outcomes

        floor_seconds = floor()
        if os.environ.get("BENCH_PROFILE") == "1":
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            first, first_outcomes = poll_round()
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)
        else:
            first, first_outcomes = poll_round()
        articles_after_first = Article.objects.count()
        changed = list(range(0, args.sources, round(1 / CHANGED_SHARE)))
        for n in changed:
            documents.versions[n] += 1
        floor_changed = floor()
        second, second_outcomes = poll_round()
        articles_after_second = Article.objects.count()
        if os.environ.get("BENCH_PROFILE") == "3":
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            third, third_outcomes = poll_round()
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        else:
            third, third_outcomes = poll_round()
        server.shutdown()
        expected = {
            "first": ({"new": args.sources}, args.sources * ENTRIES),
            "second": ({"new": len(changed), "not modified": args.sources - len(changed)}, len(changed) * 2),
        }
        if (
            (first_outcomes, articles_after_first) != expected["first"]
            or (
                second_outcomes,
                articles_after_second - articles_after_first,
            )
            != expected["second"]
            or third_outcomes != {"not modified": args.sources}
        ):
            sys.exit(f"bench.monitoring: unexpected outcomes {first_outcomes} {second_outcomes} {third_outcomes}")
        result = {
            "benchmark": "monitoring",
            "server": server_version(),
            "sources": args.sources,
            "entries_per_source": ENTRIES,
            "floor_fetch_parse_s": round(floor_seconds, 2),
            "round1_first_poll_s": round(first, 2),
            "round1_to_floor": round(first / floor_seconds, 2),
            "floor_after_change_s": round(floor_changed, 2),
            "round2_10pct_changed_s": round(second, 2),
            "round2_to_floor": round(second / floor_changed, 2),
            "round3_all_304_s": round(third, 2),
            "round3_to_round1": round(third / first, 3),
        }
        print(f"\nMonitoring on {result['server']}: {args.sources:,} sources x {ENTRIES} entries, one worker")
        print(f"  floor (fetch + parse, no database)      {floor_seconds:8.2f} s")
        print(f"  round 1: first poll, all new            {first:8.2f} s  ({result['round1_to_floor']}x the floor)")
        print(f"  round 2: 10% changed, the rest 304      {second:8.2f} s  ({result['round2_to_floor']}x the floor)")
        print(
            f"  round 3: nothing changed, all 304       {third:8.2f} s  ({result['round3_to_round1']}x round 1; aim < 0.1)"
        )
        print(json.dumps(result))
        if third >= first / 10:
            sys.exit("bench.monitoring: the all-304 round cost a tenth of the first round or more")


if __name__ == "__main__":
    main()
