"""How the admin triage queue holds up with 100,000 claims.

Renders the triage queue changelist through the full Django stack (middleware,
admin, templates) on an empty database, then again after bulk-inserting
100,000 claims, and reports median and p90 wall time and the query count of
both. Machines are shared and noisy, so only the ratio against the baseline
measured in the same run means much; nothing here asserts a limit.

The script creates its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://root@127.0.0.1:5432/factcheck_bench) and drops it at the end, even
on failure. Run it with `make bench`; `python -m bench.triage_queue --help`
lists the knobs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass

from bench.common import bench_database, server_version, throwaway_database

# The page under test. A redirect (the admin answers an unknown lookup with
# a 302 to ?e=1) or any other non-200 status fails the run.
TRIAGE_QUEUE_URL = "/admin/claims/claim/?queue=triage"
# Measured alongside for comparison: the plain changelist filtered on status.
CANDIDATE_CHANGELIST_URL = "/admin/claims/claim/?status__exact=candidate"

CLAIMS = 100_000
CLAIMANTS = 2_000
ARTICLES = 5_000
REVIEWERS = 20
BATCH_SIZE = 5_000
WARMUP = 2
RUNS = 20
SEED = 20240601

# Roughly the shape of a working desk: most claims wait in triage.
STATUS_WEIGHTS = {
    "candidate": 60,
    "accepted": 6,
    "dismissed": 10,
    "duplicate": 4,
    "assigned": 4,
    "in_research": 5,
    "in_review": 3,
    "scheduled": 1,
    "published": 6,
    "retracted": 1,
}
ASSIGNED_STATUSES = {"assigned", "in_research", "in_review", "scheduled", "published", "retracted"}
PRIORITY_WEIGHTS = {0: 30, 1: 50, 2: 15, 3: 5}
LANGUAGE_WEIGHTS = {"en": 60, "ar": 10, "fr": 10, "ru": 8, "uk": 7, "": 5}
WORDS = (
    "minister government percent million billion tax budget health vaccine hospital school crime border "
    "election vote turnout unemployment inflation prices wages energy gas oil climate emissions army troops "
    "sanctions exports imports growth debt deficit pension refugees migrants police court ruling law bill "
    "parliament president mayor city region country year month record highest lowest doubled halved rose "
    "fell since last never always every new old official report data study survey poll"
).split()


@dataclass
class Timing:
    url: str
    claims: int
    median_ms: float
    p90_ms: float
    queries: int


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.triage_queue", description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=CLAIMS, help=f"claims to insert (default {CLAIMS:,})")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed requests per measurement (default {RUNS})")
    parser.add_argument("--url", default=TRIAGE_QUEUE_URL, help=f"page to measure (default {TRIAGE_QUEUE_URL})")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of every query of the loaded page"
    )
    args = parser.parse_args(argv)

    database_url, database_name = bench_database(parser)
    with throwaway_database(database_url, database_name):
        return run(args)


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    # The manifest storage needs collectstatic; the pages only need URLs.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        call_command("migrate", interactive=False, verbosity=0)
        admin_user = get_user_model().objects.create_superuser("bench-admin", "bench@example.org", None)
        client = Client()
        client.force_login(admin_user)

        urls = [args.url] if args.url == CANDIDATE_CHANGELIST_URL else [args.url, CANDIDATE_CHANGELIST_URL]
        empty = {url: measure(client, url, claims=0, runs=args.runs) for url in urls}

        started = time.perf_counter()
        counts = seed(args.claims)
        seed_seconds = time.perf_counter() - started

        loaded, slowest = {}, {}
        for url in urls:
            loaded[url] = measure(client, url, claims=args.claims, runs=args.runs)
            slowest[url] = capture_queries(client, url)

        report(
            urls,
            empty,
            loaded,
            slowest,
            counts=counts,
            seed_seconds=seed_seconds,
            runs=args.runs,
            server=server_version(),
        )
        if args.explain:
            explain(slowest[args.url])
    return 0


def fetch(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        location = response.headers.get("Location", "")
        raise SystemExit(
            f"bench: GET {url} answered {response.status_code}"
            + (f" (redirect to {location})" if location else "")
            + "; expected 200. Is the page (and its list filter) in place?"
        )
    return response


def measure(client, url: str, *, claims: int, runs: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        fetch(client, url)
    # Counted on a request of its own: capturing switches on the debug cursor,
    # which must not be inside the timed requests.
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    # Read now: every request start empties the connection's query log.
    queries = len(captured.captured_queries)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fetch(client, url)
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(
        url=url,
        claims=claims,
        median_ms=round(statistics.median(samples), 1),
        p90_ms=round(percentile(samples, 90), 1),
        queries=queries,
    )


def percentile(samples: list[float], pct: int) -> float:
    ordered = sorted(samples)
    # Nearest rank: the sample at or above pct% of the others.
    rank = max(1, -(-pct * len(ordered) // 100))
    return ordered[rank - 1]


def capture_queries(client, url: str) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    return [{"sql": q["sql"], "ms": float(q["time"]) * 1000} for q in captured.captured_queries]


def weighted(rng: random.Random, weights: dict, k: int) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize() + "."


def seed(total: int) -> dict[str, int]:
    """Bulk-insert the claims and what they point at, then refresh statistics."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from claims.models import Article, Claim, Claimant
    from claims.normalize import content_hash, normalize_url

    rng = random.Random(SEED)  # noqa: S311 -- reproducible sample data, not secrets
    now = timezone.now()
    with transaction.atomic():
        user_model = get_user_model()
        unusable = make_password(None)
        reviewers = user_model.objects.bulk_create(
            user_model(username=f"bench-reviewer-{i}", password=unusable, is_staff=True) for i in range(REVIEWERS)
        )
        claimants = Claimant.objects.bulk_create(
            (
                Claimant(
                    name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i}",
                    kind=rng.choice(Claimant.Kind.values),
                    description=sentence(rng, 3, 6),
                )
                for i in range(CLAIMANTS)
            ),
            batch_size=BATCH_SIZE,
        )
        articles = []
        for i in range(ARTICLES):
            # bulk_create skips Article.save(): normalise the URL and hash the
            # text here, both unique; the leading number keeps texts distinct.
            # A few KB each, like real articles: the changelist selects the
            # text through list_select_related.
            text = f"Article {i}. " + " ".join(sentence(rng, 8, 20) for _ in range(rng.randint(30, 60)))
            articles.append(
                Article(
                    url=normalize_url(f"https://news{i % 40}.example.org/{2024 + i % 2}/story-{i}"),
                    title=sentence(rng, 4, 10),
                    text=text,
                    content_hash=content_hash(text),
                    status=Article.Status.DONE,
                    language="en",
                )
            )
        articles = Article.objects.bulk_create(articles, batch_size=BATCH_SIZE)

        claim_ids: list[int] = []
        for start in range(0, total, BATCH_SIZE):
            size = min(BATCH_SIZE, total - start)
            statuses = weighted(rng, STATUS_WEIGHTS, size)
            priorities = weighted(rng, PRIORITY_WEIGHTS, size)
            languages = weighted(rng, LANGUAGE_WEIGHTS, size)
            batch = []
            for status, priority, language in zip(statuses, priorities, languages, strict=True):
                if status == "duplicate" and not claim_ids:
                    status = "dismissed"
                text = sentence(rng, 10, 30)
                article = rng.choice(articles) if rng.random() < 0.9 else None
                batch.append(
                    Claim(
                        text=text,
                        article=article,
                        sentence=text if article else "",
                        claimant=rng.choice(claimants) if rng.random() < 0.85 else None,
                        checkworthiness=round(rng.random(), 3) if rng.random() < 0.9 else None,
                        status=status,
                        status_changed_at=now - dt.timedelta(seconds=rng.randint(0, 90 * 86400)),
                        priority=priority,
                        assignee=rng.choice(reviewers) if status in ASSIGNED_STATUSES else None,
                        duplicate_of_id=rng.choice(claim_ids) if status == "duplicate" else None,
                        language=language,
                    )
                )
            claim_ids.extend(claim.pk for claim in Claim.objects.bulk_create(batch))
        with connection.cursor() as cursor:
            # created_at is auto_now_add, so bulk_create stamps every row with
            # "now"; spread it out so ordering by it looks like a real desk.
            cursor.execute(
                "UPDATE claims_claim SET created_at = status_changed_at - random() * interval '14 days', "
                "updated_at = status_changed_at"
            )
    with connection.cursor() as cursor:
        # Outside the transaction: VACUUM cannot run inside one. Clears the
        # dead rows the UPDATE left and gives the planner real statistics.
        cursor.execute("VACUUM ANALYZE")
    return {"claims": len(claim_ids), "claimants": len(claimants), "articles": len(articles)}


