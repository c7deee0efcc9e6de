"""aiosmtpd on loopback: the real SMTP server the delivery tests send to.

Each server runs in its own thread (aiosmtpd's `Controller`) on 127.0.0.1
and a free port, and stores every message it accepts. A test scripts
failures through the handler: a reply to RCPT or DATA (451, 550), a dropped
connection after the message data, or a stall longer than the client's
timeout. The STARTTLS and TLS variants use a self-signed certificate for
127.0.0.1 made once per session with `openssl req`.
"""

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.parser import Parser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session

from store.settings import SmtpSettings

# The name the server gives in its greeting. It is set so that aiosmtpd does
# not query DNS for this host's fully qualified name.
SERVER_NAME = "relay.mailroom.test"

# Scripted DATA actions besides an SMTP reply such as "451 4.3.0 Try later".
DROP = "drop"
STALL = "stall"


@dataclass(frozen=True)
class Received:
    """One message the server accepted, as it arrived."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    smtp_utf8: bool
    mail_options: list[str]
    # Whether the session ran over TLS (STARTTLS or TLS from the start).
    tls: bool

    def message(self) -> EmailMessage:
        """Parse the content, reading UTF-8 headers as text (RFC 6532)."""
        text = self.content.decode("utf-8")
        parsed = Parser(policy=default_policy).parsestr(text)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate and its key, as PEM files."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """Return a server-side TLS context that presents this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class RecordingHandler:
    """An aiosmtpd handler that stores accepted messages and plays a script."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        # Replies to the next RCPT commands, one per command, before the
        # default "250 OK".
        self.rcpt_replies: deque[str] = deque()
        # Actions for the next messages, one per DATA: an SMTP reply, DROP or
        # STALL (wait `stall_seconds`, then accept).
        self.data_actions: deque[str] = deque()
        self.stall_seconds = 5.0
        # Seconds to wait before accepting each message, to make a batch slow.
        self.delay = 0.0
        self.data_commands = 0
        # EHLO commands seen: one per session, two with STARTTLS.
        self.ehlo_commands = 0
        self._lock = threading.Lock()

    async def handle_EHLO(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        with self._lock:
            self.ehlo_commands += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self._lock:
            scripted = self.rcpt_replies.popleft() if self.rcpt_replies else None
        if scripted is not None and not scripted.startswith("2"):
            return scripted
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        with self._lock:
            self.data_commands += 1
            action = self.data_actions.popleft() if self.data_actions else None
        if action == DROP:
            # The client has sent the whole message and waits for the reply
            # that never comes.
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if action == STALL:
            await asyncio.sleep(self.stall_seconds)
        elif action is not None:
            return action
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.original_content or b""
        with self._lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    content=content,
                    smtp_utf8=envelope.smtp_utf8,
                    mail_options=list(envelope.mail_options),
                    tls=server.transport.get_extra_info("ssl_object") is not None,
                )
            )
        return "250 2.0.0 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        """Return every accepted message, parsed."""
        with self._lock:
            received = list(self.received)
        return [item.message() for item in received]


@dataclass
class SmtpServer:
    """A running aiosmtpd server and the settings that make Mailroom use it."""

    port: int
    handler: RecordingHandler
    controller: Controller
    tls: str = "none"
    ca_file: Path | None = None
    host: str = "127.0.0.1"
    extra: dict[str, Any] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> SmtpSettings:
        """Return SMTP settings for this server, with `overrides` applied."""
        settings = SmtpSettings(
            host=self.host,
            port=self.port,
            tls=self.tls,
            timeout=5.0,
            ca_file=str(self.ca_file) if self.ca_file else None,
        )
        return replace(settings, **overrides)

    def environment(self) -> dict[str, str]:
        """Return the `MAILROOM_SMTP_*` variables that point `mailroom` here."""
        environment = {
            "MAILROOM_SMTP_HOST": self.host,
            "MAILROOM_SMTP_PORT": str(self.port),
            "MAILROOM_SMTP_TLS": self.tls,
            "MAILROOM_SMTP_TIMEOUT": "5",
        }
        if self.ca_file:
            environment["MAILROOM_SMTP_CA_FILE"] = str(self.ca_file)
        return environment

    @property
    def received(self) -> list[Received]:
        """Every message accepted so far."""
        return list(self.handler.received)

    def stop(self) -> None:
        """Stop the server thread."""
        self.controller.stop()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp_server(
    *,
    tls: str = "none",
    certificate: Certificate | None = None,
    smtputf8: bool = True,
    authenticator: Callable[..., AuthResult] | None = None,
) -> SmtpServer:
    """Start aiosmtpd on 127.0.0.1 and a free port.

    `tls` is "none", "starttls" (offered and required) or "tls" (TLS from
    the first byte); the last two need `certificate`.
    """
    handler = RecordingHandler()
    port = free_port()
    options: dict[str, Any] = {
        "hostname": "127.0.0.1",
        "port": port,
        "server_hostname": SERVER_NAME,
        "enable_SMTPUTF8": smtputf8,
    }
    if tls != "none":
        assert certificate is not None, f"TLS mode {tls} needs a certificate"
        if tls == "starttls":
            options["tls_context"] = certificate.server_context()
            options["require_starttls"] = True
        else:
            options["ssl_context"] = certificate.server_context()
    if authenticator is not None:
        options["authenticator"] = authenticator
        options["auth_require_tls"] = False
    controller = Controller(handler, **options)
    controller.start()
    return SmtpServer(
        port=port,
        handler=handler,
        controller=controller,
        tls=tls,
        ca_file=certificate.cert_file if certificate else None,
    )


def make_certificate(folder: Path, name: str) -> Certificate:
    """Make a self-signed certificate for 127.0.0.1 and localhost in `folder`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is not installed; the TLS tests make their certificate")
    cert_file = folder / f"{name}.crt"
    key_file = folder / f"{name}.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key_file),
            "-out",
            str(cert_file),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return Certificate(cert_file, key_file)


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """The self-signed certificate the TLS servers present."""
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"), "relay")


@pytest.fixture(scope="session")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A second self-signed certificate, which the servers do not present."""
    return make_certificate(tmp_path_factory.mktemp("smtp-other"), "stranger")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server with SMTPUTF8, for one test."""
    server = start_smtp_server()
    yield server
    server.stop()


@pytest.fixture
def smtp_starttls_server(smtp_certificate: Certificate) -> Iterator[SmtpServer]:
    """An SMTP server that requires STARTTLS, for one test."""
    server = start_smtp_server(tls="starttls", certificate=smtp_certificate)
    yield server
    server.stop()
