"""Every page we render carries a strict Content-Security-Policy, and its inline scripts the nonce."""

from __future__ import annotations

import base64
import hashlib
import json

import lxml.html
import pytest
from django.core.exceptions import ImproperlyConfigured

from claims.models import Claim

from .factories import ClaimFactory, advance
from .test_settings import PRODUCTION_ENV, load_settings

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in policy, f"{name} given twice"
        policy[name] = values
    return policy


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    for name in ("script-src", "style-src"):
        assert "'self'" in policy[name]
        assert "'unsafe-inline'" not in policy[name] and "'unsafe-eval'" not in policy[name]
        assert not {"*", "data:", "blob:", "http:", "https:"} & set(policy[name])
    assert "script-src-attr" not in policy and "script-src-elem" not in policy


def assert_inline_scripts_allowed_only_by_nonce_or_hash(
    html: str, policy: dict[str, list[str]], *, json_data_blocks: bool = False
) -> None:
    """Every inline <script> carries the header's nonce or a listed hash; no inline event handler.

    With ``json_data_blocks``, <script type="application/json"> (data a browser
    never runs, so outside script-src) may go without.
    """
    nonces = {v[len("'nonce-") : -1] for v in policy["script-src"] if v.startswith("'nonce-")}
    hashes = {v[len("'sha256-") : -1] for v in policy["script-src"] if v.startswith("'sha256-")}
    tree = lxml.html.fromstring(html)
    for script in tree.iter("script"):
        if script.get("src") or (json_data_blocks and script.get("type") == "application/json"):
            continue
        digest = base64.b64encode(hashlib.sha256((script.text or "").encode()).digest()).decode()
        assert script.get("nonce") in nonces or digest in hashes, lxml.html.tostring(script)[:200]
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        handlers = [name for name in element.attrib if name.lower().startswith("on")]
        assert not handlers, f"inline event handler {handlers} on <{element.tag}>"
        for name in ("href", "src", "action", "formaction"):
            assert not (element.get(name) or "").strip().lower().startswith("javascript:")


@pytest.fixture
def published(editor, reviewer, default_scale):
    return advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)


def test_every_main_page_has_a_strict_policy_and_only_nonced_inline_scripts(client, published, editor):
    public = [
        "/fact-checks/",
        f"/fact-checks/{published.slug}/",
        "/methodology/",
        "/corrections/",
        "/admin/login/",
        "/api/docs/",
    ]
    desk = [
        "/admin/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{published.pk}/change/",
        "/admin/claims/claim/add/",
        "/admin/dashboard/",
    ]
    for path in public + desk:
        if path == desk[0]:
            client.force_login(editor)
        response = client.get(path)
        assert response.status_code == 200, path
        policy = directives(response["Content-Security-Policy"])
        assert_strict(policy)
        assert_inline_scripts_allowed_only_by_nonce_or_hash(response.content.decode(), policy)


def test_browsable_api_has_the_strict_policy(client, published):
    response = client.get("/api/v1/fact-checks/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    policy = directives(response["Content-Security-Policy"])
    assert_strict(policy)
    # DRF's CSRF settings travel in a JSON block; its scripts are files.
    assert_inline_scripts_allowed_only_by_nonce_or_hash(response.content.decode(), policy, json_data_blocks=True)


def test_fact_check_claimreview_carries_the_nonce_named_in_the_header(client, published):
    response = client.get(f"/fact-checks/{published.slug}/")
    policy = directives(response["Content-Security-Policy"])
    (script,) = lxml.html.fromstring(response.content).xpath('//script[@type="application/ld+json"]')
    assert f"'nonce-{script.get('nonce')}'" in policy["script-src"]
    assert json.loads(script.text)["@type"] == "ClaimReview"
    # A fresh nonce for every response.
    again = lxml.html.fromstring(client.get(f"/fact-checks/{published.slug}/").content)
    assert again.xpath('//script[@type="application/ld+json"]')[0].get("nonce") != script.get("nonce")


def test_pages_without_inline_scripts_name_no_nonce(client, published):
    policy = directives(client.get("/methodology/")["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]


def test_feed_policy_if_any_is_strict(client, published):
    response = client.get("/fact-checks/feed/")
    assert response.status_code == 200
    if "Content-Security-Policy" in response:
        assert_strict(directives(response["Content-Security-Policy"]))


def test_api_docs_may_start_workers_from_blobs_but_scripts_stay_strict(client):
    response = client.get("/api/docs/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["worker-src"] == ["'self'", "blob:"]
    html = lxml.html.fromstring(response.content)
    scripts = html.xpath("//script")
    assert [s.get("src") for s in scripts] == [
        "/api/docs/redoc.standalone.js",
        "/static/claims/redoc.js",
    ]
    # Redoc gets the nonce from its starter script and puts it on the styles it generates.
    assert all(f"'nonce-{s.get('nonce')}'" in policy["style-src"] for s in scripts)
    assert not html.xpath("//link[contains(@href, 'fonts.googleapis.com')]")


def test_our_pages_send_their_styles_as_files(client, published, editor):
    client.force_login(editor)
    for path in (
        f"/fact-checks/{published.slug}/",
        f"/admin/claims/claim/{published.pk}/change/",
        "/admin/dashboard/",
        "/api/docs/",
    ):
        page = lxml.html.fromstring(client.get(path).content)
        assert not page.xpath("//style"), path
        for href in page.xpath("//link[@rel='stylesheet']/@href"):
            assert client.get(href).status_code == 200, href


def test_report_uri_comes_from_the_environment(monkeypatch):
    settings = load_settings(monkeypatch, **PRODUCTION_ENV)
    assert settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["report-uri"] is None
    for value in ("https://reports.example.org/csp", "/csp-report/"):
        settings = load_settings(monkeypatch, **PRODUCTION_ENV, DJANGO_CSP_REPORT_URI=value)
        assert settings["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["report-uri"] == value


@pytest.mark.parametrize("value", ["reports.example.org/csp", "//reports.example.org/csp", "ftp://example.org/"])
def test_malformed_report_uri_stops_start_up_naming_it(monkeypatch, value):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_CSP_REPORT_URI"):
        load_settings(monkeypatch, **PRODUCTION_ENV, DJANGO_CSP_REPORT_URI=value)


def test_report_uri_is_sent(client, settings):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "report-uri": "/csp-report/"}
    }
    assert directives(client.get("/methodology/")["Content-Security-Policy"])["report-uri"] == ["/csp-report/"]
