"""Fake WhatsApp Graph API and Telegram Bot API servers on 127.0.0.1, recording what
they receive, and helpers to sign and drive webhooks as Meta and Telegram do."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

from django.utils import timezone

from claims import outbox
from claims.models import Claim, OutboxMessage

from .factories import ArticleFactory, ClaimantFactory, ClaimFactory, advance
from .httpserver import LocalHTTPServer

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PHONE_ID = "1065550100"
BOT_TOKEN = "123456:test-bot-token"
TELEGRAM_SECRET = "test-telegram-secret"
IMAGE = b"\xff\xd8\xff\xe0" + b"jpeg" * 100


class FakeGraphAPI:
    """The Graph API's message and media endpoints (v21.0), as documented."""

    def __init__(self, server: LocalHTTPServer):
        self.server = server
        self.sent: list[dict] = []
        self.ids = itertools.count(1)
        server.route(f"/v21.0/{PHONE_ID}/messages")(self._messages)
        server.route("/v21.0/media-1")(self._media_info)
        server.route("/media/media-1.jpg")(self._media)

    @property
    def base(self) -> str:
        return self.server.url("/v21.0")

    def _messages(self, request):
        assert request.headers["Authorization"] == "Bearer test-access-token"
        payload = json.loads(request.body)
        self.sent.append(payload)
        wamid = f"wamid.{next(self.ids)}"
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": payload["to"], "wa_id": payload["to"]}]}
        answer["messages"] = [{"id": wamid}]
        request.reply(200, json.dumps(answer).encode(), content_type="application/json")

    def _media_info(self, request):
        assert request.headers["Authorization"] == "Bearer test-access-token"
        info = {"url": self.server.url("/media/media-1.jpg"), "mime_type": "image/jpeg", "file_size": len(IMAGE)}
        request.reply(200, json.dumps(info).encode(), content_type="application/json")

    def _media(self, request):
        request.reply(200, IMAGE, content_type="image/jpeg")

    def texts_to(self, wa_id: str) -> list[str]:
        return [m["text"]["body"] for m in self.sent if m["to"] == wa_id and m["type"] == "text"]


class FakeTelegram:
    def __init__(self, server: LocalHTTPServer):
        self.server = server
        self.sent: list[dict] = []
        self.ids = itertools.count(100)
        server.route(f"/bot{BOT_TOKEN}/sendMessage")(self._send)

    def _send(self, request):
        payload = json.loads(request.body)
        self.sent.append(payload)
        answer = {"ok": True, "result": {"message_id": next(self.ids), "chat": {"id": payload["chat_id"]}}}
        request.reply(200, json.dumps(answer).encode(), content_type="application/json")


def configure_whatsapp(settings, graph_url: str) -> None:
    settings.FACTCHECK_FETCH_TEST_HOSTS = ["localhost"]
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as in production: the webhook queues, a worker (drain) runs
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.WHATSAPP_ACCESS_TOKEN = "test-access-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_ID
    settings.WHATSAPP_GRAPH_URL = graph_url
    settings.WHATSAPP_REPLY_TEMPLATE = ""


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


_ids = itertools.count(1)


def whatsapp_text(text: str, *, sender: str = "15550001111", message_id: str | None = None, sent_at=None) -> dict:
    """A webhook notification with one text message, in the shape Meta documents."""
    when = int((sent_at or timezone.now()).timestamp())
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA-1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550100", "phone_number_id": PHONE_ID},
                            "contacts": [{"profile": {"name": "A reader"}, "wa_id": sender}],
                            "messages": [
                                {
                                    "from": sender,
                                    "id": message_id or f"wamid.in.{next(_ids)}",
                                    "timestamp": str(when),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def whatsapp_status(wamid: str, status: str, *, recipient: str = "15550001111") -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550100", "phone_number_id": PHONE_ID},
        "statuses": [{"id": wamid, "status": status, "timestamp": str(int(time.time())), "recipient_id": recipient}],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}],
    }


def post_whatsapp(client, payload: dict, *, signature: str | None = "auto"):
    body = json.dumps(payload).encode()
    headers = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post("/webhooks/whatsapp/", data=body, content_type="application/json", **headers)


def drain() -> int:
    """Run every queued outbox message here, as a worker would, until none is left."""
    done = 0
    while True:
        pending = list(OutboxMessage.objects.filter(sent_at__isnull=True).order_by("pk"))
        if not pending:
            return done
        for message in pending:
            message.sent_at = timezone.now()
            message.save(update_fields=["sent_at"])
            outbox.run_in_process(message)
            done += 1


def published(editor, reviewer, text: str) -> Claim:
    claim = ClaimFactory(text=text, claimant=ClaimantFactory(name="Jane Doe"), article=ArticleFactory(), language="en")
    return advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
