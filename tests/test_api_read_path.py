"""The public API's fast read path: the same records as the reference
``fact_check`` built from model instances, the same bytes as DRF's JSON
renderer, and ETags that follow the body."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from claims.api.renderers import ORJSONRenderer
from claims.evidence import snapshots
from claims.models import Article, Claim, Claimant, Evidence, Outlet, Rating, RatingScale, Verdict
from claims.publishing import record as public
from claims.publishing.record import RecordPage, fact_check, published_fact_checks, record_of_claim
from claims.review import editing, workflow

from .factories import (
    ArticleFactory,
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    OutletFactory,
    add_evidence,
    add_independent_evidence,
    advance,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/fact-checks/"


@pytest.fixture
def varied(editor, reviewer, default_scale):
    """Published fact-checks covering every branch of the public record."""
    # Its sources cited without their archive (an editor's override), archived after publication below.
    plain = ClaimFactory(article=ArticleFactory(), claimed_on=dt.date(2026, 3, 1))
    for source in add_independent_evidence(plain, archived=False):
        editing.override_archive(source.pk, by=editor, reason="The site was down.")
    plain = advance(plain, "published", editor, reviewer)

    # Corrected: revision 2 with a note, a source added for the correction,
    # then a second correction under way with a private source and draft.
    corrected = advance(
        ClaimFactory(article=ArticleFactory(canonical_url="https://canonical.example/a")), "published", editor, reviewer
    )
    workflow.correct(corrected.pk, by=editor, note="Wrong year.")
    corrected.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note="We fixed the year.")
    add_evidence(corrected, ("https://added-for-correction.example/doc", "supports"))
    workflow.submit(corrected.pk, by=reviewer)
    workflow.approve(corrected.pk, by=editor)
    workflow.correct(corrected.pk, by=editor, note="Another fix.")
    EvidenceFactory(claim=corrected, url="https://private-new-source.example/doc")

    # No claimant, no article, a rating off the numeric scale, no language.
    bare = advance(ClaimFactory(claimant=None, article=None, language=""), "published", editor, reviewer)
    Verdict.objects.filter(claim=bare).update(rating=default_scale.ratings.get(label="Misleading"))

    # Duplicates add appearances: one new URL, one repeating the claim's own, one
    # without an article, and an article without an outlet or date.
    with_duplicates = advance(
        ClaimFactory(article=ArticleFactory(outlet=None, published_at=None)), "published", editor, reviewer
    )
    own_url = with_duplicates.article.url
    for article in (ArticleFactory(), None):
        duplicate = ClaimFactory(article=article)
        workflow.mark_duplicate(duplicate.pk, by=editor, duplicate_of=with_duplicates)
    same_url = ClaimFactory(article=ArticleFactory(url="https://elsewhere.example/x", canonical_url=own_url))
    workflow.mark_duplicate(same_url.pk, by=editor, duplicate_of=with_duplicates)

    # An archived source, and a scale whose ratings have no values at all.
    # (archived after publication: the snapshot is filled into the published revision, as take_snapshot does)
    Evidence.objects.filter(claim=plain).update(snapshot_sha256="ab" * 32, snapshot_fetched_at=timezone.now())
    for evidence in Evidence.objects.filter(claim=plain):
        snapshots.record_on_published_revisions(evidence)
    scale = RatingScale.objects.create(name="Words only", version=2)
    words = Rating.objects.create(scale=scale, label="Disputed", definition="Experts disagree.", value=None)
    other = advance(
        ClaimFactory(claimant=ClaimantFactory(kind=Claimant.Kind.ORGANIZATION, description="A ministry")),
        "published",
        editor,
        reviewer,
    )
    Verdict.objects.filter(claim=other).update(rating=words)
    return [plain, corrected, bare, with_duplicates, other]


def reference(claim_ids=None) -> list[dict]:
    verdicts = published_fact_checks().order_by("-published_at", "-pk")
    if claim_ids is not None:
        verdicts = verdicts.filter(claim_id__in=claim_ids)
    return [fact_check(v) for v in verdicts]


# The builders this database runs: the ORM one everywhere, the SQL one on PostgreSQL.
BUILDERS = ["orm", "sql"] if connection.vendor == "postgresql" else ["orm"]


def build(builder: str, verdict_ids: list[int]) -> list[dict]:
    if builder == "sql":
        rows = public._sql_records("v.id = ANY(%s)", [verdict_ids])
    else:
        rows = public._orm_records(Verdict.objects.filter(pk__in=verdict_ids))
    by_id = {verdict_id: record for verdict_id, _, record, _ in rows}
    return [by_id[pk] for pk in verdict_ids if pk in by_id]


@pytest.mark.parametrize("builder", BUILDERS)
def test_fast_path_builds_exactly_the_reference_records(varied, builder):
    ids = list(Verdict.objects.published().order_by("-published_at", "-pk").values_list("pk", flat=True))
    fast = build(builder, ids)
    expected = reference()
    assert [r["id"] for r in fast] == [c.pk for c in reversed(varied)]
    assert fast == expected
    # The branches the fixture is there for actually occur.
    by_id = {r["id"]: r for r in fast}
    corrected = by_id[varied[1].pk]
    assert corrected["revision"] == 2 and corrected["corrections"][0]["note"] == "We fixed the year."
    assert "https://added-for-correction.example/doc" in {e["url"] for e in corrected["evidence"]}
    assert "https://private-new-source.example/doc" not in {e["url"] for e in corrected["evidence"]}
    assert by_id[varied[2].pk]["claimant"] is None and by_id[varied[2].pk]["appearances"] == []
    assert by_id[varied[2].pk]["rating"]["value"] is None and by_id[varied[2].pk]["language"] is None
    assert len(by_id[varied[3].pk]["appearances"]) == 2
    assert by_id[varied[4].pk]["rating"]["best"] is None
    assert by_id[varied[0].pk]["evidence"][0]["snapshot_sha256"] == "ab" * 32


@pytest.mark.parametrize("ordering", [("pk",), ("-published_at", "-pk"), ("published_at", "pk")])
def test_record_page_keeps_the_page_order_and_reports_changes(varied, ordering):
    verdicts = Verdict.objects.published()
    page = RecordPage(verdicts).order_by(*ordering)[1:4]
    expected = list(verdicts.order_by(*ordering).select_related("claim")[1:4])
    assert [item["pk"] for item in page] == [v.pk for v in expected]
    assert [item["published_at"] for item in page] == [v.published_at for v in expected]
    assert [item["change"] for item in page] == [max(v.updated_at, v.claim.updated_at) for v in expected]
    assert [item["record"] for item in page] == [reference([v.claim_id])[0] for v in expected]
    later = RecordPage(verdicts).order_by(*ordering).filter(published_at__gt=expected[0].published_at)[0:10]
    assert expected[0].pk not in {item["pk"] for item in later}
    record, _ = record_of_claim(varied[1].pk)
    assert record == reference([varied[1].pk])[0]
    assert record_of_claim(ClaimFactory().pk) == (None, None)


def test_api_serves_the_reference_records(client, varied):
    body = client.get(f"{LIST}?page_size=100").json()
    assert body["results"] == reference()
    for claim in varied:
        assert client.get(f"{LIST}{claim.pk}/").json() == reference([claim.pk])[0]


@pytest.mark.parametrize("builder", BUILDERS)
def test_unpublished_verdicts_never_become_records(varied, editor, reviewer, builder):
    hidden = advance(ClaimFactory(), "in_review", editor, reviewer)
    varied[1].refresh_from_db()
    records = build(builder, list(Verdict.objects.values_list("pk", flat=True)))
    assert hidden.pk not in {r["id"] for r in records}
    # One record per published fact-check: superseded and draft revisions stay out.
    assert len(records) == Verdict.objects.published().count() == len(varied)


def test_orjson_renderer_writes_the_same_bytes_as_drf():
    data = {
        "text": 'Ünïcödé, quotes " and \\ and a line\nbreak, \u2028 and \u2029, emoji 🙂',
        "numbers": [1, -2, 3.5, 10**15, None, True],
        "when": dt.datetime(2026, 3, 20, 15, 0, 0, 123456, tzinfo=dt.UTC),
        "day": dt.date(2026, 3, 20),
        "lazy": gettext_lazy("Not found."),
        "error": ErrorDetail("Give a date.", code="invalid"),
        "amount": decimal.Decimal("1.5"),
        7: "integer key",
    }
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)
    indented = "application/json; indent=2"
    assert ORJSONRenderer().render(data, indented) == JSONRenderer().render(data, indented)


def test_etag_follows_the_body_even_when_no_timestamp_moves(client, varied):
    first = client.get(LIST)
    assert client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # An appearance's outlet renamed touches neither the verdict nor the claim. (A claimant's
    # rename no longer shows: a published revision keeps the claimant it was published with.)
    Outlet.objects.filter(articles__claims__pk=varied[0].pk).update(name="Renamed Outlet")
    after = client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after["ETag"] != first["ETag"]
    detail = client.get(f"{LIST}{varied[0].pk}/")
    Article.objects.filter(pk=varied[0].article_id).update(title="A new title")
    assert client.get(f"{LIST}{varied[0].pk}/", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 200


@pytest.mark.parametrize("header", ['"other", {etag}', "W/{etag}", "*"])
def test_if_none_match_lists_weak_tags_and_star(client, varied, header):
    etag = client.get(LIST)["ETag"]
    response = client.get(LIST, HTTP_IF_NONE_MATCH=header.format(etag=etag))
    assert response.status_code == 304 and response["ETag"] == etag


def test_last_modified_is_the_pages_newest_change(client, varied):
    newest = max(max(v.updated_at, v.claim.updated_at) for v in Verdict.objects.published().select_related("claim"))
    response = client.get(f"{LIST}?page_size=100")
    assert response["Last-Modified"] == newest.strftime("%a, %d %b %Y %H:%M:%S GMT")


def test_browsable_api_and_indented_json_still_answer(client, varied):
    html = client.get(LIST, HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    indented = client.get(f"{LIST}{varied[0].pk}/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "id"')
    assert indented.json() == reference([varied[0].pk])[0]


def test_filters_still_apply_on_the_fast_path(client, varied):
    outlet = OutletFactory(domain="only.example")
    Article.objects.filter(pk=varied[0].article_id).update(outlet=outlet)
    body = client.get(LIST, {"outlet": "only.example"}).json()
    assert [item["id"] for item in body["results"]] == [varied[0].pk]
    assert body["results"] == reference([varied[0].pk])
    assert client.get(LIST, {"language": "zz"}).json()["results"] == []
    assert Claim.objects.filter(pk=varied[0].pk).exists()


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_list_queries_are_few_and_named(client, varied, page_size):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{LIST}?page_size={page_size}").status_code == 200
    # PostgreSQL: 1 the page's records, the page itself (filters, cursor
    # position, order, limit) a subquery, nested lists built as JSON.
    # Elsewhere: 1 the page's verdict ids, 2 their rows (the revision with its
    # claim and sources as published, article, outlet, rating, scale), 3 revisions,
    # 4 duplicates.
    assert len(captured) == (1 if connection.vendor == "postgresql" else 4)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{LIST}{varied[0].pk}/").status_code == 200
    assert len(captured) == (1 if connection.vendor == "postgresql" else 3)


@pytest.mark.parametrize("ordering", ["-published", "published"])
def test_previous_links_walk_back_over_the_same_pages(client, varied, ordering):
    pages, url = [], f"{LIST}?page_size=2&ordering={ordering}"
    while url:
        body = client.get(url).json()
        pages.append([item["id"] for item in body["results"]])
        url = body["next"]
    assert len(pages) == 3 and sorted(sum(pages, [])) == sorted(c.pk for c in varied)
    back, url = [], client.get(f"{LIST}?page_size=2&ordering={ordering}").json()["next"]
    body = client.get(url).json()
    while body["next"]:
        body = client.get(body["next"]).json()
    while True:
        back.append([item["id"] for item in body["results"]])
        if not body["previous"]:
            break
        body = client.get(body["previous"]).json()
    assert back[::-1] == pages
