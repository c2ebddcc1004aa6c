"""A real SMTP server on 127.0.0.1 (aiosmtpd), in a thread, for the notification e-mail tests.

    server = LocalSMTPServer()   # a free port of its own; not listening yet
    server.start(); ...; server.stop(); server.start()   # the same port again
    server.messages              # every message received, as email.message.EmailMessage

Messages survive a stop and start, so a test can count every delivery across an outage.
"""

from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class _Collect:
    def __init__(self, messages: list):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalSMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self._controller: Controller | None = None

    def start(self) -> LocalSMTPServer:
        self._controller = Controller(_Collect(self.messages), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
