"""The Telegram tipline against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from claims.models import Tip, TipReply

from .httpserver import LocalHTTPServer
from .tiplines_support import BOT_TOKEN, IMAGE, TELEGRAM_SECRET, drain, published

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


def photo_update(update_id: int, *, caption: str = "", chat_id: int = 4242) -> dict:
    """A photo message: the Bot API lists its sizes smallest first, each a PhotoSize."""
    payload = update(update_id, "", chat_id=chat_id)
    message = payload["message"]
    del message["text"]
    message["photo"] = [
        {"file_id": "photo-small", "file_unique_id": "s", "width": 90, "height": 67, "file_size": 1200},
        {"file_id": "photo-large", "file_unique_id": "l", "width": 1280, "height": 960, "file_size": 400},
    ]
    if caption:
        message["caption"] = caption
    return payload


def assert_no_token(*texts: str) -> None:
    for text in texts:
        assert BOT_TOKEN not in text
        assert BOT_TOKEN.split(":")[1] not in text


def test_a_photo_is_fetched_through_get_file_and_stored(client, telegram, default_scale):
    assert post(client, photo_update(20, caption="Is this real?")).status_code == 200
    drain()
    tip = Tip.objects.get()
    assert bytes(tip.media) == IMAGE
    assert tip.media_type == "image/jpeg"  # the file server says octet-stream: the bytes say JPEG
    assert tip.media_error == ""
    assert tip.text == "Is this real?"
    assert telegram.file_ids == ["photo-large"]  # the largest size, not the last or the first by chance
    assert telegram.downloads == [f"/file/bot{BOT_TOKEN}/{telegram.PHOTO_PATH}"]


def test_a_photo_whose_file_size_is_over_the_cap_is_refused_before_any_download(
    client, telegram, default_scale, settings
):
    telegram.file_size = settings.FACTCHECK_TIP_MEDIA_MAX_BYTES + 1
    post(client, photo_update(21))
    drain()
    tip = Tip.objects.get()
    assert tip.media is None
    assert "more than the limit" in tip.media_error
    assert telegram.downloads == []
    assert_no_token(tip.media_error)
    assert tip.status == Tip.Status.QUEUED  # the desk reads it in the inbox


def test_a_photo_without_a_file_size_is_capped_while_it_downloads(client, telegram, default_scale, settings):
    settings.FACTCHECK_TIP_MEDIA_MAX_BYTES = 100
    telegram.file_size = None
    post(client, photo_update(22))
    drain()
    tip = Tip.objects.get()
    assert tip.media is None
    assert "the limit of 100 bytes" in tip.media_error  # the declared length, read before the body
    assert_no_token(tip.media_error)


def test_a_file_that_is_not_an_image_is_refused(client, telegram, default_scale):
    telegram.photo = b"<html><body>not a photo</body></html>"
    post(client, photo_update(23))
    drain()
    tip = Tip.objects.get()
    assert tip.media is None
    assert tip.media_error == "The file Telegram gave for the photo is not an image."


def test_the_bot_token_never_appears_in_stored_errors(client, telegram, editor, reviewer, default_scale, settings):
    published(editor, reviewer, CLAIM)
    bad = photo_update(24)
    bad["message"]["photo"] = [{"file_id": "unknown", "file_unique_id": "u", "width": 10, "height": 10}]
    post(client, bad)
    drain()
    refused = Tip.objects.get()
    assert "400" in refused.media_error and "<bot token>" in refused.media_error
    assert_no_token(refused.media_error)
    # Telegram down: the photo's fetch and the answer's send fail, and neither error quotes the token.
    with LocalHTTPServer() as probe:
        settings.TELEGRAM_API_URL = probe.url("")
    post(client, photo_update(25, caption="Did unemployment fall by 3 percent in 2025?"))
    drain()
    tip = Tip.objects.exclude(pk=refused.pk).get()
    reply = TipReply.objects.get(tip=tip)
    assert tip.media_error and reply.last_error
    assert reply.status == TipReply.Status.PENDING  # sent when Telegram is back
    assert_no_token(tip.media_error, reply.last_error, reply.reason)