def report(
    urls: list[str],
    empty: dict[str, Timing],
    loaded: dict[str, Timing],
    slowest: dict[str, list[dict]],
    *,
    counts: dict[str, int],
    seed_seconds: float,
    runs: int,
    server: str,
) -> None:
    print(f"triage_queue benchmark on {server}: {runs} timed requests after {WARMUP} warm-ups per row")
    print(
        f"seeded {counts['claims']:,} claims ({counts['claimants']:,} claimants, {counts['articles']:,} articles) "
        f"in {seed_seconds:.1f} s"
    )
    print()
    header = f"{'page':<52} {'claims':>8} {'median ms':>10} {'p90 ms':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for url in urls:
        for timing in (empty[url], loaded[url]):
            print(f"{url:<52} {timing.claims:>8,} {timing.median_ms:>10.1f} {timing.p90_ms:>8.1f} {timing.queries:>8}")
        ratio = loaded[url].median_ms / empty[url].median_ms
        queries = f"{empty[url].queries} -> {loaded[url].queries}"
        print(f"{'  ratio loaded/empty':<52} {'':>8} {ratio:>9.2f}x {'':>8} {queries:>8}")
    for url in urls:
        print()
        print(f"slowest queries at {counts['claims']:,} claims, {url}:")
        for query in sorted(slowest[url], key=lambda q: q["ms"], reverse=True)[:4]:
            sql = query["sql"] if len(query["sql"]) <= 110 else query["sql"][:109] + "…"
            print(f"  {query['ms']:6.0f} ms  {sql}")
    print()
    main_url = urls[0]
    result = {
        "benchmark": "triage_queue",
        "url": main_url,
        "server": server,
        "runs": runs,
        "warmup": WARMUP,
        "seed_seconds": round(seed_seconds, 1),
        **counts,
        "empty": asdict(empty[main_url]),
        "loaded": asdict(loaded[main_url]),
        "ratio_median": round(loaded[main_url].median_ms / empty[main_url].median_ms, 2),
        "others": [
            {
                "url": url,
                "empty": asdict(empty[url]),
                "loaded": asdict(loaded[url]),
                "ratio_median": round(loaded[url].median_ms / empty[url].median_ms, 2),
            }
            for url in urls[1:]
        ],
    }
    print(json.dumps(result))
    sys.stdout.flush()


def explain(queries: list[dict]) -> None:
    from django.db import connection

    for query in queries:
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
        print(f"\n{query['sql']}\n    {plan}")


if __name__ == "__main__":
    sys.exit(main())
