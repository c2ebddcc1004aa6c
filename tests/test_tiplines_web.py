"""The public tip form at /tips/ and POST /api/v1/tips/: limits, honeypot, URLs
through the fetcher's checks, the answer shown at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from claims.models import Claim, Requester, Tip, TipReply
from claims.tiplines import replies

from .factories import advance
from .tiplines_support import drain, published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

API = "/api/v1/tips/"
FORM = "/tips/"
CLAIM = "Unemployment fell by 3 percent in 2025 across the whole country."


@pytest.fixture(autouse=True)
def queued_work(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False


def test_form_answers_at_once_from_a_published_fact_check(client, editor, reviewer, default_scale):
    claim = published(editor, reviewer, CLAIM)
    response = client.post(FORM, {"text": "Did unemployment fall by 3 percent in 2025?", "website": ""})
    assert response.status_code == 200
    assert claim.public_url in response.content.decode()
    assert Tip.objects.get().status == Tip.Status.ANSWERED


def test_api_answers_with_the_match_or_queues_the_tip(client, editor, reviewer, default_scale):
    claim = published(editor, reviewer, CLAIM)
    answered = client.post(API, {"text": "Unemployment fell 3 percent in 2025?"}, content_type="application/json")
    assert answered.status_code == 201
    body = answered.json()
    assert body["status"] == "answered"
    assert body["answer"]["url"] == claim.public_url
    assert set(body["answer"]) == {"claim", "headline", "rating", "url", "publisher", "score"}
    queued = client.post(API, {"text": "The moon is made of cheese, says a minister."}, content_type="application/json")
    assert queued.status_code == 201
    assert queued.json() == {"id": queued.json()["id"], "status": "queued", "answer": None}
    assert Claim.objects.filter(text="The moon is made of cheese, says a minister.").exists()


def test_honeypot_filled_is_stored_as_spam_and_makes_no_claim(client):
    response = client.post(FORM, {"text": "Buy cheap watches", "website": "http://spam.example"})
    assert response.status_code == 200  # a bot learns nothing
    assert Tip.objects.get().status == Tip.Status.SPAM
    assert not Claim.objects.exists()
    api = client.post(API, {"text": "Buy cheap watches", "website": "x"}, content_type="application/json")
    assert api.status_code == 201 and api.json()["status"] == "received"
    assert not Claim.objects.exists()


def test_over_the_per_address_limit_answers_429_with_the_retry_time(client, settings):
    settings.FACTCHECK_TIP_ADDRESS_PER_MINUTE = 2
    for n in range(2):
        assert (
            client.post(API, {"text": f"claim number {n} about taxes"}, content_type="application/json").status_code
            == 201
        )
    refused = client.post(API, {"text": "one more claim about taxes"}, content_type="application/json")
    assert refused.status_code == 429
    retry = int(refused["Retry-After"])
    assert 1 <= retry <= 61
    assert refused.json()["retry_after"] == retry
    assert f"try again in {retry} seconds" in refused.json()["detail"]
    form = client.post(FORM, {"text": "and via the form"})
    assert form.status_code == 429 and "try again in" in form.content.decode() and form["Retry-After"]
    # Another address is still welcome; nothing of the refused tips was stored.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(API, {"text": "a claim from elsewhere"}, content_type="application/json").status_code == 201
    assert Tip.objects.count() == 3


def test_over_the_global_limit_everyone_waits(settings):
    settings.FACTCHECK_TIP_GLOBAL_PER_MINUTE = 1
    assert Client(REMOTE_ADDR="192.0.2.1").post(API, {"text": "a"}, content_type="application/json").status_code == 201
    assert Client(REMOTE_ADDR="192.0.2.2").post(API, {"text": "b"}, content_type="application/json").status_code == 429


def test_5001_characters_are_refused_naming_the_limit(client):
    response = client.post(API, {"text": "a" * 5001}, content_type="application/json")
    assert response.status_code == 400
    assert "5,000 characters" in response.json()["text"][0]
    form = client.post(FORM, {"text": "a" * 5001})
    assert form.status_code == 400 and "5,000 characters" in form.content.decode()
    assert client.post(API, {"text": "a" * 5000}, content_type="application/json").status_code == 201
    assert Tip.objects.count() == 1


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/admin", "http://10.0.0.5/x", "http://169.254.169.254/latest/meta-data"]
)
def test_a_private_address_url_is_refused_with_the_fetchers_message(client, url):
    response = client.post(API, {"url": url}, content_type="application/json")
    assert response.status_code == 400
    message = response.json()["url"][0]
    assert message.startswith(f"Refused {url}")
    form = client.post(FORM, {"url": url})
    assert form.status_code == 400 and "Refused" in form.content.decode()
    assert not Tip.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"text": "   "}, {"text": 5}, {"email": "not-an-address", "text": "x"}, {"url": "ftp://example.org/x"}]
)
def test_bad_input_is_a_400_with_a_message(client, body):
    response = client.post(API, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert not Tip.objects.exists()


def test_the_form_needs_its_csrf_token():
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(FORM, {"text": "a claim"}).status_code == 403
    page = csrf_client.get(FORM)
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    assert csrf_client.post(FORM, {"text": "a claim", "csrfmiddlewaretoken": token}).status_code == 200


def test_the_requester_is_e_mailed_on_publication_and_can_unsubscribe(client, editor, reviewer, default_scale):
    client.post(API, {"text": CLAIM, "email": "Reader@Example.org"}, content_type="application/json")
    drain()
    claim = advance(Claim.objects.get(), Claim.Status.PUBLISHED, editor, reviewer)
    drain()
    # The desk's own notifications (assigned, approved) go to the desk; the reader gets one e-mail.
    [message] = [m for m in mail.outbox if "reader@example.org" in m.to]
    assert message.to == ["reader@example.org"]
    assert claim.public_url in message.body
    assert TipReply.objects.get().provider_message_id == message.extra_headers["Message-ID"]
    requester = Requester.objects.get()
    link = replies.unsubscribe_url(requester.pk)
    assert link in message.body
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{path}").status_code == 200
    assert Requester.objects.get().unsubscribed_at is None  # a GET changes nothing (link previews)
    assert client.post(f"/{path}").status_code == 200
    assert Requester.objects.get().unsubscribed_at is not None
    assert client.get("/tips/unsubscribe/forged/").status_code == 404
