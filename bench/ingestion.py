"""How many articles per second ingestion gets through, against its floor.

Writes distinct news pages (breadcrumbs, headline, captioned photo, 8-15
paragraphs, "Read more" asides, footers) as local HTML files, then times two
paths over the same files:

- floor: read the file, extract its text (trafilatura) and split it into
  sentences; no scoring, no database;
- full: the real pipeline on PostgreSQL, in-process without a broker, in
  batches of 50 as `manage.py ingest --sync` takes files: ``prepare_article``
  for each (the same text extraction, and metadata), ``submit_articles``
  (article and outbox rows, outlets, duplicate look-ups; with the text in
  hand nothing is fetched) and ``extract_many`` (scoring, attribution,
  claimant and claim rows), one transaction each.

Each round times both paths on fresh files, after a few warm-up articles
that are not counted; the median round is reported, with the full rate as a
share of the floor's (the aim is at least half). Machines are shared and
noisy, so only that ratio means much; nothing here asserts a limit.

The script creates its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://root@127.0.0.1:5432/factcheck_bench) and drops it at the end, even
on failure. Run it with `make bench`; `python -m bench.ingestion --help`
lists the knobs.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import html
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import bench_database, server_version, throwaway_database

ARTICLES = 200
ROUNDS = 5
WARMUP = 10
QUERY_SAMPLE = 5
TARGET_RATIO = 0.5
SEED = 20240527
# A real page, read at run time when present: the first warm-up article.
SEED_PAGE = Path("/work/shared/data/seed/000_421e45027504a804.html")

# --- article generator ----------------------------------------------------------------

OUTLETS = ("Press Desk", "The Daily Ledger", "Evening Courier", "Metro Wire", "Northern Herald", "Coastal Times")
SECTIONS = ("World", "Politics", "Economy", "Health", "Europe", "Africa", "Americas", "Asia", "Climate")
FIRST_NAMES = (
    "Anna Marek Sofia David Leila Tomas Ingrid Rafael Amara Yusuf Helen Pavel Nadia Oliver Chen Maria Samuel "
    "Fatima Lucas Irene Kwame Elena Jonas Priya"
).split()
LAST_NAMES = (
    "Kowalski Novak Haddad Okafor Lindqvist Moreau Brennan Costa Petrov Mensah Alvarez Schmidt Tanaka Rossi "
    "Horvat Byrne Karimi Nielsen Duarte Weber Osei Varga Romano Ibrahim"
).split()
ROLES = (
    "Finance Minister",
    "Health Minister",
    "Defense Minister",
    "Prime Minister",
    "Secretary-General",
    "Mayor",
    "opposition leader",
    "central bank governor",
    "Foreign Minister",
    "Energy Minister",
)
COUNTRIES = (
    ("Poland", "Polish"),
    ("Kenya", "Kenyan"),
    ("Brazil", "Brazilian"),
    ("Canada", "Canadian"),
    ("Japan", "Japanese"),
    ("Norway", "Norwegian"),
    ("Egypt", "Egyptian"),
    ("Chile", "Chilean"),
    ("Vietnam", "Vietnamese"),
    ("Ghana", "Ghanaian"),
    ("Portugal", "Portuguese"),
    ("Turkey", "Turkish"),
)
CITIES = ("Warsaw", "Nairobi", "Lisbon", "Oslo", "Santiago", "Hanoi", "Accra", "Ankara", "Sofia", "Geneva", "Brussels")
ORGANIZATIONS = (
    "the Interior Ministry",
    "the central bank",
    "the national statistics office",
    "the World Health Organization",
    "the European Commission",
    "the International Monetary Fund",
    "the electoral commission",
    "the Interfax news agency",
)
METRICS = (
    "unemployment",
    "inflation",
    "the budget deficit",
    "public debt",
    "energy prices",
    "hospital waiting times",
    "violent crime",
    "exports",
    "wheat production",
    "average wages",
    "carbon emissions",
    "housing starts",
)
GROUPS = ("voters", "households", "teachers", "nurses", "farmers", "small businesses", "pensioners", "students")
PLANS = ("the pension reform", "the new border law", "the carbon tax", "the housing plan", "the wage freeze")
EVENTS = ("press conference", "party congress", "summit", "parliamentary hearing", "business forum")
MONTHS = ("January February March April May June July August September October November December").split()
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
CREDITS = ("AFP", "Reuters", "AP", "EPA", "Getty Images", "file photo")


@dataclass(frozen=True)
class Cast:
    """The people, places and numbers one article is about."""

    person: str
    role: str
    other: str
    other_role: str
    country: str
    adjective: str
    city: str
    organization: str
    metric: str
    plan: str
    group: str
    year: int
    month: str
    weekday: str


def _cast(rng: random.Random) -> Cast:
    person, other = (f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(2))
    role, other_role = rng.sample(ROLES, 2)
    country, adjective = rng.choice(COUNTRIES)
    return Cast(
        person=person,
        role=role,
        other=other,
        other_role=other_role,
        country=country,
        adjective=adjective,
        city=rng.choice(CITIES),
        organization=rng.choice(ORGANIZATIONS),
        metric=rng.choice(METRICS),
        plan=rng.choice(PLANS),
        group=rng.choice(GROUPS),
        year=rng.randint(2015, 2023),
        month=rng.choice(MONTHS),
        weekday=rng.choice(WEEKDAYS),
    )


def _surname(name: str) -> str:
    return name.split()[-1]


# Sentence templates: statements with numbers (what the scorer looks for),
# reported speech in several shapes (what attribution resolves), and the
# outlet's own background, questions and short lines.
def _claim_clause(rng: random.Random, c: Cast) -> str:
    return rng.choice(
        (
            f"{c.metric} had {rng.choice(('risen', 'fallen'))} by {rng.randint(2, 19)}.{rng.randint(0, 9)} percent since {c.year}",
            f"more than {rng.randint(2, 95) * 1000:,} {c.group} had been affected by {c.plan} in the first {rng.randint(2, 11)} months",
            f"the government spent {rng.randint(2, 60)} billion dollars on {c.metric.removeprefix('the ')} last year, the most since {c.year}",
            f"{rng.randint(11, 89)} percent of {c.group} supported {c.plan}",
            f"{c.country} now has the {rng.choice(('highest', 'lowest'))} {c.metric.removeprefix('the ')} in the region",
            f"{c.metric} was {rng.choice(('twice', 'three times', 'half'))} what it had been in {c.year}",
        )
    )


def _sentence(rng: random.Random, c: Cast) -> str:
    clause = _claim_clause(rng, c)
    quote = clause[0].upper() + clause[1:]
    return rng.choice(
        (
            f"“{quote},” {c.role} {c.person} said at a {rng.choice(EVENTS)} in {c.city} on {c.weekday}.",
            f"{c.person} told reporters in {c.city} that {clause}.",
            f"According to {c.organization}, {clause}.",
            f"{c.other_role} {c.other} said {clause}.",
            f"“{quote},” {_surname(c.person)} added.",
            f"{c.organization[0].upper() + c.organization[1:]} said {clause}.",
            f"The {c.adjective} {c.other_role.lower()} warned that {clause}.",
            f"Figures published in {c.month} show that {clause}.",
            f"Critics say {c.plan} has done little for {c.group}, who have protested in {c.city} for {rng.randint(2, 30)} weeks.",
            f"{c.person} has been urging {c.group} to back {c.plan} before the vote in {c.month}.",
            f"The debate over {c.plan} has divided the governing coalition in {c.country} for months.",
            f"Will {c.plan} survive the {rng.choice(EVENTS)} in {c.city}?",
            f"{c.other} refrained from giving further details.",
            f"The {c.adjective} government has not yet responded to the figures.",
        )
    )


def _paragraph(rng: random.Random, c: Cast, used: set[str]) -> str:
    sentences: list[str] = []
    # Real articles rarely repeat a sentence word for word.
    for _ in range(rng.randint(1, 3)):
        for _attempt in range(10):
            sentence = _sentence(rng, c)
            if sentence not in used:
                used.add(sentence)
                sentences.append(sentence)
                break
    return " ".join(sentences) or _sentence(rng, c)


def article_page(index: int) -> str:
    """A news page that no other index produces: its text, title and numbers differ."""
    rng = random.Random(SEED * 1_000_003 + index)  # noqa: S311 -- reproducible sample text, not secrets
    c = _cast(rng)
    outlet = rng.choice(OUTLETS)
    section = rng.choice(SECTIONS)
    published = dt.date(2024, 1, 1) + dt.timedelta(days=index % 366)
    # The lead carries the article's number, so no two texts are the same.
    affected = 10_000 + index * 37 + rng.randint(0, 36)
    headline = f"{c.person}: {c.plan[0].upper() + c.plan[1:]} has cost {c.country} {affected:,} jobs"
    lead = (
        f"{c.adjective} {c.role} {c.person} says {c.plan} has cost {affected:,} jobs since it took effect in "
        f"{c.month} {c.year}, more than {c.organization} had forecast."
    )
    used: set[str] = set()
    body = [lead] + [_paragraph(rng, c, used) for _ in range(rng.randint(7, 14))]
    caption = (
        f"{c.role[0].upper() + c.role[1:]} {c.person} speaks during a {rng.choice(EVENTS)} in {c.city} "
        f"on {c.month} {rng.randint(1, 28)}, {c.year + 1}. ({rng.choice(CREDITS)})"
    )
    blocks = []
    asides = sorted(rng.sample(range(2, len(body)), k=rng.randint(1, 2)))
    for number, paragraph in enumerate(body):
        if number in asides:
            blocks.append('<aside class="read-more">Read more:</aside>')
        blocks.append(f"<p>{html.escape(paragraph, quote=False)}</p>")
    e = html.escape
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(headline)} - {e(outlet)}</title>
<meta property="og:site_name" content="{e(outlet)}">
<meta property="og:title" content="{e(headline)}">
<meta name="description" content="{e(lead)}">
<meta name="author" content="{e(rng.choice(FIRST_NAMES))} {e(rng.choice(LAST_NAMES))}">
<meta property="article:published_time" content="{published.isoformat()}T{rng.randint(6, 22):02d}:15:00Z">
</head><body>
<nav class="breadcrumb"><a href="/News">News</a> / <a href="/Section/{section}">{section}</a> / <a href="/More">More</a></nav>
<article>
<h1>{e(headline)}</h1>
<figure><figcaption>{e(caption)}</figcaption></figure>
{chr(10).join(blocks)}
<footer>{e(outlet)}’s website can also be accessed at the following alternate addresses:</footer>
<footer>© {published.year} {e(outlet)}. All rights reserved.</footer>
</article></body></html>
"""


