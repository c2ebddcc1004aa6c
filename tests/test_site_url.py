"""Public links follow the server in debug without SITE_URL; in production SITE_URL
is required and the only source (issue 15, part 4)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ImproperlyConfigured

from claims.models import Claim, Verdict
from claims.publishing.claimreview import claimreview
from claims.siteurl import site_url

from .factories import ClaimFactory, advance
from .test_settings import PRODUCTION_ENV, load_settings

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def published(editor, reviewer, default_scale):
    return advance(ClaimFactory(), Claim.Status.PUBLISHED, editor, reviewer)


@pytest.fixture
def debug_without_site_url(settings):
    settings.DEBUG = True
    settings.SITE_URL = ""
    settings.DEBUG_SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    return settings


def public_links(client, claim: Claim, **request) -> dict[str, str]:
    """Every public link to the fact-check as each surface gives it, from one request each."""
    page = client.get(f"/fact-checks/{claim.slug}/", **request).content.decode()
    (block,) = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    api = client.get(f"/api/v1/fact-checks/{claim.pk}/", **request).json()
    listed = client.get("/api/v1/fact-checks/", **request).json()["results"][0]
    review = client.get(f"/api/v1/fact-checks/{claim.pk}/claimreview", **request).json()
    feed = ET.fromstring(client.get("/fact-checks/feed/", **request).content)  # noqa: S314 (our own feed)
    entry_link = feed.find(f"{ATOM}entry/{ATOM}link").get("href")
    return {
        "page ClaimReview": json.loads(block)["url"],
        "page author": json.loads(block)["author"]["url"],
        "API detail": api["url"],
        "API list": listed["url"],
        "ClaimReview": review["url"],
        "feed entry": entry_link.split("#")[0],
    }


def test_in_debug_without_site_url_links_use_the_port_the_request_came_to(client, published, debug_without_site_url):
    links = public_links(client, published, SERVER_PORT="8201", HTTP_HOST="127.0.0.1:8201")
    expected = f"http://127.0.0.1:8201/fact-checks/{published.slug}/"
    assert links == {**dict.fromkeys(links, expected), "page author": "http://127.0.0.1:8201/"}
    # Outside a request (a task, a command): the port `make run` was given.
    assert site_url() == "http://127.0.0.1:8000"
    assert claimreview(Verdict.objects.published().get(claim=published))["url"].startswith("http://127.0.0.1:8000/")


def test_with_site_url_set_links_never_follow_the_request(client, published, settings):
    settings.SITE_URL = "https://factcheck.example.org"
    settings.ALLOWED_HOSTS = ["127.0.0.1", "testserver"]
    links = public_links(client, published, SERVER_PORT="8201", HTTP_HOST="127.0.0.1:8201")
    expected = f"https://factcheck.example.org/fact-checks/{published.slug}/"
    assert links == {**dict.fromkeys(links, expected), "page author": "https://factcheck.example.org/"}


def test_production_requires_site_url_naming_the_variable(monkeypatch):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SITE_URL"}
    with pytest.raises(ImproperlyConfigured) as excinfo:
        load_settings(monkeypatch, **env)
    assert str(excinfo.value).startswith("SITE_URL must be set unless DJANGO_DEBUG is on")


def test_debug_may_leave_site_url_unset_and_knows_its_port(monkeypatch):
    loaded = load_settings(monkeypatch, DJANGO_DEBUG="1", PORT="8201")
    assert (loaded["SITE_URL"], loaded["DEBUG_SITE_URL"]) == ("", "http://127.0.0.1:8201")
    assert loaded["FACTCHECK_FETCH_USER_AGENT"] == "FactCheckDesk/1.0 (+http://127.0.0.1:8201)"
    with pytest.raises(ImproperlyConfigured, match="^PORT must be at most 65535"):
        load_settings(monkeypatch, DJANGO_DEBUG="1", PORT="70000")
