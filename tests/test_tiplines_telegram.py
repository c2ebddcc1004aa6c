"""The Telegram tipline against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from claims.models import Tip, TipReply

from .tiplines_support import BOT_TOKEN, TELEGRAM_SECRET, drain, published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_matching")]

CLAIM = "Unemployment fell by 3 percent in 2025 across the whole country."


def update(update_id: int, text: str, chat_id: int = 4242) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 1000,
            "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
            "chat": {"id": chat_id, "type": "private"},
            "date": 1700000000,
            "text": text,
        },
    }


def post(client, payload: dict, secret: str | None = TELEGRAM_SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    return client.post("/webhooks/telegram/", data=json.dumps(payload), content_type="application/json", **headers)


def test_a_tip_about_a_published_claim_is_answered_once_through_send_message(
    client, telegram, editor, reviewer, default_scale
):
    claim = published(editor, reviewer, CLAIM)
    payload = update(1, "Did unemployment fall by 3 percent in 2025?")
    assert post(client, payload).status_code == 200
    assert post(client, payload).status_code == 200  # Telegram delivers again: same update_id
    drain()
    assert Tip.objects.count() == 1
    [sent] = telegram.sent
    assert sent["chat_id"] == "4242"
    assert claim.public_url in sent["text"]
    assert TipReply.objects.get().provider_message_id == "100"
    assert telegram.server.requests[0][0] == f"/bot{BOT_TOKEN}/sendMessage"


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_a_missing_or_wrong_secret_token_is_refused(client, telegram, secret):
    assert post(client, update(2, "anything"), secret=secret).status_code == 403
    assert not Tip.objects.exists()


def test_telegram_without_settings_is_off(client, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    assert post(client, update(3, "anything")).status_code == 404


def test_updates_without_a_message_are_acknowledged_and_ignored(client, telegram):
    assert post(client, {"update_id": 9, "edited_message": {"chat": {"id": 1}, "text": "x"}}).status_code == 200
    assert post(client, {"no": "update"}).status_code == 400
    assert not Tip.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [[], {"update_id": 1, "message": "x"}, {"update_id": 1, "message": {"chat": {"id": 1}, "photo": ["x"]}}],
)
def test_an_update_of_the_wrong_shape_is_a_400_or_ignored_never_a_500(client, telegram, payload):
    assert post(client, payload).status_code in (200, 400)
    assert not Tip.objects.exists()
