"""Ingestion in batches (`ingest --sync`, the benchmark): the same articles,
claims and claimants as one at a time, in a number of queries that does not
grow with the batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from claims.extraction import attribution, checkworthiness
from claims.extraction.candidates import extract_candidates
from claims.intake import ingestion
from claims.matching.triage import MATCH_TASK
from claims.models import Article, Claim, Claimant, OutboxMessage, Outlet

pytestmark = pytest.mark.django_db

STORIES = [
    (
        "Unemployment in Riverton fell by 3.1 percent last year, the lowest rate since 1969, "
        "Mayor Dana Whitfield said on Tuesday.\n\n"
        "The city spent $14 million on free buses in 2025, according to the transit authority.\n\n"
        "“Ridership has doubled since the fares were dropped,” Whitfield added.\n\n"
        "Will the buses stay free?"
    ),
    (
        "Exports from Lakeport rose by 12 percent in the first quarter, Trade Minister Omar Haddad told reporters.\n\n"
        "Mayor Dana Whitfield said 4,000 jobs had been created in the port since 2020.\n\n"
        "Of course, the harbour has had the highest cargo volume in the region for ten years."
    ),
    (
        "Lakeport Gazette editors reviewed the figures.\n\n"
        "Wheat production in the valley was half what it had been in 2019, the farmers’ union said.\n\n"
        "Prices for bread have risen by 40 percent since January, according to the national statistics office."
    ),
]

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:site_name" content="{site}"><meta name="author" content="Ada Lane">
<meta property="article:published_time" content="2024-05-0{day}T08:00:00Z"></head><body>
<article><h1>{title}</h1>{paragraphs}</article></body></html>"""


def page(number: int, *, site: str = "Lakeport Gazette") -> str:
    story = f"{STORIES[number % len(STORIES)]}\n\nThe port handled {number + 2} million tonnes in 2023."
    paragraphs = "".join(f"<p>{p}</p>" for p in story.split("\n\n"))
    return PAGE.format(
        title=f"Story {number}: figures from Lakeport", site=site, day=number % 9 + 1, paragraphs=paragraphs
    )


@pytest.fixture(autouse=True)
def broker_configured(settings):
    # Nothing runs in-process: each test calls the steps itself.
    settings.CELERY_TASK_ALWAYS_EAGER = False


def _rolled_back(work):
    """Run ``work`` and return its result, leaving the database as it was."""
    with transaction.atomic():
        result = work()
        transaction.set_rollback(True)
    return result


def _describe(submissions: list[ingestion.Submission], before: set[int]) -> list[tuple]:
    """What each submission gave, with new articles named by the submission that created them."""
    created_at = {}
    rows = []
    for index, submission in enumerate(submissions):
        article = Article.objects.select_related("outlet").get(pk=submission.article.pk)
        if submission.created:
            created_at[article.pk] = index
        who = f"stored #{article.pk}" if article.pk in before else f"new from {created_at[article.pk]}"
        outbox = list(
            OutboxMessage.objects.filter(kwargs__article_id=article.pk).values_list("task", "queue").order_by("pk")
        )
        rows.append(
            (
                who,
                submission.created,
                submission.matched_by,
                article.url,
                article.title,
                article.status,
                article.language,
                article.byline,
                article.published_at,
                article.content_hash,
                (article.outlet.name, article.outlet.domain) if article.outlet else None,
                outbox,
            )
        )
    return rows


def test_a_batch_is_submitted_as_one_by_one_would_be():
    stored_text = ingestion.submit_article(text=STORIES[2]).article
    stored_url = ingestion.submit_article(url="https://stored.example/story").article
    Outlet.objects.create(name="Known Desk", domain="known.example")
    before = set(Article.objects.values_list("pk", flat=True))
    inputs = [
        {"text": STORIES[0]},
        {"url": "https://news.example/a"},
        {"url": "https://News.example/a#comments"},  # the URL of 1
        {"text": STORIES[0].upper()},  # the text of 0
        {"text": stored_text.text},  # a stored text
        {"url": stored_url.url},  # a stored URL
        {"url": "https://news.example/b", "text": STORIES[1], "title": "Lakeport exports"},
        {"url": "https://news.example/b", "text": STORIES[0]},  # the URL of 6, the text of 0: 0 is older
        {"url": "https://known.example/p1", "html": page(1)},
        {"url": "https://www.known.example/p2", "html": page(2, site="Other Name")},
        {"url": "https://fresh.example/p3", "html": page(3, site="Fresh Daily")},
        {"url": "https://fresh.example/p4", "html": page(4, site="Another Name")},
        {"html": page(5, site="Pasted Weekly")},
    ]

    def one_by_one():
        return _describe([ingestion.submit_article(**fields) for fields in inputs], before)

    expected = _rolled_back(one_by_one)
    drafts = [ingestion.prepare_article(**fields) for fields in inputs]
    assert _describe(ingestion.submit_articles(drafts), before) == expected
    assert [row[0] for row in expected][:8] == [
        "new from 0",
        "new from 1",
        "new from 1",
        "new from 0",
        f"stored #{stored_text.pk}",
        f"stored #{stored_url.pk}",
        "new from 6",
        "new from 0",
    ]
    assert Outlet.objects.filter(domain="fresh.example").get().name == "Fresh Daily"


def test_submitting_a_batch_takes_the_same_queries_for_three_articles_or_thirty(django_assert_num_queries):
    def drafts(first: int, count: int):
        return [
            ingestion.prepare_article(url=f"https://site{n % 3}.example/{n}", html=page(n))
            for n in range(first, first + count)
        ]

    few, many = drafts(0, 3), drafts(100, 30)
    # a savepoint, stored URLs and texts, outlets, their insert and read-back,
    # (on PostgreSQL the articles' keys,) articles, outbox rows, the savepoint's release
    keys = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(8 + keys):
        ingestion.submit_articles(few)
    with django_assert_num_queries(6 + keys):  # the outlets exist now
        ingestion.submit_articles(many)
    assert Article.objects.count() == 33
    assert OutboxMessage.objects.filter(task=ingestion.EXTRACT_TASK).count() == 33


def test_a_batch_that_meets_a_concurrent_submission_saves_the_rest_one_by_one(monkeypatch):
    drafts = [ingestion.prepare_article(text=story) for story in STORIES]
    look_up = ingestion._existing
    # As if another process saved the second story just after this batch looked.
    monkeypatch.setattr(ingestion, "_existing", lambda batch: {} if len(batch) > 1 else look_up(batch))
    theirs = ingestion.submit_article(text=STORIES[1]).article

    submissions = ingestion.submit_articles(drafts)

    assert [s.created for s in submissions] == [True, False, True]
    assert submissions[1].article == theirs
    assert submissions[1].matched_by == "text"
    assert Article.objects.count() == 3
    assert OutboxMessage.objects.count() == 3


def _claims(article_ids: list[int]) -> list[tuple]:
    return sorted(
        Claim.objects.filter(article_id__in=article_ids).values_list(
            "article_id",
            "span_start",
            "span_end",
            "text",
            "sentence",
            "checkworthiness",
            "claimant__name",
            "claimant__kind",
            "claimant__description",
            "claimed_on",
            "language",
            "status",
        )
    )


def _claimants() -> list[tuple]:
    return sorted(Claimant.objects.values_list("name", "kind", "description"))