def write_articles(directory: Path, indexes: range) -> list[tuple[int, Path]]:
    files = []
    for index in indexes:
        path = directory / f"{index:05d}.html"
        path.write_text(article_page(index), encoding="utf-8")
        files.append((index, path))
    return files


# --- measurement ------------------------------------------------------------------------


@dataclass
class Round:
    articles: int
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step, summed over the articles
    claims: int = 0
    statement_seconds: float = 0.0  # of which waiting on SQL statements (not commits)
    # CPU seconds of this process and of the database backend serving it (None
    # when the backend's /proc entry cannot be read): steadier than the time
    # taken on a busy machine, so a second view of the ratio.
    cpu_seconds: float = 0.0
    backend_cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def floor_round(files: list[tuple[int, Path]]) -> Round:
    from claims.extraction.article_text import extract_document
    from claims.extraction.candidates import split_sentences
    from claims.intake.sources import read_source

    steps: Counter[str] = Counter()
    cpu = time.process_time()
    started = time.perf_counter()
    for index, path in files:
        t0 = time.perf_counter()
        page = read_source(str(path)).html
        t1 = time.perf_counter()
        # The same URL the full path submits, so trafilatura does the same work.
        document = extract_document(page, url=f"https://bench.example/{index}")
        t2 = time.perf_counter()
        sentences = split_sentences(document.text, language=document.language or "en")
        t3 = time.perf_counter()
        if not sentences:
            raise SystemExit(f"bench: no sentences extracted from {path}; is the generated page well formed?")
        steps["read"] += t1 - t0
        steps["extract_document"] += t2 - t1
        steps["split_sentences"] += t3 - t2
    seconds = time.perf_counter() - started
    return Round(len(files), seconds, dict(steps), cpu_seconds=time.process_time() - cpu)


