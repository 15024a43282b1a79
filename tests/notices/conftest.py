"""Fixtures of the notices tests: a real SMTP server (aiosmtpd) and a real HTTP receiver on
loopback, a connected server's inventoried tokens, and the settings that point notices there."""

from __future__ import annotations

import email
import email.message
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from tokenui.inventory.models import InventoryToken, OwnerKind
from tokenui.servers.models import ConnectedServer

SECRET = "a-webhook-secret-for-the-tests"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received; `refuse` (an SMTP reply such as "554 …") refuses mail."""

    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refuse: str = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted"

    def texts(self) -> list[str]:
        return [str(m.get_body(("plain",)).get_content()) for m in self.messages]  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def mailbox(_smtp_server: Mailbox, settings) -> Mailbox:
    """A real SMTP server on loopback, empty and accepting; the notices' mailer points at it."""
    _smtp_server.messages.clear()
    _smtp_server.refuse = ""
    options = {"host": "127.0.0.1", "port": _smtp_server.port, "timeout": 5}
    settings.MAILERS = {"default": {"BACKEND": SMTP, "OPTIONS": options}}
    settings.DEFAULT_FROM_EMAIL = "TokenUI <tokenui@example.com>"
    return _smtp_server


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes

    @property
    def signed(self) -> bool:
        expected = "sha256=" + hmac.new(SECRET.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-TokenUI-Signature", ""), expected)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A real HTTP receiver on loopback: it keeps each POST and answers `status`; `down()`
    closes its port (connection refused), `up()` opens it again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.calls: list[Call] = []
        self.status = 200
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/tokenui"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.calls.append(Call(dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A webhook receiver, up; webhooks to loopback allowed (WEBHOOK_ALLOW_PRIVATE)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    started = Receiver()
    started.up()
    yield started
    started.down()


@pytest.fixture
def main_server(db: None) -> ConnectedServer:
    """A connected server's row (its inventory is what the notices read; no WHM is called)."""
    return ConnectedServer.objects.create(
        name="main",
        url="https://whm.example.com:2087",
        username="root",
        token_name="tokenui-main",
        token_created=timezone.now(),
        sealed_token="enc:fernet:test-1:not-opened-here",
        key_id="test-1",
    )


@pytest.fixture
def inventoried(main_server: ConnectedServer) -> Callable[..., InventoryToken]:
    """inventoried(name, days=…, owner=…, flags=…): a token as an inventory read keeps it,
    expiring `days` from now (None: never)."""

    def make(
        name: str,
        days: float | None = 30,
        *,
        owner: str = "acme",
        kind: str = OwnerKind.CPANEL,
        flags: tuple[str, ...] = (),
        server: ConnectedServer | None = None,
        now: datetime | None = None,
    ) -> InventoryToken:
        now = now or timezone.now()
        return InventoryToken.objects.create(
            server=server or main_server,
            owner_kind=kind,
            owner=owner,
            name=name,
            created=now - timedelta(days=1),
            expires=None if days is None else now + timedelta(days=days),
            ips=["192.0.2.1"],
            privileges="Limited",
            flags=list(flags),
            first_seen=now,
            last_seen=now,
        )

    return make
