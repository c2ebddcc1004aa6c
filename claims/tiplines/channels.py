"""The wire formats of the channels: WhatsApp Business Cloud API and Telegram Bot API
in (signature checks, the updates' shapes) and out (sending a message), and e-mail
for the web form. Every request leaves through the safe fetcher.

Meta's and Telegram's documentation define the shapes:
- WhatsApp webhooks: ``entry[].changes[].value`` with ``messages[]`` (``from``,
  ``id``, ``timestamp``, ``type``: ``text`` / ``image``) and ``statuses[]``
  (``id``, ``status``: sent / delivered / read / failed, ``errors[]``); every POST
  signed ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the app secret>``;
- WhatsApp sends: ``POST {graph}/{phone_number_id}/messages`` with a bearer token,
  answered ``{"messages": [{"id": "wamid..."}]}``; media: ``GET {graph}/{media_id}``
  gives ``{"url", "mime_type", "file_size"}``, then ``GET url`` with the same token;
- Telegram: ``Update`` objects (``update_id``, ``message.chat.id``, ``text`` or
  ``caption``, ``photo[]``) with ``X-Telegram-Bot-Api-Secret-Token``; sends are
  ``POST {api}/bot{token}/sendMessage`` answered ``{"ok": true, "result": {"message_id": ...}}``;
  photos: ``GET {api}/bot{token}/getFile?file_id=...`` gives ``{"ok": true, "result":
  {"file_id", "file_unique_id", "file_size", "file_path"}}``, then ``GET {api}/file/bot{token}/{file_path}``.
  The bot token is in those URLs: every error is stripped of it before anyone stores it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.utils import timezone

from claims import fetching
from claims.models import Channel

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")


def whatsapp_enabled() -> bool:
    return all(
        [
            settings.WHATSAPP_APP_SECRET,
            settings.WHATSAPP_VERIFY_TOKEN,
            settings.WHATSAPP_ACCESS_TOKEN,
            settings.WHATSAPP_PHONE_NUMBER_ID,
        ]
    )


def telegram_enabled() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN and settings.TELEGRAM_SECRET_TOKEN)


def whatsapp_signature_valid(body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256`` over the raw body, compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def telegram_secret_valid(header: str | None) -> bool:
    return bool(header) and hmac.compare_digest(header.encode(), settings.TELEGRAM_SECRET_TOKEN.encode())


@dataclass(frozen=True)
class Incoming:
    """One message from a requester, as every channel's parser gives it."""

    channel: str
    sender: str  # the channel's opaque id of the person (wa_id, chat id)
    message_id: str
    text: str
    sent_at: dt.datetime
    url: str = ""
    media_id: str = ""
    media_type: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str  # sent, delivered, read, failed
    at: dt.datetime
    error: str = ""


class PayloadError(ValueError):
    """A signed body that is not what the channel's documentation describes."""


def _when(timestamp) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


def first_url(text: str) -> str:
    found = URL_IN_TEXT.search(text or "")
    return found.group(0).rstrip(".,;:!?)") if found else ""


def parse_whatsapp(body: bytes) -> tuple[list[Incoming], list[StatusUpdate]]:
    """The messages and the statuses of a WhatsApp webhook body."""
    try:
        return _parse_whatsapp(json.loads(body.decode()))
    except (ValueError, AttributeError, TypeError, KeyError, IndexError) as exc:
        raise PayloadError("The body is not a WhatsApp webhook notification.") from exc


def _parse_whatsapp(payload) -> tuple[list[Incoming], list[StatusUpdate]]:
    entries = payload.get("entry") or []
    messages: list[Incoming] = []
    statuses: list[StatusUpdate] = []
    for entry in entries if isinstance(entries, list) else []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            for message in value.get("messages") or []:
                parsed = _whatsapp_message(message)
                if parsed is not None:
                    messages.append(parsed)
            for status in value.get("statuses") or []:
                if not isinstance(status, dict) or not status.get("id") or not status.get("status"):
                    continue
                errors = status.get("errors") or [{}]
                error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
                statuses.append(
                    StatusUpdate(
                        provider_message_id=str(status["id"])[:200],
                        status=str(status["status"]),
                        at=_when(status.get("timestamp")),
                        error=str(error.get("title") or error.get("message") or "")[:500],
                    )
                )
    return messages, statuses