BATCH = 50  # as `manage.py ingest --sync` does: one transaction per batch of files


def ingest_batch(batch: list[tuple[int, Path]], steps: Counter[str] | None = None) -> int:
    """Files through the pipeline the way `ingest --sync` takes them; returns the claims created."""
    from claims.intake import ingestion
    from claims.intake.sources import read_source

    t0 = time.perf_counter()
    pages = [(index, read_source(str(path)).html) for index, path in batch]
    t1 = time.perf_counter()
    # The same URL the floor passes, so trafilatura does the same work.
    drafts = [ingestion.prepare_article(html=page, url=f"https://bench.example/{index}") for index, page in pages]
    t2 = time.perf_counter()
    submissions = ingestion.submit_articles(drafts)  # one transaction
    ids = []
    for (index, _), submission in zip(pages, submissions, strict=True):
        if not submission.created:
            raise SystemExit(f"bench: article {index} matched an earlier one by {submission.matched_by}")
        # With the text in hand nothing is fetched: submit queues extraction directly.
        if submission.article.status != "extracting":
            raise SystemExit(f"bench: article {index} was saved as {submission.article.status!r}")
        ids.append(submission.article.pk)
    t3 = time.perf_counter()
    created = ingestion.extract_many(ids)  # one transaction
    t4 = time.perf_counter()
    if steps is not None:
        steps["read"] += t1 - t0
        steps["prepare_article"] += t2 - t1
        steps["submit_articles"] += t3 - t2
        steps["extract_many"] += t4 - t3
    return created


def ingest_one(index: int, path: Path, steps: Counter[str] | None = None) -> int:
    return ingest_batch([(index, path)], steps)


def full_round(files: list[tuple[int, Path]]) -> Round:
    from django.db import connection

    steps: Counter[str] = Counter()
    statements = 0.0

    def time_statement(execute, sql, params, many, context):
        # Commits are not statements: their fsync wait is not counted here.
        nonlocal statements
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements += time.perf_counter() - started

    claims = 0
    backend = backend_cpu_reader()
    backend_before = backend()
    cpu = time.process_time()
    started = time.perf_counter()
    with connection.execute_wrapper(time_statement):
        for start in range(0, len(files), BATCH):
            claims += ingest_batch(files[start : start + BATCH], steps)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    backend_after = backend()
    backend_cpu = None if backend_before is None or backend_after is None else backend_after - backend_before
    return Round(len(files), seconds, dict(steps), claims, statements, cpu, backend_cpu)


def backend_cpu_reader():
    """A function giving the CPU seconds the database backend of this connection
    has used, or None where its process cannot be read (another host)."""
    import os

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return read


def count_queries(singles: list[tuple[int, Path]], batch: list[tuple[int, Path]]) -> dict[str, dict[str, float]]:
    """Statements per article and step, outside the timed rounds (capturing
    switches on the debug cursor): one article at a time over ``singles``
    (``submit_article`` and ``extract``, as the admin, the API and the Celery
    tasks take them), and as the timed path takes ``batch``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.intake import ingestion
    from claims.intake.sources import read_source

    single: Counter[str] = Counter()
    for index, path in singles:
        page = read_source(str(path)).html
        with CaptureQueriesContext(connection) as captured:
            article = ingestion.submit_article(html=page, url=f"https://bench.example/{index}").article
        single["submit_article"] += len(captured)
        with CaptureQueriesContext(connection) as captured:
            ingestion.extract(article.pk)
        single["extract"] += len(captured)

    batched: Counter[str] = Counter()
    drafts = [
        ingestion.prepare_article(html=read_source(str(path)).html, url=f"https://bench.example/{index}")
        for index, path in batch
    ]
    with CaptureQueriesContext(connection) as captured:
        submissions = ingestion.submit_articles(drafts)
    batched["submit_articles"] += len(captured)
    with CaptureQueriesContext(connection) as captured:
        ingestion.extract_many([submission.article.pk for submission in submissions])
    batched["extract_many"] += len(captured)

    def per_article(counts: Counter[str], articles: int) -> dict[str, float]:
        return {"total": round(sum(counts.values()) / articles, 2)} | {
            step: round(total / articles, 2) for step, total in counts.items()
        }

    return {"single": per_article(single, len(singles)), "batch": per_article(batched, len(batch))}


def profile(files: list[tuple[int, Path]], limit: int = 30) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    # Batches, as the timed rounds take them.
    for start in range(0, len(files), BATCH):
        ingest_batch(files[start : start + BATCH])
    profiler.disable()
    print(
        f"\nprofile of the full path over {len(files)} articles in batches of {BATCH} (cProfile, sorted by own time):"
    )
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingestion", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=ARTICLES, help=f"articles per round (default {ARTICLES})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"timed rounds, median reported (default {ROUNDS})")
    parser.add_argument("--warmup", type=int, default=WARMUP, help=f"uncounted warm-up articles (default {WARMUP})")
    parser.add_argument(
        "--profile", action="store_true", help="also profile the full path over one more round and print the top"
    )
    args = parser.parse_args(argv)
    if args.articles < 1 or args.rounds < 1 or args.warmup < 1:
        parser.error("--articles, --rounds and --warmup must be at least 1")

    database_url, database_name = bench_database(parser)
    with (
        throwaway_database(database_url, database_name),
        tempfile.TemporaryDirectory(prefix="factcheck-bench-articles-") as directory,
    ):
        return run(args, Path(directory))


def run(args: argparse.Namespace, directory: Path) -> int:
    import django

    django.setup()

    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", interactive=False, verbosity=0)

    started = time.perf_counter()
    n = args.articles
    warmup = write_articles(directory, range(args.warmup))
    if SEED_PAGE.is_file():
        warmup[0] = (0, SEED_PAGE)
    rounds = [
        write_articles(directory, range(args.warmup + r * n, args.warmup + (r + 1) * n)) for r in range(args.rounds)
    ]
    after = args.warmup + args.rounds * n
    query_sample = write_articles(directory, range(after, after + QUERY_SAMPLE))
    after += QUERY_SAMPLE
    query_batch = write_articles(directory, range(after, after + BATCH))
    after += BATCH
    profile_sample = write_articles(directory, range(after, after + n)) if args.profile else []
    generate_seconds = time.perf_counter() - started
    page_kb = statistics.mean(path.stat().st_size for _, path in rounds[0]) / 1024

    # No broker and CELERY_TASK_ALWAYS_EAGER off: enqueue only writes the outbox
    # row, and the benchmark calls each step itself, as a worker would.
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        floor_round(warmup)
        full_round(warmup)
        floors, fulls = [], []
        # Interleaved, so a noisy neighbour slows both paths alike.
        for files in rounds:
            floors.append(floor_round(files))
            fulls.append(full_round(files))
        queries = count_queries(query_sample, query_batch)
        report(
            floors,
            fulls,
            queries,
            articles=n,
            warmup=args.warmup,
            page_kb=page_kb,
            generate_seconds=generate_seconds,
            server=server_version(),
        )
        if args.profile:
            profile(profile_sample)
    return 0


def _median_round(rounds: list[Round]) -> Round:
    return sorted(rounds, key=lambda r: r.rate)[len(rounds) // 2]


def report(
    floors: list[Round],
    fulls: list[Round],
    queries: dict[str, dict[str, float]],
    *,
    articles: int,
    warmup: int,
    page_kb: float,
    generate_seconds: float,
    server: str,
) -> None:
    floor, full = _median_round(floors), _median_round(fulls)
    ratio = full.rate / floor.rate
    claims = sum(r.claims for r in fulls)
    total_articles = sum(r.articles for r in fulls)

    def steps_ms(r: Round) -> dict[str, float]:
        return {step: round(seconds * 1000 / r.articles, 2) for step, seconds in r.steps.items()}

    def statement_ms(r: Round) -> float:
        return round(r.statement_seconds * 1000 / r.articles, 2)

    print(
        f"ingestion benchmark on {server}: {len(floors)} rounds of {articles} articles (median round), "
        f"{warmup} warm-up articles"
    )
    print(f"generated local HTML pages of {page_kb:.1f} KB on average in {generate_seconds:.1f} s")
    print()
    header = f"{'path':<44} {'articles/s':>10} {'ms/article':>10}  {'rounds (articles/s)':<22}"
    print(header)
    print("-" * len(header))
    for name, median, every in (
        ("floor: read + extract_document + split", floor, floors),
        ("full: in batches of 50, PostgreSQL", full, fulls),
    ):
        rates = ", ".join(f"{r.rate:.1f}" for r in every)
        print(f"{name:<44} {median.rate:>10.1f} {1000 / median.rate:>10.2f}  {rates:<22}")
        print("    " + ", ".join(f"{step} {ms:.2f}" for step, ms in steps_ms(median).items()) + " ms/article")
        if median.statement_seconds:
            print(
                f"    of which waiting on SQL statements (not commits, nor the claims' COPY) "
                f"{statement_ms(median):.2f} ms/article"
            )
    verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
    # Each round's own ratio too: its two paths ran back to back, so they shared the machine's load.
    round_ratios = [full_round.rate / floor_round.rate for floor_round, full_round in zip(floors, fulls, strict=True)]
    print(
        f"{'  ratio full/floor (medians)':<44} {ratio:>9.2f}x {'':>10}  {verdict} the {TARGET_RATIO:.2f}x target; "
        f"per round {', '.join(f'{r:.2f}' for r in round_ratios)}"
    )
    floor_cpu = sum(r.cpu_seconds for r in floors) * 1000 / sum(r.articles for r in floors)
    full_cpu = sum(r.cpu_seconds for r in fulls) * 1000 / total_articles
    backend_cpu = (
        None
        if any(r.backend_cpu_seconds is None for r in fulls)
        else sum(r.backend_cpu_seconds for r in fulls) * 1000 / total_articles
    )
    cpu_ratio = floor_cpu / (full_cpu + (backend_cpu or 0.0))
    print(
        f"  CPU, all rounds: floor {floor_cpu:.2f} ms/article; full {full_cpu:.2f} in this process"
        + (f" + {backend_cpu:.2f} in the database backend" if backend_cpu is not None else "")
        + f"; ratio {cpu_ratio:.2f}x (a second view, steadier on a busy machine)"
    )
    print()
    print(
        f"claims written: {claims:,} over {total_articles:,} timed articles ({claims / total_articles:.1f} per article)"
    )
    for path, label in (("single", f"one at a time (mean of {QUERY_SAMPLE})"), ("batch", f"in a batch of {BATCH}")):
        counts = queries[path]
        print(
            f"statements per article, {label}: {counts['total']:g} = "
            + " + ".join(f"{step} {count:g}" for step, count in counts.items() if step != "total")
        )
    print()
    result = {
        "benchmark": "ingestion",
        "server": server,
        "articles": articles,
        "rounds": len(floors),
        "warmup": warmup,
        "page_kb": round(page_kb, 1),
        "floor": {
            "articles_per_s": round(floor.rate, 1),
            "ms_per_article": round(1000 / floor.rate, 2),
            "steps_ms": steps_ms(floor),
            "rounds": [round(r.rate, 1) for r in floors],
        },
        "full": {
            "articles_per_s": round(full.rate, 1),
            "ms_per_article": round(1000 / full.rate, 2),
            "steps_ms": steps_ms(full),
            "sql_statements_ms": statement_ms(full),
            "rounds": [round(r.rate, 1) for r in fulls],
            "claims": claims,
            "claims_per_article": round(claims / total_articles, 2),
        },
        "ratio": round(ratio, 2),
        "round_ratios": [round(r, 2) for r in round_ratios],
        "cpu_ms_per_article": {
            "floor": round(floor_cpu, 2),
            "full": round(full_cpu, 2),
            "full_database_backend": None if backend_cpu is None else round(backend_cpu, 2),
            "ratio": round(cpu_ratio, 2),
        },
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "statements_per_article": queries,
    }
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