def test_extracting_a_batch_saves_what_extracting_one_by_one_saves(shared_data):
    seed = (shared_data / "seed" / "000_421e45027504a804.html").read_text(encoding="utf-8")
    Claimant.objects.create(name="Omar Haddad", kind="person", description="")  # known, without a role
    articles = [
        ingestion.submit_article(url="https://www.presstv.ir/Detail/2024/05/28/nato", html=seed).article,
        *(ingestion.submit_article(url=f"https://gazette.example/{n}", html=page(n)).article for n in range(3)),
        ingestion.submit_article(text=STORIES[0] + "\n\nCrime fell by 9 percent in 2023.").article,
    ]
    ids = [article.pk for article in articles]

    def one_by_one():
        created = sum(ingestion.extract(pk) for pk in ids)
        return created, _claims(ids), _claimants()

    expected = _rolled_back(one_by_one)
    created = ingestion.extract_many(ids)

    assert (created, _claims(ids), _claimants()) == expected
    assert created > 15
    assert set(Article.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"done"}
    assert Claimant.objects.get(name="Omar Haddad").description == "Trade Minister"
    # The seed article's example claim, unattributed, is the outlet's own.
    example = Claim.objects.get(article=articles[0], text__contains="is to no avail")
    assert example.claimant.name == articles[0].outlet.name


def test_extracting_a_batch_again_creates_nothing():
    ids = [ingestion.submit_article(text=story).article.pk for story in STORIES]
    first = ingestion.extract_many(ids)
    claims = _claims(ids)
    for pk in ids:
        ingestion.rerun_extraction(pk)

    assert ingestion.extract_many(ids) == 0
    assert first == len(claims) > 0
    assert _claims(ids) == claims


def test_extraction_queues_matching_for_its_new_claims_and_those_still_candidates():
    ids = [ingestion.submit_article(text=story).article.pk for story in STORIES]
    ingestion.extract_many(ids[:2])
    (first,) = OutboxMessage.objects.filter(task=MATCH_TASK)
    assert first.kwargs["claim_ids"] == sorted(Claim.objects.values_list("pk", flat=True))
    dismissed = Claim.objects.filter(article_id=ids[0]).first()
    dismissed.status = Claim.Status.DISMISSED
    dismissed.save(update_fields=["status"])
    ingestion.rerun_extraction(ids[0])

    ingestion.extract_many(ids)  # the first article again, and the third for the first time

    second = OutboxMessage.objects.filter(task=MATCH_TASK).exclude(pk=first.pk).get()
    expected = Claim.objects.filter(article_id__in=[ids[0], ids[2]], status=Claim.Status.CANDIDATE)
    assert second.kwargs["claim_ids"] == sorted(expected.values_list("pk", flat=True))
    assert dismissed.pk not in second.kwargs["claim_ids"]
    assert Claim.objects.filter(article_id=ids[2]).exists()


def test_extracting_a_batch_takes_the_same_queries_for_three_articles_or_thirty():
    def submitted(numbers: range) -> list[int]:
        return [
            ingestion.submit_article(text=f"{STORIES[n % 3]}\n\nIt cost {n} million dollars in 2020.").article.pk
            for n in numbers
        ]

    def queries(ids: list[int]) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            ingestion.extract_many(ids)
        statements = [q["sql"] for q in captured.captured_queries]
        claims = [sql for sql in statements if sql.startswith(('INSERT INTO "claims_claim"', 'COPY "claims_claim"'))]
        # Claims go in one statement, or on SQLite in as many as its limit on
        # parameters needs: those are counted apart.
        assert len(claims) == 1 or (connection.vendor == "sqlite" and claims)
        return [sql for sql in statements if sql not in claims]

    few, many = submitted(range(3)), submitted(range(3, 33))
    # articles, a savepoint, their rows locked, claims already there, claimants
    # (look-up, insert, read-back), (on PostgreSQL the new claims' keys,)
    # statuses, the matching's outbox row, the savepoint's release
    keys = 1 if connection.vendor == "postgresql" else 0
    assert len(queries(few)) == 10 + keys
    assert len(queries(many)) == 8 + keys  # every speaker is known now
    assert Claim.objects.filter(article_id__in=many).values("article").distinct().count() == 30


