"""The public pages and the API docs, polished (issue 15, part 8): a favicon, rating
colours with enough contrast, a language filter of the languages published, the
API operations grouped and named, and a docs page that loads nothing from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
import yaml

from claims.api.schema import OPERATIONS, TAGS
from claims.models import Claim, Rating
from claims.templatetags.factcheck import rating_tone

from .factories import ClaimFactory, advance

pytestmark = pytest.mark.django_db

SITE_CSS = Path(__file__).resolve().parent.parent / "claims" / "static" / "claims" / "site.css"


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_favicon_is_linked_and_served_at_the_root(client, default_scale):
    page = lxml.html.fromstring(client.get("/methodology/").content)
    icons = [link.get("href") for link in page.iter("link") if link.get("rel") == "icon"]
    assert len(icons) == 2
    for href in icons:
        assert client.get(href).status_code == 200
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_every_rating_tone_has_a_contrast_of_at_least_4_5(default_scale):
    css = SITE_CSS.read_text()
    tones = {
        name: (fg, bg)
        for name, fg, bg in re.findall(r"\.(rating-tone-\w+) \{ color: (#\w{6}); background: (#\w{6});", css)
    }
    assert set(tones) == {f"rating-tone-{n}" for n in range(5)} | {"rating-tone-none"}
    for name, (foreground, background) in tones.items():
        assert contrast(foreground, background) >= 4.5, name
    # Every rating of the default scale has a tone, from the worst to the best.
    ratings = {r.label: rating_tone(r) for r in Rating.objects.filter(scale=default_scale).select_related("scale")}
    assert set(ratings.values()) <= set(tones)
    ordered = sorted(
        (r for r in Rating.objects.filter(scale=default_scale) if r.value is not None), key=lambda r: r.value
    )
    assert rating_tone(ordered[0]) == "rating-tone-0" and rating_tone(ordered[-1]) == "rating-tone-4"


def test_rating_labels_carry_their_tone_and_their_text(client, editor, reviewer, default_scale):
    claim = advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)
    page = lxml.html.fromstring(client.get(f"/fact-checks/{claim.slug}/").content)
    (label,) = page.find_class("rating")
    assert label.text_content() == "False"
    assert "rating-tone-0" in label.get("class").split()  # "False" is the worst of the default scale


def test_language_filter_offers_the_languages_of_published_fact_checks(client, editor, reviewer, default_scale):
    advance(ClaimFactory(language="es"), Claim.Status.PUBLISHED, editor, reviewer)
    advance(ClaimFactory(language="ar"), Claim.Status.PUBLISHED, editor, reviewer)
    ClaimFactory(language="fr")  # not published
    page = lxml.html.fromstring(client.get("/fact-checks/?language=es").content)
    (select,) = page.xpath("//select[@id='language']")
    options = [(o.get("value"), o.text_content(), o.get("selected") is not None) for o in select.iter("option")]
    assert options == [("", "any", False), ("ar", "Arabic", False), ("es", "Spanish", True)]
    assert page.xpath("//label[@for='language']")


def test_skip_link_is_the_first_link_and_hidden_until_focused(client, default_scale):
    page = lxml.html.fromstring(client.get("/methodology/").content)
    first = next(page.iter("a"))
    assert (first.get("href"), first.get("class")) == ("#content", "skip")
    css = SITE_CSS.read_text()
    assert re.search(r"\.skip \{ position: absolute; left: -10000px;", css)
    assert re.search(r"\.skip:focus \{ position: fixed; left: 1rem;", css)


def test_schema_groups_operations_by_tag_public_first_each_with_a_summary(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert [t["name"] for t in schema["tags"]] == [
        "Public fact-checks",
        "Matching",
        "Internal: claims",
        "Internal: articles",
        "Internal: transitions",
    ]
    order = [t["name"] for t in TAGS]
    seen = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] in OPERATIONS, (path, method)
            assert not operation["operationId"].startswith("v1_")
            (tag,) = operation["tags"]
            assert tag in order and operation["summary"], (path, method)
            seen.append(order.index(tag))
    # Paths come public first: the first internal path follows every public one.
    first_paths = [order.index(ops[next(iter(ops))]["tags"][0]) for ops in schema["paths"].values()]
    assert first_paths == sorted(first_paths)
    assert set(seen) == set(range(len(order)))
    assert {op for op, (tag, _) in OPERATIONS.items() if tag == "Public fact-checks"} == {
        "fact_checks_list",
        "fact_checks_retrieve",
        "fact_checks_claimreview",
    }


def test_docs_page_references_no_other_host(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    page = lxml.html.fromstring(html)
    references = [el.get(attr) for el in page.iter() for attr in ("src", "href") if el.get(attr)]
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert not re.search(r"https?://|fonts\.googleapis|cdn\.", html)
    settings_json = page.get_element_by_id("redoc-container").get("data-settings")
    assert "system-ui" in settings_json  # no web fonts asked for


def test_redoc_bundle_is_the_sidecars_without_its_logo_from_another_host(client):
    page = lxml.html.fromstring(client.get("/api/docs/").content)
    (bundle_url,) = [s.get("src") for s in page.iter("script") if "redoc.standalone" in s.get("src", "")]
    response = client.get(bundle_url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    body = response.content
    assert b"cdn.redoc.ly" not in body and len(body) > 500_000
    assert b'src:"data:,"' in body  # the logo's image: empty, so Redoc's onError leaves it out
    assert client.get(bundle_url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
