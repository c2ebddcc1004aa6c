"""Claim matching: the service on both databases, what triage stores and shows,
the public endpoint, the commands, and the measured quality on CT2021-2B."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import jsonschema
import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import tasks
from claims.intake import ingestion
from claims.management.commands.evaluate_matching import ensure_imported
from claims.matching import MatchError, backends, match, ranking
from claims.matching.triage import refresh_matches
from claims.models import Claim, ClaimMatch, ExternalReview, ReviewEvent
from claims.review.matches import link_external_review

from .factories import ClaimFactory, advance
from .test_api_schema import json_schema, openapi
from .test_matching_rewording import MARGIN, REPORTED_FIRST_RANK

pytestmark = pytest.mark.django_db

# (claim, review title, claimant, claim date, rating): real-looking PolitiFact records.
REVIEWS = [
    (
        'Wages "haven\'t gone up for a long time."',
        "Donald Trump said wages haven't gone up for a long time, but that's wrong",
        "Donald Trump",
        "2017-08-15",
        "False",
    ),
    (
        '"Obamacare premiums nationwide have increased by double and triple digits."',
        "Fact-checking Donald Trump's claim about soaring Obamacare premiums",
        "Donald Trump",
        "2017-02-28",
        "Half True",
    ),
    (
        '"The border is down 78 percent."',
        "Trump's claim about illegal immigration under past administrations",
        "Donald Trump",
        "2017-07-28",
        "False",
    ),
    (
        "Says Hillary Clinton wants to abolish the Second Amendment.",
        "Trump repeats claim that Clinton wants to abolish the Second Amendment",
        "Donald Trump",
        "2016-08-09",
        "False",
    ),
    (
        "Crime in Chicago went up by 10 percent over the last two years.",
        "Checking a claim about murders in Chicago",
        "Rahm Emanuel",
        "2017-06-02",
        "Mostly True",
    ),
    (
        "The United States has the highest corporate tax rate in the world.",
        "Is the U.S. corporate tax rate the highest in the world?",
        "Paul Ryan",
        "2017-04-20",
        "Mostly False",
    ),
]


@pytest.fixture(autouse=True)
def fresh_matching_caches():
    # Statistics and the in-memory index are cached per process; each test has its own rows.
    backends.forget_stats()
    backends.forget_memory_indexes()
    yield
    backends.forget_stats()
    backends.forget_memory_indexes()


def make_reviews() -> list[ExternalReview]:
    return [
        ExternalReview.objects.create(
            url=f"https://www.politifact.com/factchecks/review-{i}/",
            identifier=f"vclaim-test-{i:02d}",
            publisher_name="PolitiFact",
            publisher_site="politifact.com",
            claim_reviewed=claim,
            title=title,
            claimant_name=claimant,
            claim_date=dt.date.fromisoformat(date),
            rating_text=rating,
            source="claimreview",
        )
        for i, (claim, title, claimant, date, rating) in enumerate(REVIEWS)
    ]


# --- The service ----------------------------------------------------------------------


def test_reworded_claim_is_found_and_ranked_above_unrelated_ones():
    reviews = make_reviews()
    found = match("Workers' wages have not been going up in a very long time.", top=5)
    assert found[0].kind == "external"
    assert found[0].id == reviews[0].pk
    assert found[0].identifier == "vclaim-test-00"
    assert found[0].publisher == "PolitiFact" and found[0].rating == "False"
    assert all(found[0].score > other.score for other in found[1:])
    assert 0 < found[0].score <= 1


def test_the_claim_date_prefers_the_fact_check_of_a_claim_made_just_before():
    old, recent = (
        ExternalReview.objects.create(
            url=f"https://factcheck.example/tax-{year}/",
            publisher_name="Desk",
            claim_reviewed="Our taxes are the highest in the developed world.",
            claim_date=dt.date(year, 5, 1),
            source="claimreview",
        )
        for year in (2009, 2017)
    )
    query = "We have the highest taxes of any country in the developed world."
    dated = match(query, top=2, date=dt.date(2017, 5, 3))
    assert [m.id for m in dated] == [recent.pk, old.pk]
    assert dated[0].score > dated[1].score
    # A claim can only have been checked after it was made: one dated later ranks below.
    assert [m.id for m in match(query, top=2, date=dt.date(2010, 1, 1))] == [old.pk, recent.pk]


def test_shared_numbers_rank_a_fact_check_higher():
    a, b = (
        ExternalReview.objects.create(
            url=f"https://factcheck.example/border-{n}/",
            publisher_name="Desk",
            claim_reviewed=f"Illegal border crossings are down {n} percent.",
            source="claimreview",
        )
        for n in (40, 78)
    )
    assert match("Border crossings, illegal ones, are down 78 percent")[0].id == b.pk
    assert match("Border crossings, illegal ones, are down 40 percent")[0].id == a.pk


def test_the_same_claimant_breaks_a_tie_between_equal_texts():
    first, second = (
        ExternalReview.objects.create(
            url=f"https://factcheck.example/{name.split()[0].lower()}/",
            publisher_name="Desk",
            claim_reviewed="Unemployment fell by 3 percent last year.",
            claimant_name=name,
            source="claimreview",
        )
        for name in ("Dana Whitfield", "Lee Park")
    )
    assert match("Unemployment fell by 3 percent last year", claimant="lee  PARK")[0].id == second.pk
    assert match("Unemployment fell by 3 percent last year", claimant="Dana Whitfield")[0].id == first.pk


def test_nothing_to_match_is_an_empty_list_and_bad_requests_say_why():
    make_reviews()
    assert match("It is what it is.") == []  # stop words only
    assert match("Completely unrelated astronomy: Jupiter's moons orbit quickly.") == []
    with pytest.raises(MatchError, match="Give the text"):
        match("   ")
    with pytest.raises(MatchError, match="1 to 50"):
        match("wages", top=0)


def test_unpublished_claims_never_appear_in_public_results(client, editor, reviewer, default_scale):
    make_reviews()
    text = "The mayor said wages have not gone up for a long time in Riverton."
    candidate = ClaimFactory(text=text)
    in_research = advance(ClaimFactory(text=text + " Really."), Claim.Status.IN_RESEARCH, editor, reviewer)
    retracted = advance(
        ClaimFactory(text="Wages have not gone up for a long time."), Claim.Status.RETRACTED, editor, reviewer
    )
    published = advance(
        ClaimFactory(text="Riverton wages have not gone up for a long time."), Claim.Status.PUBLISHED, editor, reviewer
    )
    public = match(text, top=10)
    assert {(m.kind, m.id) for m in public if m.kind == "claim"} == {("claim", published.pk)}
    ours = next(m for m in public if m.kind == "claim")
    assert ours.url == published.public_url and ours.rating == "False" and ours.status == "published"
    # Editors see the claims still in the workflow; never dismissed ones or the claim itself.
    editors = match(text, top=10, public_only=False, exclude_claim=candidate.pk)
    ids = {m.id for m in editors if m.kind == "claim"}
    assert {in_research.pk, published.pk, retracted.pk} <= ids
    assert candidate.pk not in ids
    response = match_api(client, q=text, top=10)
    assert response.status_code == 200
    kinds = {(r["kind"], r["id"]) for r in response.json()["results"]}
    assert ("fact-check", published.pk) in kinds
    assert not {("fact-check", c.pk) for c in (candidate, in_research, retracted)} & kinds


def test_candidates_come_from_the_databases_own_index():
    reviews = make_reviews()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "EXPLAIN SELECT id FROM claims_externalreview WHERE match_document @@ %s::tsquery",
                ["'wage' | 'obamacar'"],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "extreview_match_document" in plan
    else:
        index = backends.memory_index()
        assert index.documents == len(reviews)
        assert index.df("wage") == 1
    found = match("wages have not gone up")
    assert found and found[0].claim.startswith("Wages")


# --- Triage: stored matches, the admin, the actions ---------------------------------------

ARTICLE = (
    "Riverton's council met on Tuesday.\n\n"
    "Unemployment in Riverton fell by 3.1 percent last year, the lowest rate since 1969, Mayor Dana Whitfield said.\n\n"
    "{extra}"
)


def test_identical_claims_from_two_articles_are_proposed_as_duplicates(
    settings, django_capture_on_commit_callbacks, client, editor
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True):
        first = ingestion.submit_article(text=ARTICLE.format(extra="The city spent $14 million on buses.")).article
    with django_capture_on_commit_callbacks(execute=True):
        second = ingestion.submit_article(text=ARTICLE.format(extra="Schools reopen next week.")).article
    original = first.claims.get(sentence__contains="3.1 percent")
    copy = second.claims.get(sentence__contains="3.1 percent")
    # Extraction queued the matching; the relay ran it after the commit.
    best = ClaimMatch.objects.filter(claim=copy).order_by("-score").first()
    assert best is not None and best.matched_claim_id == original.pk
    assert best.score >= 0.5

    client.force_login(editor)
    page = client.get(reverse("admin:claims_claim_changelist"), {"queue": "triage"}).content.decode()
    assert "possibly already checked" in page.lower()
    assert f">#{original.pk}</a> (candidate)" in page
    response = client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "mark_duplicate_of_match_selected", "_selected_action": [copy.pk]},
        follow=True,
    )
    assert response.status_code == 200
    copy.refresh_from_db()
    assert copy.status == Claim.Status.DUPLICATE and copy.duplicate_of_id == original.pk
    assert ReviewEvent.objects.filter(claim=copy, action="claims.claim.marked_duplicate").exists()


def test_refreshing_matches_twice_changes_nothing_and_keeps_an_editors_link(settings, editor):
    settings.FACTCHECK_MATCH_MIN_SCORE = 0.0  # keep the weak matches too
    reviews = make_reviews()
    claim = ClaimFactory(text="Wages haven't gone up for a long time while Obamacare premiums increased, she said.")
    assert refresh_matches(claim.pk) >= 2
    before = list(
        ClaimMatch.objects.filter(claim=claim).values_list("pk", "matched_review_id", "score", "rank", "computed_at")
    )
    assert before[0][1] == reviews[0].pk
    assert refresh_matches(claim.pk) == len(before)
    after = list(
        ClaimMatch.objects.filter(claim=claim).values_list("pk", "matched_review_id", "score", "rank", "computed_at")
    )
    assert after == before

    # Linking a lower-ranked fact-check makes it the one the triage queue shows.
    row = ClaimMatch.objects.filter(claim=claim).exclude(rank=1).order_by("rank").first()
    assert row is not None
    link_external_review(row.pk, by=editor, note="Same claim, same wording.")
    assert ClaimMatch.objects.get(pk=row.pk).rank == 1
    assert ClaimMatch.objects.filter(claim=claim, rank=1).count() == 1
    link_external_review(row.pk, by=editor)  # twice: one event
    assert ReviewEvent.objects.filter(claim=claim, action="claims.claim.linked_external_review").count() == 1
    claim.text = "Completely different: the bridge opens in May."
    claim.save()
    refresh_matches(claim.pk)
    kept = ClaimMatch.objects.get(pk=row.pk)
    assert kept.linked_at is not None and kept.linked_by == editor


def test_only_editors_link_external_fact_checks(reviewer):
    from claims.review.workflow import NotPermitted

    make_reviews()
    claim = ClaimFactory(text="Wages haven't gone up for a long time.")
    refresh_matches(claim.pk)
    row = ClaimMatch.objects.filter(claim=claim).order_by("-score").first()
    with pytest.raises(NotPermitted):
        link_external_review(row.pk, by=reviewer)
    assert ClaimMatch.objects.get(pk=row.pk).linked_at is None


def test_triage_queue_shows_the_best_match_without_a_query_per_row(client, editor):
    reviews = make_reviews()
    client.force_login(editor)
    url = reverse("admin:claims_claim_changelist")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"queue": "triage"}).status_code == 200
        return len(ctx.captured_queries)

    def claims_matching(count: int) -> list[Claim]:
        made = [ClaimFactory(text=f"Wages haven't gone up for {n} years, said mayor {n}.") for n in range(count)]
        for claim in made:
            ClaimMatch.objects.create(claim=claim, matched_review=reviews[0], score=0.9, rank=1)
            ClaimMatch.objects.create(claim=claim, matched_review=reviews[1], score=0.3, rank=2)
        return made

    claims = claims_matching(2)
    few = queries()
    claims += claims_matching(12)
    assert queries() == few
    page = client.get(url, {"queue": "triage"}).content.decode()
    assert page.count(reviews[0].url) == len(claims)
    assert "PolitiFact</a>: False" in page

    response = client.post(
        url, {"action": "link_external_match_selected", "_selected_action": [claims[0].pk]}, follow=True
    )
    assert any("Link the external fact-check: 1 claim(s) done" in str(m) for m in get_messages(response.wsgi_request))
    assert ClaimMatch.objects.get(claim=claims[0], matched_review=reviews[0]).linked_by == editor
    assert "✓ linked" in client.get(url, {"queue": "triage"}).content.decode()
    change = client.get(reverse("admin:claims_claim_change", args=[claims[0].pk])).content.decode()
    assert "possibly already checked (matches)" in change.lower()
    assert reviews[0].url in change and reviews[1].url in change


def test_claims_entered_in_the_admin_are_matched(settings, django_capture_on_commit_callbacks, client, editor):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    reviews = make_reviews()
    client.force_login(editor)
    add_url = reverse("admin:claims_claim_add")
    # Every inline's management form, empty.
    prefixes = re.findall(r'name="([^"]+)-TOTAL_FORMS"', client.get(add_url).content.decode())
    assert prefixes
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add_url,
            {
                "text": "The border is down 78 percent, the president said.",
                "language": "en",
                "priority": 1,
                **{f"{prefix}-{k}": v for prefix in prefixes for k, v in EMPTY_FORMSET.items()},
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    claim = Claim.objects.get(text__startswith="The border is down")
    assert ClaimMatch.objects.filter(claim=claim).order_by("-score").first().matched_review_id == reviews[2].pk


EMPTY_FORMSET = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}


# --- The public API -------------------------------------------------------------------------


def match_api(client, **params):
    return client.get("/api/v1/fact-checks/match", params)


def test_match_endpoint_answers_in_the_documented_shape(client):
    reviews = make_reviews()
    response = match_api(client, q="Is the US corporate tax rate the highest in the world?", top=2)
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Is the US corporate tax rate the highest in the world?"
    assert len(body["results"]) <= 2
    first = body["results"][0]
    assert first == {
        "kind": "external",
        "id": reviews[5].pk,
        "claim": reviews[5].claim_reviewed,
        "url": reviews[5].url,
        "publisher": "PolitiFact",
        "rating": "Mostly False",
        "identifier": "vclaim-test-05",
        "date": "2017-04-20",
        "score": first["score"],
    }
    schema = openapi(client)
    operation = schema["paths"]["/api/v1/fact-checks/match"]["get"]
    components = schema["components"]["schemas"]
    response_schema = json_schema(operation["responses"]["200"]["content"]["application/json"]["schema"], components)
    jsonschema.validate(body, response_schema)
    for example in operation["responses"]["200"]["content"]["application/json"]["examples"].values():
        jsonschema.validate(example["value"], response_schema)
    assert {p["name"] for p in operation["parameters"]} >= {"q", "top", "date", "claimant"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "wages", "top": "0"}, "top"),
        ({"q": "wages", "top": "many"}, "top"),
        ({"q": "wages", "date": "yesterday"}, "date"),
        ({"q": "wages", "page": "2"}, "page"),
        ({"q": "x" * 2001}, "q"),
        ({"q": "\x00"}, "q"),
        ({"q": "wages", "top": ""}, "top"),
        ({"q": "wages", "date": " "}, "date"),
    ],
)
def test_match_endpoint_refuses_bad_parameters_with_a_reason(client, params, field):
    response = match_api(client, **params)
    assert response.status_code == 400
    assert field in response.json()


# --- Commands ---------------------------------------------------------------------------------


def test_match_claims_reads_tab_separated_lines_and_writes_json_lines():
    reviews = make_reviews()
    stdin = io.StringIO(
        "q1\tWages haven't gone up in a long time.\n"
        "\n"
        "q2\tThe border crossings are down 78 percent\t2017-08-22\n"
        "q3\tIt is what it is.\n"
    )
    out = io.StringIO()
    call_command("match_claims", "--top", "2", stdin=stdin, stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    assert lines[0]["matches"][0] == {
        "identifier": "vclaim-test-00",
        "url": reviews[0].url,
        "claim": reviews[0].claim_reviewed,
        "score": lines[0]["matches"][0]["score"],
    }
    assert len(lines[0]["matches"]) <= 2
    assert lines[1]["matches"][0]["identifier"] == "vclaim-test-02"
    assert lines[2]["matches"] == []


def test_match_claims_reports_bad_lines_and_matches_the_others():
    make_reviews()
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO("no tab here\nq2\tWages haven't gone up.\nq3\tWages\tnot-a-date\n")
    with pytest.raises(CommandError, match="2 line"):
        call_command("match_claims", stdin=stdin, stdout=out, stderr=err)
    assert "line 1: expected id<TAB>text" in err.getvalue()
    assert "line 3: bad date 'not-a-date'" in err.getvalue()
    assert [json.loads(line)["id"] for line in out.getvalue().splitlines()] == ["q2"]
    with pytest.raises(CommandError, match="--top"):
        call_command("match_claims", "--top", "0", stdin=io.StringIO(""))


def test_evaluate_matching_reaches_the_target_on_ct2021_2b(shared_data):
    out = io.StringIO()
    call_command(
        "evaluate_matching",
        "--data-dir",
        str(shared_data / "matching" / "ct2021-2b"),
        "--references",
        str(shared_data / "claimreview" / "politifact-ct2021-2b.claimreview.jsonl"),
        "--format",
        "json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["imported"] == 19_250
    assert report["train"]["queries"] == 472 and report["dev"]["queries"] == 119
    for split in ("train", "dev"):
        assert report[split]["map@5"] >= 0.45, report
        assert report[split]["map@1"] <= report[split]["map@5"] <= report[split]["mrr"]
    # The protocol's numbers, as training recorded them: cross-validated over debates.
    assert report["protocol"]["cross_validated_map5"]["dated"] >= 0.45
    assert report["protocol"]["threshold_cv"]["precision"] >= 0.8
    # The rewording suite through the database, as the model card reports it (less a margin).
    assert report["rewording"]["pairs"] >= 50
    assert report["rewording"]["first"] >= REPORTED_FIRST_RANK - MARGIN, report["rewording"]["missed"]
    # The references are imported once.
    assert ensure_imported(shared_data / "claimreview" / "politifact-ct2021-2b.claimreview.jsonl") == 0


def test_committed_model_matches_the_features_it_is_used_with():
    model = ranking.Model.load()
    assert len(model.weights) == len(model.features)
    assert set(model.features) <= set(ranking.FEATURES)
    assert model.info["train_queries"] == 472
    assert 0 < model.threshold < 1
    assert tasks.match_claims.name == "claims.tasks.match_claims"


@pytest.mark.skipif(connection.vendor == "postgresql", reason="training runs in memory: once, on the SQLite pass")
def test_committed_model_is_what_train_matching_produces(shared_data, tmp_path):
    output = tmp_path / "model.json"
    call_command(
        "train_matching",
        "--output",
        str(output),
        "--data-dir",
        str(shared_data / "matching" / "ct2021-2b"),
        "--references",
        str(shared_data / "claimreview" / "politifact-ct2021-2b.claimreview.jsonl"),
        "--quiet",
        stdout=io.StringIO(),
    )
    retrained, committed = json.loads(output.read_text()), json.loads(ranking.MODEL_PATH.read_text())
    # The committed model was trained with --nested: the one figure a plain run does not compute.
    committed["info"].pop("nested_cross_validated_map5", None)
    # The same settings and threshold; weights equal to rounding across CPUs (numpy's sums).
    assert retrained["info"] == committed["info"]
    assert (retrained["threshold"], retrained["features"]) == (committed["threshold"], committed["features"])
    assert retrained["weights"] == pytest.approx(committed["weights"], abs=1e-4)
    assert retrained["platt"] == pytest.approx(committed["platt"], abs=1e-4)


def test_the_triage_threshold_is_the_models_unless_settings_name_one(settings):
    from claims.matching.triage import min_score

    settings.FACTCHECK_MATCH_MIN_SCORE = None
    assert min_score() == ranking.default_model().threshold
    settings.FACTCHECK_MATCH_MIN_SCORE = 0.35
    assert min_score() == 0.35


def test_the_calibrated_threshold_is_the_lowest_score_shown_matches_are_right_from():
    from claims.matching.training import calibrate_threshold

    scored = [(0.9, True), (0.8, True), (0.7, False), (0.6, True), (0.5, True), (0.4, False), (0.3, False)]
    # From 0.5 down: 4 right of 5 shown (80%); from 0.4: 4 of 6.
    assert calibrate_threshold(scored, 0.8) == (0.5, 0.8, 5 / 7)
    assert calibrate_threshold(scored, 1.0) == (0.8, 1.0, 2 / 7)
    # Tied scores are shown together or not at all.
    assert calibrate_threshold([(0.9, True), (0.5, True), (0.5, False)], 0.8) == (0.9, 1.0, 1 / 3)
    assert calibrate_threshold([(0.5, False)], 0.8) == (1.0, 0.0, 0.0)


@pytest.mark.parametrize("value", ["often", "1.5", "-0.1"])
def test_a_bad_minimum_match_score_stops_start_up_naming_it(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from .test_settings import PRODUCTION_ENV, load_settings

    # Unset: the threshold calibrated with the model (claims.matching.triage.min_score).
    assert load_settings(monkeypatch, **PRODUCTION_ENV)["FACTCHECK_MATCH_MIN_SCORE"] is None
    assert (
        load_settings(monkeypatch, **PRODUCTION_ENV, FACTCHECK_MATCH_MIN_SCORE="0.3")["FACTCHECK_MATCH_MIN_SCORE"]
        == 0.3
    )
    with pytest.raises(ImproperlyConfigured, match="^FACTCHECK_MATCH_MIN_SCORE must be a number between 0.0 and 1.0"):
        load_settings(monkeypatch, **PRODUCTION_ENV, FACTCHECK_MATCH_MIN_SCORE=value)


def test_every_way_a_claim_arrives_queues_its_matching_in_the_same_transaction(client, editor, settings):
    from claims.matching.triage import MATCH_TASK
    from claims.models import APIKey, OutboxMessage

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker is configured: the rows wait for the relay
    # Extraction (the Celery task, `ingest --sync` and the admin's re-run all call it).
    article = ingestion.submit_article(
        text="The minister said unemployment fell to 3.1 percent last year. Exports doubled since 2019."
    ).article
    ingestion.extract(article.pk)
    queued = OutboxMessage.objects.get(task=MATCH_TASK)
    assert queued.kwargs["claim_ids"] == sorted(article.claims.values_list("pk", flat=True))
    assert queued.kwargs["claim_ids"]
    ingestion.extract(article.pk)  # a rerun creates nothing and queues nothing again
    assert OutboxMessage.objects.filter(task=MATCH_TASK).count() == 1

    # The internal API: a new claim, and a claim whose text changes.
    _, key = APIKey.objects.create_key(name="desk", user=editor, scope="write")
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    created = client.post("/api/v1/claims/", {"text": "Rents rose 40 percent in a year."}, **auth)
    assert created.status_code == 201, created.content
    assert OutboxMessage.objects.filter(task=MATCH_TASK, kwargs__claim_ids=[created.json()["id"]]).count() == 1
    edited = client.patch(
        f"/api/v1/claims/{created.json()['id']}/",
        {"text": "Rents rose 40 percent in two years."},
        content_type="application/json",
        **auth,
    )
    assert edited.status_code == 200, edited.content
    assert OutboxMessage.objects.filter(task=MATCH_TASK, kwargs__claim_ids=[created.json()["id"]]).count() == 2