def _whatsapp_message(message) -> Incoming | None:
    if not isinstance(message, dict) or not message.get("from") or not message.get("id"):
        return None
    kind = message.get("type")
    text, media_id, media_type = "", "", ""
    if kind == "text":
        text = str((message.get("text") or {}).get("body") or "")
    elif kind == "image":
        image = message.get("image") or {}
        text = str(image.get("caption") or "")
        media_id, media_type = str(image.get("id") or ""), str(image.get("mime_type") or "")
    else:
        return None  # audio, stickers, reactions...: nothing to check
    return Incoming(
        channel=Channel.WHATSAPP,
        sender=str(message["from"])[:320],
        message_id=str(message["id"])[:200],
        text=text,
        sent_at=_when(message.get("timestamp")),
        url=first_url(text),
        media_id=media_id[:200],
        media_type=media_type[:100],
    )


def parse_telegram(body: bytes) -> Incoming | None:
    """The message of a Telegram update; None for updates that carry none (edits, joins...)."""
    try:
        update = json.loads(body.decode())
        return _parse_telegram(update, update["update_id"])
    except (ValueError, AttributeError, TypeError, KeyError, IndexError) as exc:
        raise PayloadError("The body is not a Telegram update.") from exc


def parse_telegram_delivery(body: bytes) -> tuple[list[Incoming], list[StatusUpdate]]:
    """A Telegram update in the shape of a WhatsApp delivery: its message, if any; no statuses."""
    message = parse_telegram(body)
    return ([message] if message is not None else []), []


def _parse_telegram(update: dict, update_id) -> Incoming | None:
    message = update.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    text = str(message.get("text") or message.get("caption") or "")
    media_id = _largest_photo(message.get("photo"))
    if not text and not media_id:
        return None
    return Incoming(
        channel=Channel.TELEGRAM,
        sender=str(message["chat"].get("id"))[:320],
        message_id=str(update_id)[:200],
        text=text,
        sent_at=_when(message.get("date")),
        url=first_url(text),
        media_id=media_id[:200],
        media_type="image/jpeg" if media_id else "",
    )


def _largest_photo(photos) -> str:
    """The file_id of the largest of a Telegram photo's sizes (the Bot API lists them smallest first)."""
    sizes = [p for p in photos if isinstance(p, dict) and p.get("file_id")] if isinstance(photos, list) else []
    if not sizes:
        return ""

    def area(size: dict) -> int:
        width, height = size.get("width"), size.get("height")
        return width * height if isinstance(width, int) and isinstance(height, int) else 0

    # max() keeps the first of equals: reversed, so sizes without dimensions give the last, as listed.
    return str(max(reversed(sizes), key=area)["file_id"])


def without_bot_token(message: str) -> str:
    """A message with the bot token taken out: Telegram puts it in every URL, and errors quote URLs."""
    token = settings.TELEGRAM_BOT_TOKEN
    return message.replace(token, "<bot token>") if token else message


# --- Sending -----------------------------------------------------------------


class SendError(Exception):
    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.message = message
        self.transient = transient


def _post_json(url: str, payload: dict, headers: dict[str, str]) -> dict:
    body = json.dumps(payload).encode()
    try:
        result = fetching.post(url, body=body, headers={"Content-Type": "application/json", **headers}, timeout=30)
    except fetching.FetchError as exc:
        raise SendError(exc.message, transient=exc.transient or exc.kind in ("timeout", "connection")) from exc
    if not 200 <= result.status < 300:
        transient = result.status == 429 or result.status >= 500
        raise SendError(
            f"The channel answered {result.status}: {result.body_excerpt[:300].decode(errors='replace')}",
            transient=transient,
        )
    try:
        return json.loads(result.body_excerpt)
    except ValueError:
        return {}


def send_whatsapp(to: str, *, text: str = "", template: str = "", parameters: list[str] | None = None) -> str:
    """Send a text (inside the 24-hour window) or a template; returns the wamid."""
    payload: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if template:
        payload["type"] = "template"
        payload["template"] = {
            "name": template,
            "language": {"code": settings.WHATSAPP_REPLY_TEMPLATE_LANGUAGE},
            "components": [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters or []]},
            ],
        }
    else:
        payload["type"] = "text"
        payload["text"] = {"preview_url": True, "body": text}
    answer = _post_json(
        f"{settings.WHATSAPP_GRAPH_URL}/{settings.WHATSAPP_PHONE_NUMBER_ID}/messages",
        payload,
        {"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"},
    )
    messages = answer.get("messages") if isinstance(answer, dict) else None
    return str(messages[0].get("id") or "") if isinstance(messages, list) and messages else ""


