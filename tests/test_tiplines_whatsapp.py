"""The WhatsApp tipline against a fake Graph API on 127.0.0.1: signatures, the
verify handshake, deduplication, instant answers, media, statuses and outages."""

from __future__ import annotations

import json
import time

import pytest

from claims import tasks
from claims.models import OutboxMessage, Tip, TipReply
from claims.tiplines import replies

from .httpserver import LocalHTTPServer
from .tiplines_support import (
    IMAGE,
    VERIFY_TOKEN,
    FakeGraphAPI,
    configure_whatsapp,
    drain,
    post_whatsapp,
    published,
    sign,
    whatsapp_status,
    whatsapp_text,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

CLAIM = "Unemployment fell by 3 percent in 2025 across the whole country."


@pytest.fixture
def fact_check(editor, reviewer, default_scale):
    return published(editor, reviewer, CLAIM)


def test_signed_text_about_a_published_claim_gets_one_reply_with_the_fact_check_url(client, graph, fact_check):
    response = post_whatsapp(client, whatsapp_text("Is it true that unemployment fell by 3 percent in 2025?"))
    assert response.status_code == 200
    drain()
    tip = Tip.objects.get()
    assert tip.status == Tip.Status.ANSWERED
    assert tip.answered_claim_id == fact_check.pk
    [sent] = graph.sent
    assert sent["to"] == "15550001111" and sent["type"] == "text"
    assert fact_check.public_url in sent["text"]["body"]
    reply = TipReply.objects.get()
    assert (reply.status, reply.provider_message_id) == (TipReply.Status.SENT, "wamid.1")
    # A run of the same send again sends nothing.
    assert replies.send(reply.pk) == TipReply.Status.SENT
    assert replies.send_due() == 0
    assert len(graph.sent) == 1


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "auto-wrong-secret"])
def test_unsigned_or_wrongly_signed_posts_are_refused_and_create_nothing(client, graph, fact_check, signature):
    payload = whatsapp_text(CLAIM)
    if signature == "auto-wrong-secret":
        signature = sign(json.dumps(payload).encode(), secret="not-the-app-secret")
    response = post_whatsapp(client, payload, signature=signature)
    assert response.status_code == 403
    drain()
    assert not Tip.objects.exists()
    assert graph.sent == []


def test_the_signature_is_checked_over_the_raw_body(client, graph, fact_check):
    body = json.dumps(whatsapp_text(CLAIM)).encode()
    # Same JSON, other bytes: the signature of the compact form does not fit the spaced one.
    spaced = json.dumps(json.loads(body), indent=2).encode()
    response = client.post(
        "/webhooks/whatsapp/", data=spaced, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=sign(body)
    )
    assert response.status_code == 403
    assert not Tip.objects.exists()


def test_the_same_message_delivered_twice_makes_one_tip_and_one_reply(client, graph, fact_check):
    payload = whatsapp_text("Unemployment fell 3 percent in 2025?", message_id="wamid.retry-me")
    assert post_whatsapp(client, payload).status_code == 200
    drain()
    assert post_whatsapp(client, payload).status_code == 200
    drain()
    assert Tip.objects.count() == 1
    assert len(graph.sent) == 1


def test_a_delivery_repeated_before_any_worker_ran_makes_one_tip_and_one_reply(client, graph, fact_check):
    payload = whatsapp_text("Unemployment fell 3 percent in 2025?", message_id="wamid.twice-at-once")
    assert post_whatsapp(client, payload).status_code == 200
    assert post_whatsapp(client, payload).status_code == 200
    drain()
    assert Tip.objects.count() == 1
    assert len(graph.sent) == 1