def test_claimants_for_a_batch_are_those_claimant_for_gives_one_at_a_time(django_assert_max_num_queries):
    Claimant.objects.create(name="Existing Person", kind="person", description="")
    Claimant.objects.create(name="Riverton Post", kind="organization", description="a newspaper")
    speakers = [
        ("Dana Whitfield", "person", "Mayor"),
        ("dana  whitfield", "person", "Governor"),  # the same person: the first description stays
        ("Transit Authority", "organization", ""),
        ("Transit Authority", "organization", "the city's buses"),  # fills in the missing description
        ("Existing Person", "person", "Senator"),  # stored without one: filled in
        ("Riverton Post", "organization", "the publishing outlet"),  # stored with one: kept
        ("Transit Authority", "person", ""),  # another kind, another claimant
        ("A" * 400, "person", "x" * 400),  # cut to the columns' lengths
    ]

    def describe(claimants: list[Claimant]) -> list[tuple]:
        first = {}
        return [
            (first.setdefault(c.pk, i), c.name, c.kind, Claimant.objects.get(pk=c.pk).description)
            for i, c in enumerate(claimants)
        ]

    def one_at_a_time():
        return describe([ingestion.claimant_for(*speaker) for speaker in speakers]), _claimants()

    expected = _rolled_back(one_at_a_time)
    with django_assert_max_num_queries(4):
        claimants = ingestion.claimants_for(speakers)

    assert (describe(claimants), _claimants()) == expected
    assert Claimant.objects.get(name="Existing Person").description == "Senator"


def test_questions_and_fragments_are_not_scored(monkeypatch):
    scored = []
    real_score = checkworthiness.score

    def recording_score(sentences):
        scored.extend(sentences)
        return real_score(sentences)

    monkeypatch.setattr(checkworthiness, "score", recording_score)
    candidates = extract_candidates(STORIES[0], threshold=0.0)

    assert "Will the buses stay free?" not in scored
    assert len(scored) == 3
    assert {c.text for c in candidates} == set(scored)


def test_a_sentence_opening_with_of_course_is_attributed_without_failing():
    sentences = [
        "Of course, we are 5 percent of the world's population.",
        "Of the last nine caucuses, we have won eight, Senator Bernie Sanders said.",
    ]
    speakers = attribution.attribute(sentences)

    assert speakers[0] is None
    assert speakers[1] is not None and speakers[1].name == "Bernie Sanders"


def _claim_rows(article: Article) -> list[tuple]:
    columns = [f.attname for f in Claim._meta.concrete_fields if f.attname not in ("id", "created_at", "updated_at")]
    return sorted(Claim.objects.filter(article=article).values_list(*columns))


def test_claims_inserted_in_one_statement_are_the_rows_bulk_create_writes():
    article = ingestion.submit_article(text=STORIES[0]).article
    claimant = Claimant.objects.create(name="Dana Whitfield", kind="person")
    rows = [
        {
            "article_id": article.pk,
            "span_start": n * 10,
            "span_end": n * 10 + 9,
            "text": f"Tab\there, a newline\nand a backslash \\ in claim {n} “quoted”",
            "sentence": article.text[n * 10 : n * 10 + 9],
            "checkworthiness": 0.1 + n / 7,
            "claimant_id": claimant.pk if n % 3 else None,
            "claimed_on": None if n % 2 else article.created_at.date(),
            "language": "en",
            "status_changed_at": article.created_at,  # else the time each row is made
            "priority": Claim.Priority.HIGH,
        }
        for n in range(5)
    ]

    def bulk_created():
        Claim.objects.bulk_create([Claim(**row) for row in rows])
        return _claim_rows(article)

    expected = _rolled_back(bulk_created)
    ingestion.insert_rows(Claim, rows)

    assert _claim_rows(article) == expected
    assert len(expected) == 5
    assert all(claim.created_at and claim.updated_at for claim in Claim.objects.filter(article=article))