def send_telegram(chat_id: str, text: str) -> str:
    try:
        answer = _post_json(
            f"{settings.TELEGRAM_API_URL}/bot{settings.TELEGRAM_BOT_TOKEN}/sendMessage",
            {"chat_id": chat_id, "text": text},
            {},
        )
    except SendError as exc:
        raise SendError(without_bot_token(exc.message), transient=exc.transient) from None
    result = answer.get("result") if isinstance(answer, dict) else None
    return str(result.get("message_id") or "") if isinstance(result, dict) else ""


def send_email(to: str, subject: str, text: str) -> str:
    message_id = make_msgid(domain="factcheck")
    message = EmailMessage(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers={"Message-ID": message_id})
    try:
        message.send()
    except OSError as exc:
        raise SendError(f"The mail server refused or did not answer: {exc}", transient=True) from exc
    return message_id


def fetch_whatsapp_media(media_id: str) -> tuple[bytes, str]:
    """The image of a WhatsApp message: its URL from the Graph API, then the bytes, both capped."""
    auth = {"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"}
    limit = settings.FACTCHECK_TIP_MEDIA_MAX_BYTES
    meta = fetching.fetch(f"{settings.WHATSAPP_GRAPH_URL}/{media_id}", accept=("application/json",), headers=auth)
    try:
        info = json.loads(meta.body)
        url = str(info["url"])
    except (ValueError, KeyError, TypeError) as exc:
        raise fetching.FetchError("content_type", "The Graph API gave no URL for the image.") from exc
    size = info.get("file_size")
    if isinstance(size, int) and size > limit:
        raise fetching.FetchError("too_large", f"The image is {size} bytes, more than the limit of {limit}.")
    image = fetching.fetch(url, accept=MEDIA_TYPES, max_bytes=limit, headers=auth)
    return image.body, image.content_type


# Image types by their first bytes, for a file server that labels every file application/octet-stream.
_IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF8", "image/gif"))


def _image_type(body: bytes, declared: str) -> str | None:
    if declared in MEDIA_TYPES:
        return declared
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in _IMAGE_SIGNATURES if body.startswith(signature)), None)


def fetch_telegram_photo(file_id: str) -> tuple[bytes, str]:
    """A Telegram photo: its path from ``getFile``, then the bytes, both capped like WhatsApp media.

    A ``file_size`` over FACTCHECK_TIP_MEDIA_MAX_BYTES is refused before any download; the
    download is capped again while it streams (the size is the sender's to give, or not).
    """
    try:
        return _fetch_telegram_photo(file_id)
    except fetching.FetchError as exc:
        # from None: the chained error quotes the URL, and with it the token.
        raise fetching.FetchError(
            exc.kind, without_bot_token(exc.message), transient=exc.transient, status=exc.status
        ) from None


def _fetch_telegram_photo(file_id: str) -> tuple[bytes, str]:
    if not telegram_enabled():
        raise fetching.FetchError("connection", "Telegram is not configured.", transient=True)
    limit = settings.FACTCHECK_TIP_MEDIA_MAX_BYTES
    api, token = settings.TELEGRAM_API_URL, settings.TELEGRAM_BOT_TOKEN
    meta = fetching.fetch(f"{api}/bot{token}/getFile?{urlencode({'file_id': file_id})}", accept=("application/json",))
    try:
        answer = json.loads(meta.body)
        result = answer["result"] if answer.get("ok") is True else {}
        file_path = str(result["file_path"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise fetching.FetchError("content_type", "Telegram's getFile gave no file_path for the photo.") from exc
    size = result.get("file_size")
    if isinstance(size, int) and size > limit:
        raise fetching.FetchError("too_large", f"The photo is {size} bytes, more than the limit of {limit}.")
    if not file_path or file_path.startswith("/") or ".." in file_path.split("/"):
        raise fetching.FetchError("invalid_url", "Telegram's getFile gave a file_path that is not a file's path.")
    image = fetching.fetch(
        f"{api}/file/bot{token}/{quote(file_path, safe='/')}",
        accept=(*MEDIA_TYPES, "application/octet-stream"),
        max_bytes=limit,
    )
    media_type = _image_type(image.body, image.content_type)
    if media_type is None:
        raise fetching.FetchError("content_type", "The file Telegram gave for the photo is not an image.")
    return image.body, media_type