def test_the_webhook_does_one_insert_and_a_worker_does_the_rest(client, graph, fact_check, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        assert post_whatsapp(client, whatsapp_text("Unemployment fell 3 percent in 2025?")).status_code == 200
    assert queries.captured_queries[0]["sql"].startswith('INSERT INTO "claims_outboxmessage"')
    assert not Tip.objects.exists()
    drain()
    assert Tip.objects.get().status == Tip.Status.ANSWERED
    assert len(graph.sent) == 1


def test_a_received_delivery_forgets_who_sent_it_and_what_they_wrote(client, graph, fact_check):
    text = "Unemployment fell 3 percent in 2025? My neighbour Ana Lopez says so."
    post_whatsapp(client, whatsapp_text(text, sender="15557770001", message_id="wamid.private"))
    row = OutboxMessage.objects.get(task="claims.tasks.receive_channel_delivery")
    assert "15557770001" in row.kwargs["body"]
    drain()
    row.refresh_from_db()
    assert row.kwargs == {"channel": "whatsapp"}
    # Only the tip and its requester keep them now, where retention erases them.
    every_row = json.dumps(list(OutboxMessage.objects.values_list("kwargs", flat=True)))
    assert "15557770001" not in every_row and "Ana Lopez" not in every_row
    assert Tip.objects.get().text == text
    # The same row relayed again (its relay died before marking it sent) does nothing.
    assert tasks.receive_channel_delivery.apply(kwargs=row.kwargs, task_id=f"outbox-{row.pk}").get() == 0
    assert Tip.objects.count() == 1 and len(graph.sent) == 1


def test_a_signed_body_of_another_shape_is_refused_and_one_carrying_nothing_is_not_kept(client, graph):
    assert post_whatsapp(client, ["not", "a", "notification"]).status_code == 400
    assert post_whatsapp(client, {"object": "whatsapp_business_account", "entry": []}).status_code == 200
    assert not OutboxMessage.objects.exists()


def test_verify_handshake_returns_the_challenge_only_with_the_right_token(client, graph):
    ok = client.get(
        "/webhooks/whatsapp/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(
        "/webhooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    )
    assert wrong.status_code == 403 and b"1158201444" not in wrong.content
    no_mode = client.get("/webhooks/whatsapp/", {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert no_mode.status_code == 403


def test_whatsapp_without_settings_is_off(client, settings):
    settings.WHATSAPP_APP_SECRET = ""
    assert client.get("/webhooks/whatsapp/", {"hub.mode": "subscribe"}).status_code == 404
    assert post_whatsapp(client, whatsapp_text(CLAIM)).status_code == 404


def test_statuses_are_recorded_on_the_outgoing_message_and_never_go_back(client, graph, fact_check):
    post_whatsapp(client, whatsapp_text("Unemployment fell by 3 percent in 2025?"))
    drain()
    reply = TipReply.objects.get()
    post_whatsapp(client, whatsapp_status(reply.provider_message_id, "read"))
    post_whatsapp(client, whatsapp_status(reply.provider_message_id, "delivered"))
    reply.refresh_from_db()
    assert reply.status == TipReply.Status.SENT  # a worker records statuses, not the webhook
    drain()
    reply.refresh_from_db()
    assert reply.status == TipReply.Status.READ
    failed = whatsapp_status(reply.provider_message_id, "failed")
    failed["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = [
        {"code": 131047, "title": "Re-engagement message"}
    ]
    post_whatsapp(client, failed)
    drain()
    reply.refresh_from_db()
    assert reply.status == TipReply.Status.FAILED
    assert "Re-engagement message" in reply.reason


def test_an_image_is_fetched_through_the_graph_media_endpoint(client, graph, fact_check):
    payload = whatsapp_text("x")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="image", image={"id": "media-1", "mime_type": "image/jpeg", "caption": "Is this real?"})
    assert post_whatsapp(client, payload).status_code == 200
    drain()
    tip = Tip.objects.get()
    assert bytes(tip.media) == IMAGE
    assert tip.media_type == "image/jpeg"
    assert tip.text == "Is this real?"
    assert tip.status in (Tip.Status.QUEUED, Tip.Status.LINKED)


def test_an_image_over_the_size_cap_is_refused_and_the_tip_kept(client, graph, fact_check, settings):
    settings.FACTCHECK_TIP_MEDIA_MAX_BYTES = 100
    payload = whatsapp_text("x")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="image", image={"id": "media-1", "mime_type": "image/jpeg"})
    post_whatsapp(client, payload)
    drain()
    tip = Tip.objects.get()
    assert tip.media is None
    assert "limit" in tip.media_error
    assert tip.status == Tip.Status.QUEUED


def test_channel_outage_webhooks_answer_at_once_and_every_reply_goes_out_once_when_it_is_back(
    client, settings, fact_check
):
    with LocalHTTPServer() as probe:
        port = probe.port  # a port nobody listens on once the probe is closed
    configure_whatsapp(settings, f"http://localhost:{port}/v21.0")
    senders = [f"1555000{n:04d}" for n in range(3)]
    for sender in senders:
        started = time.monotonic()
        response = post_whatsapp(client, whatsapp_text("Did unemployment fall by 3 percent in 2025?", sender=sender))
        assert response.status_code == 200
        assert time.monotonic() - started < 2
    drain()
    assert set(TipReply.objects.values_list("status", flat=True)) == {TipReply.Status.PENDING}
    assert all(r.last_error and r.attempts == 1 for r in TipReply.objects.all())
    with LocalHTTPServer(port=port) as server:
        fake = FakeGraphAPI(server)
        later = TipReply.objects.order_by("-next_attempt_at").first().next_attempt_at
        assert replies.send_due(now=later) == 3
        assert replies.send_due(now=later) == 0
        drain()
        assert sorted(m["to"] for m in fake.sent) == senders
    assert set(TipReply.objects.values_list("status", flat=True)) == {TipReply.Status.SENT}


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"entry": "x"},
        {"entry": ["x"]},
        {"entry": [{"changes": ["x"]}]},
        {"entry": [{"changes": [{"value": "x"}]}]},
        {"entry": [{"changes": [{"value": {"messages": ["x", {"from": "1", "id": "2", "type": "text", "text": 5}]}}]}]},
        {"entry": [{"changes": [{"value": {"statuses": [{"id": "w", "status": "read", "errors": "x"}]}}]}]},
    ],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400_or_ignored_never_a_500(client, graph, payload):
    response = post_whatsapp(client, payload)
    assert response.status_code in (200, 400)
    assert not Tip.objects.exists()
