"""The public site: escaped, accessible, published-only pages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from claims.models import Claim, Verdict
from claims.publishing.claimreview import claimreview
from claims.review import workflow

from .factories import ClaimantFactory, ClaimFactory, advance

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


@pytest.fixture
def published(editor, reviewer, default_scale):
    claim = ClaimFactory(text=f"The mayor said {XSS} taxes fell.", claimant=ClaimantFactory(name=f"Mayor {XSS}"))
    return advance(claim, Claim.Status.PUBLISHED, editor, reviewer)


def ld_json_blocks(html: str) -> list[dict]:
    return [
        json.loads(block)
        for block in re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    ]


def test_list_shows_published_fact_checks_with_user_content_escaped(client, published, editor, reviewer):
    ClaimFactory(text="An unpublished candidate about rents.")
    page = client.get("/fact-checks/").content.decode()
    assert published.verdicts.get().headline in page
    assert "unpublished candidate" not in page
    assert XSS not in page
    assert "&lt;script&gt;" in page


def test_detail_page_has_one_claimreview_matching_the_api(client, published):
    response = client.get(f"/fact-checks/{published.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html
    blocks = ld_json_blocks(html)
    assert len(blocks) == 1
    assert blocks[0] == json.loads(json.dumps(claimreview(Verdict.objects.published().get(claim=published))))
    assert blocks[0]["itemReviewed"]["author"]["name"] == f"Mayor {XSS}"  # intact data, escaped markup


def test_unknown_or_unpublished_address_is_not_found(client, published):
    assert client.get("/fact-checks/no-such-fact-check-1/").status_code == 404
    assert client.get("/fact-checks/%00/").status_code == 404  # NUL: PostgreSQL would refuse the query


def test_retracted_fact_check_says_so_with_its_reason(client, published, editor):
    workflow.retract(published.pk, by=editor, note="The document we relied on was forged.")
    response = client.get(f"/fact-checks/{published.slug}/")
    assert response.status_code == 410
    assert "The document we relied on was forged." in response.content.decode()
    assert not ld_json_blocks(response.content.decode())


def test_methodology_lists_the_ratings_and_the_source_policy(client, default_scale, settings):
    settings.FACTCHECK_MIN_INDEPENDENT_SOURCES = 3
    page = client.get("/methodology/").content.decode()
    for rating in default_scale.ratings.filter(retired=False):
        assert rating.label in page and rating.definition in page
    assert "at least 3 sources" in page


def test_corrections_log_lists_corrections_and_retractions(client, published, editor, reviewer):
    workflow.correct(published.pk, by=editor, note="internal reason")
    published.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note="We fixed the year of the figure.")
    workflow.submit(published.pk, by=reviewer)
    workflow.approve(published.pk, by=editor)
    other = advance(ClaimFactory(text="A second claim about rents."), Claim.Status.PUBLISHED, editor, reviewer)
    workflow.retract(other.pk, by=editor, note="Retracted: wrong dataset.")
    page = client.get("/corrections/").content.decode()
    assert "We fixed the year of the figure." in page
    assert "Retracted: wrong dataset." in page
    assert "internal reason" not in page
    detail = client.get(f"/fact-checks/{published.slug}/").content.decode()
    assert "We fixed the year of the figure." in detail


def test_atom_feed_lists_new_and_corrected_fact_checks(client, published, editor, reviewer):
    response = client.get("/fact-checks/feed/")
    assert response.status_code == 200 and "atom" in response["Content-Type"]
    feed = ET.fromstring(response.content)  # noqa: S314 (our own feed, in a test)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert titles == [f"{published.verdicts.get().headline}: {published.verdicts.get().rating.label}"]


def test_right_to_left_languages_render_right_to_left(client, editor, reviewer, default_scale):
    claim = advance(
        ClaimFactory(text="انقطاع التيار الكهربائي عن جميع أنحاء أوروبا", language="ar"),
        Claim.Status.PUBLISHED,
        editor,
        reviewer,
    )
    html = client.get(f"/fact-checks/{claim.slug}/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    listing = client.get("/fact-checks/").content.decode()
    assert 'lang="ar" dir="rtl"' in listing


def test_list_filters_by_rating_and_search(client, published, default_scale):
    headline = published.verdicts.get().headline
    label = published.verdicts.get().rating.label
    assert headline in client.get("/fact-checks/", {"rating": label}).content.decode()
    other = "True" if label != "True" else "False"
    assert headline not in client.get("/fact-checks/", {"rating": other}).content.decode()
    assert headline not in client.get("/fact-checks/", {"q": "zebrafishnomatch"}).content.decode()