def test_claims_inserted_in_one_statement_are_held_to_the_constraints():
    article = ingestion.submit_article(text=STORIES[0]).article
    claim = {"article_id": article.pk, "span_start": 0, "span_end": 9, "text": "x", "sentence": article.text[:9]}
    Claim.objects.create(**claim)

    with pytest.raises(IntegrityError), transaction.atomic():
        ingestion.insert_rows(Claim, [{**claim, "span_start": 20, "span_end": 29}, claim])
    with pytest.raises(IntegrityError), transaction.atomic():
        ingestion.insert_rows(Claim, [{**claim, "span_start": 9, "span_end": 9}])  # an empty span
    with pytest.raises(ValueError, match="same Claim fields"):
        ingestion.insert_rows(Claim, [claim, {**claim, "span_start": 20, "span_end": 29, "priority": 2}])
    assert Claim.objects.filter(article=article).count() == 1


def _article_rows(pks: list[int]) -> list[tuple]:
    columns = [f.attname for f in Article._meta.concrete_fields if f.attname not in ("id", "created_at", "updated_at")]
    return list(Article.objects.filter(pk__in=pks).order_by("pk").values_list(*columns))


def _new_articles(tag: str) -> list[Article]:
    outlet, _ = Outlet.objects.get_or_create(domain=f"{tag}.example", defaults={"name": f"The {tag.title()}"})
    return [
        Article(
            url=f"https://{tag}.example/{n}" if n % 3 else "",
            text=f"Tab\there, a newline\nand a backslash \\ in story {n} “quoted”" if n % 4 else "",
            title=f"Story {n}",
            outlet=outlet if n % 2 else None,
            published_at=dt.datetime(2024, 5, n + 1, 8, tzinfo=dt.UTC) if n % 2 else None,
            language="en",
            content_hash=f"{tag}-{n}" if n % 4 else "",
            status=Article.Status.EXTRACTING if n % 4 else Article.Status.PENDING,
        )
        for n in range(6)
    ]


def test_articles_inserted_with_their_keys_are_the_rows_bulk_create_writes():
    def bulk_created():
        articles = _new_articles("ledger")
        Article.objects.bulk_create(articles)
        return _article_rows([a.pk for a in articles])

    Outlet.objects.create(domain="ledger.example", name="The Ledger")
    expected = _rolled_back(bulk_created)
    articles = _new_articles("ledger")
    ingestion.insert_objects(articles)

    assert len(expected) == 6
    # Keys set in order, as bulk_create sets them, and each one the row's.
    pks = [a.pk for a in articles]
    assert all(pks) and pks == sorted(pks)
    assert _article_rows(pks) == expected
    for article in articles:
        stored = Article.objects.get(pk=article.pk)
        assert (stored.url, stored.title) == (article.url, article.title)
        assert article.created_at is not None and stored.created_at == article.created_at  # auto_now_add ran
        assert not article._state.adding
    # The sequence moved past them: an article saved next takes a new key.
    assert Article.objects.create(text="Next.").pk > max(pks)


def test_articles_inserted_together_are_held_to_the_constraints():
    stored = Article.objects.create(url="https://ledger.example/taken", text="Stored.")
    clash = _new_articles("herald")
    clash[1].url = stored.url

    with pytest.raises(IntegrityError), transaction.atomic():
        ingestion.insert_objects(clash)
    assert list(Article.objects.values_list("pk", flat=True)) == [stored.pk]  # nothing of the batch stays


def test_outbox_rows_for_a_batch_carry_their_arguments():
    drafts = [ingestion.prepare_article(text=story) for story in STORIES]
    submissions = ingestion.submit_articles(drafts)

    messages = OutboxMessage.objects.filter(task=ingestion.EXTRACT_TASK).order_by("pk")
    assert [m.kwargs for m in messages] == [{"article_id": s.article.pk} for s in submissions]
    assert {m.queue for m in messages} == {ingestion.settings.FACTCHECK_EXTRACT_QUEUE}
    assert all(m.sent_at is None and m.available_at and m.created_at for m in messages)
