"""A tip's link goes through the safe fetcher on the worker: private and loopback
addresses refused before any connection (recorded on the tip), a readable page's
title used to match a tip that is little more than the link, a failure recorded
and the tip answered or queued on its text all the same."""

from __future__ import annotations

import socket
import time

import pytest

from claims.models import Claim, OutboxMessage, Tip
from claims.tiplines import tips

from .httpserver import LocalHTTPServer
from .tiplines_support import drain, post_whatsapp, published, whatsapp_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

CLAIM = "Unemployment fell by 3 percent in 2025 across the whole country."
STORY = b"""<!doctype html><html lang="en"><head>
<title>Unemployment fell by 3 percent in 2025 across the whole country | Daily Rumour</title>
<meta name="description" content="Shared thousands of times on Monday.">
</head><body><article><p>Shared thousands of times on Monday, a post says so.</p></article></body></html>"""


@pytest.fixture
def fact_check(editor, reviewer, default_scale):
    return published(editor, reviewer, CLAIM)


@pytest.fixture
def site():
    """An outside web site, played by a local server (FACTCHECK_FETCH_TEST_HOSTS lets the fetcher reach it)."""
    with LocalHTTPServer() as server:

        @server.route("/story")
        def story(request):
            request.reply(200, STORY)

        @server.route("/down")
        def down(request):
            request.reply(503, b"busy")

        @server.route("/slow")
        def slow(request):
            time.sleep(2)
            request.reply(200, STORY)

        yield server


@pytest.fixture
def connections(monkeypatch):
    """Every address a socket in this process connects to."""
    seen: list = []
    real = socket.socket.connect

    def connect(self, address, *args, **kwargs):
        seen.append(address)
        return real(self, address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


@pytest.mark.parametrize(
    ("url", "address"),
    [("http://10.0.0.1/x", "10.0.0.1"), ("http://169.254.169.254/latest/meta-data/", "169.254.169.254")],
)
def test_a_link_to_a_private_address_is_refused_recorded_and_never_connected_to(
    client, graph, fact_check, connections, url, address
):
    assert post_whatsapp(client, whatsapp_text(f"Is this true? {url}")).status_code == 200
    drain()
    tip = Tip.objects.get()
    assert tip.url == url
    assert tip.url_error.startswith(f"Refused {url}")
    assert tip.url_title == ""
    assert tip.status == Tip.Status.QUEUED  # stored and queued for the desk all the same
    assert not any(a[0] == address for a in connections)


def test_a_link_to_loopback_is_refused_though_a_server_listens_there(client, graph, site):
    # Only the test host name "localhost" is let through; 127.0.0.1 itself is loopback, refused.
    url = site.url("/story", host="127.0.0.1")
    post_whatsapp(client, whatsapp_text(url))
    drain()
    tip = Tip.objects.get()
    assert tip.url_error.startswith(f"Refused {url}")
    assert site.requests == []


def test_a_tip_that_is_only_a_link_is_answered_from_the_linked_pages_title(client, graph, fact_check, site):
    url = site.url("/story")
    post_whatsapp(client, whatsapp_text(url))
    drain()
    tip = Tip.objects.get()
    assert tip.url == url
    assert tip.url_error == ""
    assert tip.url_title == "Unemployment fell by 3 percent in 2025 across the whole country"
    assert tip.status == Tip.Status.ANSWERED
    assert tip.answered_claim_id == fact_check.pk
    [sent] = graph.sent
    assert fact_check.public_url in sent["text"]["body"]
    assert [path for path, _ in site.requests] == ["/story"]


def test_a_link_with_a_few_words_is_matched_on_the_words_and_the_title(fact_check, site, settings):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    tip = Tip.objects.create(channel="web", text=f"true?? {site.url('/story')}", url=site.url("/story"))
    assert tips.process(tip.pk) == Tip.Status.ANSWERED


def test_a_link_without_a_published_match_makes_a_candidate_from_the_pages_title(client, graph, default_scale, site):
    post_whatsapp(client, whatsapp_text(f"look {site.url('/story')}"))
    drain()
    tip = Tip.objects.get()
    assert tip.status == Tip.Status.QUEUED
    assert tip.claim.text == "look Unemployment fell by 3 percent in 2025 across the whole country"
    assert tip.claim.status == Claim.Status.CANDIDATE


def test_a_link_that_fails_is_recorded_once_and_the_tip_is_answered_on_its_text(client, graph, fact_check, site):
    url = site.url("/down")
    post_whatsapp(client, whatsapp_text(f"Did unemployment fall by 3 percent in 2025? {url}"))
    drain()
    tip = Tip.objects.get()
    assert "503" in tip.url_error
    assert tip.status == Tip.Status.ANSWERED
    assert len(graph.sent) == 1
    # One try, no retry: nothing is left queued, and the page was asked once.
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert [path for path, _ in site.requests] == ["/down"]


def test_a_link_to_a_closed_port_does_not_hold_the_tip(client, graph, default_scale):
    with LocalHTTPServer() as probe:
        url = probe.url("/gone")  # nobody listens once the probe is closed
    post_whatsapp(client, whatsapp_text(f"Is the bridge closed? {url}"))
    drain()
    tip = Tip.objects.get()
    assert tip.url_error
    assert tip.status == Tip.Status.QUEUED
    assert tip.claim is not None


def test_the_web_form_waits_for_a_slow_link_only_briefly(client, fact_check, site, settings, monkeypatch):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    monkeypatch.setattr(tips, "WEB_LINK_SECONDS", 0.5)
    started = time.monotonic()
    response = client.post(
        "/api/v1/tips/", {"text": "Did unemployment fall by 3 percent in 2025?", "url": site.url("/slow")}
    )
    assert time.monotonic() - started < 1.8
    assert response.status_code == 201
    assert response.json()["status"] == "answered"
    assert Tip.objects.get().url_error


def test_a_web_tip_that_is_only_a_link_gets_the_answer_at_once(client, fact_check, site, settings):
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    response = client.post("/api/v1/tips/", {"url": site.url("/story")}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["answer"]["url"] == fact_check.public_url
