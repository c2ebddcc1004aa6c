"""Fake WhatsApp Graph API and Telegram Bot API servers on 127.0.0.1, recording what
they receive (no Django here: the tiplines benchmark runs them beside gunicorn)."""

from __future__ import annotations

import itertools
import json
from urllib.parse import parse_qs, urlsplit

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
    """The Bot API's sendMessage, getFile and file download, as documented."""

    PHOTO_PATH = "photos/file_7.jpg"

    def __init__(self, server: LocalHTTPServer):
        self.server = server
        self.sent: list[dict] = []
        self.ids = itertools.count(100)
        # What getFile reports (None: no file_size, as the API may answer); the file served.
        self.file_size: int | None = len(IMAGE)
        self.photo = IMAGE
        self.file_ids: list[str] = []
        server.route(f"/bot{BOT_TOKEN}/sendMessage")(self._send)
        server.route(f"/bot{BOT_TOKEN}/getFile")(self._get_file)
        server.route(f"/file/bot{BOT_TOKEN}/{self.PHOTO_PATH}")(self._file)

    def _get_file(self, request):
        file_id = parse_qs(urlsplit(request.path).query).get("file_id", [""])[0]
        self.file_ids.append(file_id)
        if not file_id.startswith("photo-"):
            answer = {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            request.reply(400, json.dumps(answer).encode(), content_type="application/json")
            return
        result = {"file_id": file_id, "file_unique_id": "u-" + file_id, "file_path": self.PHOTO_PATH}
        if self.file_size is not None:
            result["file_size"] = self.file_size
        request.reply(200, json.dumps({"ok": True, "result": result}).encode(), content_type="application/json")

    def _file(self, request):
        # Telegram's file server does not promise an image type: octet-stream, as the worst case.
        request.reply(200, self.photo, content_type="application/octet-stream")

    @property
    def downloads(self) -> list[str]:
        return [path for path, _ in self.server.requests if path.startswith("/file/")]

    def _send(self, request):
        payload = json.loads(request.body)
        self.sent.append(payload)
        answer = {"ok": True, "result": {"message_id": next(self.ids), "chat": {"id": payload["chat_id"]}}}
        request.reply(200, json.dumps(answer).encode(), content_type="application/json")
