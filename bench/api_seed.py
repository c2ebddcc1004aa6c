"""Bulk-loads published fact-checks for the API benchmark, with COPY.

The rows are what the workflow leaves behind (claims/review/workflow.py): a published
claim with its public slug and version, the published verdict revision on the
default scale (approved by an editor, written by a reviewer), 2-4 evidence
items added before publication (most archived), an article appearance with
its outlet, usually a claimant; some claims corrected (revision 1 superseded,
revision 2 published with a public note and a source added for it), some with a
correction under way (a draft revision and a private source), some with
duplicates that add appearances; plus candidates, duplicates and drafts the
public must never see. One audit event per publication.

Every column the seeder does not fill gets the model field's default, so a
field added to a model later does not break the benchmark; a required field
without a default stops it with a message naming the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

WORDS = (
    "minister government percent million billion tax budget health vaccine hospital school crime border "
    "election vote turnout unemployment inflation prices wages energy gas oil climate emissions army troops "
    "sanctions exports imports growth debt deficit pension refugees migrants police court ruling law bill "
    "parliament president mayor city region country year month record highest lowest doubled halved rose "
    "fell since last never always every new old official report data study survey poll"
).split()
LANGUAGES = {"en": 70, "ar": 6, "es": 6, "fr": 6, "ru": 5, "uk": 5, "": 2}
RATING_WEIGHTS = {"True": 12, "Mostly true": 14, "Half true": 18, "Mostly false": 20, "False": 26, "Misleading": 7}
STANCES = ("supports", "refutes", "context", "mixed")
SOURCE_TYPES = ("primary_document", "official_statement", "dataset", "expert", "news_report", "other")
SEED = 20261101

OUTLETS = 400
CLAIMANTS = 6_000
REVIEWERS = 20
CANDIDATES = 20_000  # claims waiting in triage: never public
IN_RESEARCH = 2_000  # claims with a draft verdict: never public
DUPLICATE_SHARE = 0.04  # duplicates of published claims, each adding an appearance
CORRECTED_SHARE = 0.02  # revision 2 published, revision 1 superseded
CORRECTING_SHARE = 0.005  # revision 1 public, revision 2 a draft under way
YEARS = 5


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize() + "."


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def copy_rows(cursor, model, columns: list[str], rows) -> int:
    """COPY rows into the model's table; columns not given get the field's default."""
    from django.db import connection
    from django.utils import timezone

    fields = {field.column: field for field in model._meta.concrete_fields}
    unknown = set(columns) - set(fields)
    if unknown:
        raise SystemExit(f"bench.api: {model.__name__} has no column(s) {sorted(unknown)}; update bench/api_seed.py")
    constants = {}
    now = timezone.now()
    for column, field in fields.items():
        if column in columns or field.null or field is model._meta.auto_field:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            constants[column] = now
            continue
        value = field.get_default()
        if value is None:
            raise SystemExit(
                f"bench.api: {model.__name__}.{field.name} is required and has no default; "
                "bench/api_seed.py must fill it"
            )
        constants[column] = field.get_db_prep_save(value, connection)
    names = [*columns, *constants]
    tail = tuple(constants.values())
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    count = 0
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *tail))
            count += 1
    return count


def reset_sequences(cursor, models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    for sql in connection.ops.sequence_reset_sql(no_style(), models):
        cursor.execute(sql)


def seed(total: int) -> dict[str, int]:
    """Load ``total`` published fact-checks and the rest of a working desk; returns row counts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from claims.models import Article, Claim, Claimant, Evidence, Outlet, Rating, ReviewEvent, Verdict
    from claims.normalize import content_hash

    rng = random.Random(SEED)  # noqa: S311 -- reproducible sample data, not secrets
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    user_model = get_user_model()
    ratings = {r.label: r for r in Rating.objects.filter(scale__is_default=True)}
    rating_labels = list(RATING_WEIGHTS)
    counts: dict[str, int] = {}

    # A pool of paragraphs: article texts and archived snapshots are a few KB,
    # like real ones, without generating every word of them.
    paragraphs = [" ".join(sentence(rng, 8, 20) for _ in range(8)) for _ in range(400)]

    with transaction.atomic(), connection.cursor() as cursor:
        unusable = make_password(None)
        editor = user_model.objects.create(username="bench-editor", password=unusable, is_staff=True)
        reviewers = user_model.objects.bulk_create(
            user_model(username=f"bench-reviewer-{i}", password=unusable, is_staff=True) for i in range(REVIEWERS)
        )
        reviewer_ids = [r.pk for r in reviewers]

        counts["outlets"] = copy_rows(
            cursor,
            Outlet,
            ["id", "name", "domain"],
            (
                (i, f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i}", f"news{i}.example")
                for i in range(1, OUTLETS + 1)
            ),
        )
        claimant_kinds = ("person",) * 6 + ("organization",) * 3 + ("other",)
        counts["claimants"] = copy_rows(
            cursor,
            Claimant,
            ["id", "name", "kind", "description"],
            (
                (
                    i,
                    f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i}",
                    rng.choice(claimant_kinds),
                    sentence(rng, 3, 6) if rng.random() < 0.7 else "",
                )
                for i in range(1, CLAIMANTS + 1)
            ),
        )

        published_ids = list(range(1, total + 1))
        duplicates = int(total * DUPLICATE_SHARE)
        # One article per published claim on average (some share one), plus
        # the ones the duplicates and the unpublished claims came from.
        article_total = int(total * 0.8) + duplicates + CANDIDATES // 2

        def articles():
            for i in range(1, article_total + 1):
                text = f"Article {i}. " + " ".join(rng.choices(paragraphs, k=rng.randint(2, 4)))
                when = start + dt.timedelta(seconds=rng.random() * span)
                outlet = rng.randint(1, OUTLETS)
                yield (
                    i,
                    f"https://news{outlet}.example/{when:%Y/%m}/story-{i}",
                    f"https://news{outlet}.example/story-{i}" if rng.random() < 0.3 else "",
                    sentence(rng, 5, 12)[:-1],
                    outlet if rng.random() < 0.97 else None,
                    when if rng.random() < 0.9 else None,
                    "en",
                    text,
                    content_hash(text),
                    "done",
                    when,
                    when,
                )

        counts["articles"] = copy_rows(
            cursor,
            Article,
            [
                "id",
                "url",
                "canonical_url",
                "title",
                "outlet_id",
                "published_at",
                "language",
                "text",
                "content_hash",
                "status",
                "created_at",
                "updated_at",
            ],
            articles(),
        )

        # Publication times: distinct, spread over the years; claims get ids
        # in publication order, as they would on a real desk (roughly).
        published_at = sorted(start + dt.timedelta(seconds=rng.random() * span) for _ in published_ids)
        corrected = set(rng.sample(published_ids, int(total * CORRECTED_SHARE)))
        correcting = set(rng.sample([i for i in published_ids if i not in corrected], int(total * CORRECTING_SHARE)))
        headlines = {}

        def claims():
            for claim_id, when in zip(published_ids, published_at, strict=True):
                headline = sentence(rng, 4, 10)[:-1][:200]
                headlines[claim_id] = headline
                text = sentence(rng, 10, 30)
                article = rng.randint(1, article_total) if rng.random() < 0.97 else None
                created = when - dt.timedelta(days=rng.randint(2, 20))
                # Versions: accept, assign, start, submit, approve (+ correct, submit, approve).
                version = 6 + (3 if claim_id in corrected else 0) + (1 if claim_id in correcting else 0)
                yield (
                    claim_id,
                    text,
                    article,
                    text if article else "",
                    rng.randint(1, CLAIMANTS) if rng.random() < 0.9 else None,
                    (created - dt.timedelta(days=1)).date() if rng.random() < 0.6 else None,
                    round(rng.random(), 3),
                    "in_research" if claim_id in correcting else "published",
                    when,
                    1,
                    rng.choice(reviewer_ids),
                    None,
                    rng.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0],
                    f"{slugify(headline)[:100].strip('-') or 'fact-check'}-{claim_id}",
                    version,
                    created,
                    when,
                )
            next_id = total + 1
            for _ in range(duplicates):
                original = rng.choice(published_ids)
                created = published_at[original - 1] + dt.timedelta(days=rng.randint(1, 30))
                text = sentence(rng, 10, 30)
                yield (
                    next_id,
                    text,
                    rng.randint(1, article_total),
                    text,
                    None,
                    None,
                    0.4,
                    "duplicate",
                    created,
                    1,
                    None,
                    original,
                    "en",
                    None,
                    2,
                    created,
                    created,
                )
                next_id += 1
            for status, n in (("candidate", CANDIDATES), ("in_research", IN_RESEARCH)):
                for _ in range(n):
                    created = now - dt.timedelta(seconds=rng.random() * 90 * 86400)
                    text = sentence(rng, 10, 30)
                    article = rng.randint(1, article_total)
                    assignee = rng.choice(reviewer_ids) if status == "in_research" else None
                    yield (
                        next_id,
                        text,
                        article,
                        text,
                        rng.randint(1, CLAIMANTS),
                        None,
                        round(rng.random(), 3),
                        status,
                        created,
                        1,
                        assignee,
                        None,
                        "en",
                        None,
                        1 if status == "candidate" else 4,
                        created,
                        created,
                    )
                    next_id += 1

        counts["claims"] = copy_rows(
            cursor,
            Claim,
            [
                "id",
                "text",
                "article_id",
                "sentence",
                "claimant_id",
                "claimed_on",
                "checkworthiness",
                "status",
                "status_changed_at",
                "priority",
                "assignee_id",
                "duplicate_of_id",
                "language",
                "slug",
                "version",
                "created_at",
                "updated_at",
            ],
            claims(),
        )

        verdict_columns = [
            "claim_id",
            "revision",
            "rating_id",
            "headline",
            "summary",
            "explanation",
            "author_id",
            "approver_id",
            "status",
            "publish_at",
            "published_at",
            "correction_note",
            "retraction_reason",
            "retracted_at",
            "created_at",
            "updated_at",
        ]
        evidence_columns = [
            "claim_id",
            "url",
            "title",
            "publisher",
            "excerpt",
            "stance",
            "source_type",
            "added_by_id",
            "added_at",
            "snapshot_text",
            "snapshot_sha256",
            "snapshot_text_sha256",
            "snapshot_http_status",
            "snapshot_final_url",
            "snapshot_fetched_at",
            "snapshot_error",
        ]
        verdicts, evidence, events = [], [], []

        def source(claim_id: int, n: int, added: dt.datetime, by: int) -> tuple:
            host = f"source{rng.randint(1, 3000)}.example"
            url = f"https://{host}/{rng.choice(WORDS)}/{claim_id}-{n}"
            if rng.random() < 0.6:
                snapshot = f"{url}\n" + rng.choice(paragraphs)
                fetched = added + dt.timedelta(minutes=rng.randint(1, 30))
                archived = (snapshot, sha(snapshot + "<html>"), sha(snapshot), 200, url, fetched)
            else:
                archived = ("", "", "", None, "", None)
            return (
                claim_id,
                url,
                sentence(rng, 3, 8)[:-1],
                f"Publisher {host}",
                sentence(rng, 8, 25),
                rng.choice(STANCES),
                rng.choice(SOURCE_TYPES),
                by,
                added,
                *archived,
                "",
            )

        for claim_id, when in zip(published_ids, published_at, strict=True):
            author = rng.choice(reviewer_ids)
            rating = ratings[rng.choices(rating_labels, weights=list(RATING_WEIGHTS.values()))[0]].pk
            summary = sentence(rng, 15, 40)
            explanation = " ".join(rng.choices(paragraphs, k=2))
            for n in range(rng.randint(2, 4)):
                evidence.append(source(claim_id, n, when - dt.timedelta(days=1, seconds=rng.randint(0, 86400)), author))
            first = (
                claim_id,
                1,
                rating,
                headlines[claim_id],
                summary,
                explanation,
                author,
                editor.pk,
                "published",
                None,
                when,
                "",
                "",
                None,
                when - dt.timedelta(days=1),
                when,
            )
            events.append(
                (
                    claim_id,
                    "claims.verdict.published",
                    "in_review",
                    "published",
                    editor.pk,
                    editor.username,
                    "",
                    {"action": "approve", "revision": 1},
                    when,
                )
            )
            if claim_id in corrected:
                fixed = when + dt.timedelta(days=rng.randint(1, 60), seconds=rng.randint(0, 86400))
                if fixed > now:
                    fixed = when + (now - when) / 2
                evidence.append(source(claim_id, 9, fixed - dt.timedelta(hours=2), author))
                verdicts.append((*first[:8], "superseded", *first[9:15], fixed))
                verdicts.append(
                    (
                        claim_id,
                        2,
                        rating,
                        headlines[claim_id],
                        summary,
                        explanation + " Corrected.",
                        author,
                        editor.pk,
                        "published",
                        None,
                        fixed,
                        f"We corrected {sentence(rng, 4, 8).lower()}",
                        "",
                        None,
                        fixed - dt.timedelta(hours=1),
                        fixed,
                    )
                )
                events.append(
                    (
                        claim_id,
                        "claims.verdict.published",
                        "in_review",
                        "published",
                        editor.pk,
                        editor.username,
                        "",
                        {"action": "approve", "revision": 2},
                        fixed,
                    )
                )
            else:
                verdicts.append(first)
            if claim_id in correcting:
                # A correction under way: its draft and its new source stay private.
                evidence.append(source(claim_id, 8, now - dt.timedelta(hours=3), author))
                verdicts.append(
                    (
                        claim_id,
                        2,
                        rating,
                        headlines[claim_id],
                        summary,
                        explanation,
                        author,
                        None,
                        "draft",
                        None,
                        None,
                        "",
                        "",
                        None,
                        now - dt.timedelta(hours=4),
                        now - dt.timedelta(hours=3),
                    )
                )
        first_in_research = total + duplicates + CANDIDATES + 1
        for claim_id in range(first_in_research, first_in_research + IN_RESEARCH):
            rating = ratings[rng.choice(rating_labels)].pk
            verdicts.append(
                (
                    claim_id,
                    1,
                    rating,
                    sentence(rng, 4, 10)[:-1],
                    sentence(rng, 15, 40),
                    rng.choice(paragraphs),
                    rng.choice(reviewer_ids),
                    None,
                    "draft",
                    None,
                    None,
                    "",
                    "",
                    None,
                    now,
                    now,
                )
            )
            evidence.append(source(claim_id, 0, now, reviewer_ids[0]))

        counts["verdicts"] = copy_rows(cursor, Verdict, verdict_columns, verdicts)
        counts["evidence"] = copy_rows(cursor, Evidence, evidence_columns, evidence)
        from psycopg.types.json import Jsonb

        counts["review_events"] = copy_rows(
            cursor,
            ReviewEvent,
            [
                "claim_id",
                "action",
                "from_status",
                "to_status",
                "actor_id",
                "actor_username",
                "note",
                "data",
                "created_at",
            ],
            ((*e[:7], Jsonb(e[7]), e[8]) for e in events),
        )
        reset_sequences(cursor, [Outlet, Claimant, Article, Claim, Verdict, Evidence, ReviewEvent])
    with connection.cursor() as cursor:
        # Outside the transaction: VACUUM cannot run inside one. Gives the
        # planner real statistics and index-only scans a visibility map.
        cursor.execute("VACUUM ANALYZE")
    counts["published"] = total
    return counts
