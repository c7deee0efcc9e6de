"""Mail from a company's own active address: DKIM-signed and verifiable."""

import dkim
import dns.resolver
import pytest
from sqlmodel import select

from store.db import Database
from store.delivery.service import queue_document, send_document
from store.errors import MailroomError
from store.kinds import TemplateKind
from store.models import SenderIdentity
from store.sender.keys import DkimKeyPair, generate_dkim_key
from store.settings import Settings
from tests.factories import OWNER, make_tenant
from tests.peers.knot import KnotServer
from tests.peers.smtp import SmtpServer

SELECTOR = "mailroom2026"


def activate_sender(
    db: Database,
    address: str,
    domain: str,
    pair: DkimKeyPair | None,
    state: str = "active",
) -> None:
    """Give tenant acme a custom sender in `state`, with `pair` as its key."""
    with db.write() as session:
        identity = session.exec(select(SenderIdentity)).one()
        identity.state = state
        identity.requested_address = address
        identity.domain = domain
        identity.dkim_selector = SELECTOR if pair else None
        identity.dkim_private_key = pair.private_pem if pair else None
        identity.dkim_public_key = pair.public_key if pair else None
        session.add(identity)


def dkim_record(pair: DkimKeyPair) -> str:
    return f"v=DKIM1; k=rsa; p={pair.public_key}"


def signature_tags(message_bytes: bytes) -> dict[str, str]:
    header = message_bytes.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    start = header.index("DKIM-Signature:") + len("DKIM-Signature:")
    end = header.index("\r\nFrom:")
    value = " ".join(header[start:end].split())
    return dict(item.strip().split("=", 1) for item in value.split(";"))


async def test_active_sender_signed_and_verified(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db, name="Acme GmbH")
    pair = generate_dkim_key()
    activate_sender(db, "info@acme.example", "acme.example", pair)
    asked: list[bytes] = []

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes:
        asked.append(name)
        return dkim_record(pair).encode("ascii")

    result = await send_document(
        db,
        Settings(smtp=smtp_server.settings()),
        "acme",
        TemplateKind.INVOICE,
        "buyer@customer.example",
        actor=OWNER,
    )

    assert result.accepted is True
    [received] = smtp_server.received
    assert dkim.verify(received.content, dnsfunc=dnsfunc)
    assert asked == [f"{SELECTOR}._domainkey.acme.example.".encode()]
    message = received.message()
    assert message["From"] == "Acme GmbH <info@acme.example>"
    assert message["Message-ID"].endswith("@acme.example>")
    assert received.mail_from == "bounces@bounces.acme.example"
    tags = signature_tags(received.content)
    assert tags["d"] == "acme.example"
    assert tags["s"] == SELECTOR
    assert tags["c"] == "relaxed/relaxed"


async def test_changed_header_fails_verification(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    pair = generate_dkim_key()
    activate_sender(db, "info@acme.example", "acme.example", pair)

    await send_document(
        db,
        Settings(smtp=smtp_server.settings()),
        "acme",
        TemplateKind.INVOICE,
        "buyer@customer.example",
        actor=OWNER,
    )

    content = smtp_server.received[0].content
    tampered = content.replace(b"To: buyer@", b"To: thief@", 1)
    assert tampered != content
    assert not dkim.verify(
        tampered, dnsfunc=lambda name, timeout=5: dkim_record(pair).encode()
    )


async def test_idn_custom_domain_signed_as_a_label(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    pair = generate_dkim_key()
    activate_sender(db, "info@müller.example", "xn--mller-kva.example", pair)

    await send_document(
        db,
        Settings(smtp=smtp_server.settings()),
        "acme",
        TemplateKind.QUOTE,
        "buyer@customer.example",
        actor=OWNER,
    )

    [received] = smtp_server.received
    assert received.smtp_utf8 is False
    assert received.message()["From"].addresses[0].domain == "xn--mller-kva.example"
    assert received.mail_from == "bounces@bounces.xn--mller-kva.example"
    assert signature_tags(received.content)["d"] == "xn--mller-kva.example"
    assert dkim.verify(
        received.content, dnsfunc=lambda name, timeout=5: dkim_record(pair).encode()
    )


@pytest.mark.parametrize("state", ["verified", "degraded", "failed", "pending_dns"])
async def test_inactive_sender_uses_platform_unsigned(
    db: Database, smtp_server: SmtpServer, state: str
) -> None:
    make_tenant(db, name="Acme GmbH")
    activate_sender(db, "info@acme.example", "acme.example", generate_dkim_key(), state)

    await send_document(
        db,
        Settings(smtp=smtp_server.settings()),
        "acme",
        TemplateKind.INVOICE,
        "buyer@customer.example",
        actor=OWNER,
    )

    [received] = smtp_server.received
    message = received.message()
    assert message["From"] == "Acme GmbH <notification-service@platform.example>"
    assert "DKIM-Signature" not in message
    assert received.mail_from == "bounces@bounces.platform.example"


async def test_active_sender_without_key_rejected(db: Database) -> None:
    make_tenant(db)
    activate_sender(db, "info@acme.example", "acme.example", None)

    with pytest.raises(MailroomError, match="active but has no DKIM key"):
        queue_document(
            db, Settings(), "acme", TemplateKind.INVOICE, "b@c.example", actor=OWNER
        )


@pytest.mark.knot
async def test_signature_verifies_against_knot(
    db: Database, smtp_server: SmtpServer, knot: KnotServer
) -> None:
    domain = knot.new_domain()
    pair = generate_dkim_key()
    record = dkim_record(pair)
    # Published as a DNS host stores a long TXT record: strings of at most
    # 255 characters, which a verifier joins without a separator.
    strings = [record[start : start + 255] for start in range(0, len(record), 255)]
    assert len(strings) > 1
    knot.add_txt(f"{SELECTOR}._domainkey.{domain}", *strings)
    make_tenant(db)
    activate_sender(db, f"info@{domain}", domain, pair)

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = knot.port

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes:
        answer = resolver.resolve(name.decode("ascii"), "TXT", lifetime=timeout)
        return b"".join(b"".join(rdata.strings) for rdata in answer)

    await send_document(
        db,
        Settings(smtp=smtp_server.settings()),
        "acme",
        TemplateKind.INVOICE,
        "buyer@customer.example",
        actor=OWNER,
    )

    content = smtp_server.received[0].content
    assert dkim.verify(content, dnsfunc=dnsfunc)
    assert not dkim.verify(
        content.replace(b"Subject: ", b"Subject: Re: "), dnsfunc=dnsfunc
    )
