"""A real HTTP server on 127.0.0.1, in a thread, for tests of outbound fetching.

    with LocalHTTPServer() as server:
        @server.route("/page")
        def page(request):
            request.reply(200, b"<p>hi</p>", content_type="text/html; charset=utf-8")

        fetch(server.url("/page"))  # http://localhost:PORT/page

Handlers get the `http.server.BaseHTTPRequestHandler`, with `reply()` added,
and may write to `request.wfile` themselves to stream or drip a response.
POST requests are routed the same way, with the body in `request.body`.
Every request is logged in `server.requests` as (path, headers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Handler = Callable[["_RequestHandler"], None]


class LocalHTTPServer:
    def __init__(self, port: int = 0) -> None:
        # A port of its own by default; a given port lets a test stop a server and start it again.
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _RequestHandler)
        self._httpd.app = self  # type: ignore[attr-defined]
        # A short poll interval: shutdown() waits for the next poll, once per test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str = "/", *, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes[path] = handler
            return handler

        return register

    def __enter__(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class _RequestHandler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    # The request body (POST), for handlers to read.
    body: bytes = b""

    def do_POST(self) -> None:
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def do_GET(self) -> None:
        app: LocalHTTPServer = self.server.app  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        app.requests.append((self.path, dict(self.headers.items())))
        handler = app.routes.get(path)
        try:
            if handler is None:
                self.reply(404, b"not found", content_type="text/plain")
            else:
                handler(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, which is what several tests want

    def reply(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass
