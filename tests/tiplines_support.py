"""Helpers to sign and drive the tiplines' webhooks as Meta and Telegram do; the fake
channel servers themselves are in tests/fake_channels.py."""

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
from .fake_channels import (
    APP_SECRET,
    BOT_TOKEN,
    IMAGE,
    PHONE_ID,
    TELEGRAM_SECRET,
    VERIFY_TOKEN,
    FakeGraphAPI,
    FakeTelegram,
)

__all__ = [
    "APP_SECRET",
    "BOT_TOKEN",
    "IMAGE",
    "PHONE_ID",
    "TELEGRAM_SECRET",
    "VERIFY_TOKEN",
    "FakeGraphAPI",
    "FakeTelegram",
]


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
