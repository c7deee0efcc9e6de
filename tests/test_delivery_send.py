"""Sending document email through the store API to aiosmtpd on loopback."""

from email.message import EmailMessage

import pytest
from sqlmodel import select

from store.addresses import parse_reply_to
from store.db import Database
from store.delivery.outbox import get_attempts, get_message, list_outbox, retry
from store.delivery.relay import relay_config
from store.delivery.service import (
    deliver,
    document_context,
    queue_document,
    send_document,
    send_test,
)
from store.delivery.tables import OutboxState
from store.errors import Conflict, InvalidInput, NotFound
from store.kinds import TemplateKind
from store.models import AuditEvent
from store.render import render_message
from store.settings import Settings
from store.templates import TemplateEdit, get_template, save_template
from store.tenants import get_tenant
from tests.factories import OWNER, make_tenant
from tests.peers.smtp import SmtpServer

PLATFORM_FROM = "notification-service@platform.example"


def settings_for(server: SmtpServer) -> Settings:
    return Settings(smtp=server.settings())


def body_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


async def test_default_sender_headers_and_body(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db, name="Acme GmbH")
    reply_to = parse_reply_to("Accounts <accounts@acme.example>")
    save_template(
        db, "acme", TemplateKind.INVOICE, TemplateEdit(reply_to=reply_to), OWNER
    )

    result = await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "buyer@customer.example",
        actor=OWNER,
    )

    assert result.accepted is True
    assert result.state == OutboxState.SENT
    [received] = smtp_server.received
    message = received.message()
    assert message["From"] == f"Acme GmbH <{PLATFORM_FROM}>"
    assert message["Reply-To"] == "Accounts <accounts@acme.example>"
    assert message["To"] == "buyer@customer.example"
    assert message["Message-ID"] == result.message_id
    assert received.mail_from == "bounces@bounces.platform.example"
    assert received.rcpt_tos == ["buyer@customer.example"]

    with db.read() as session:
        tenant = get_tenant(session, "acme")
        template = get_template(session, tenant, TemplateKind.INVOICE)
    context = document_context(
        TemplateKind.INVOICE, tenant, None, "accounts@acme.example"
    )
    rendered = render_message(
        template.subject, template.text_body, template.html_body, context
    )
    assert rendered.subject is not None and rendered.text_body is not None
    assert message["Subject"] == rendered.subject
    # The email package ends a text part with a newline if it lacks one.
    expected_body = rendered.text_body.replace("\r\n", "\n").rstrip("\n")
    assert body_text(message).rstrip("\n") == expected_body
    assert "DKIM-Signature" not in message


@pytest.mark.parametrize("kind", list(TemplateKind))
async def test_every_kind_parses_with_its_headers(
    db: Database, smtp_server: SmtpServer, kind: TemplateKind
) -> None:
    make_tenant(db, name="Acme GmbH")
    reply_to = parse_reply_to(f'"{kind.label}, Acme" <{kind.value}@acme.example>')
    save_template(db, "acme", kind, TemplateEdit(reply_to=reply_to), OWNER)

    result = await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        kind,
        "buyer@customer.example",
        actor=OWNER,
    )

    assert result.accepted is True
    [received] = smtp_server.received
    message = received.message()
    assert not message.defects
    assert message["From"] == f"Acme GmbH <{PLATFORM_FROM}>"
    assert message["Reply-To"].addresses[0].display_name == f"{kind.label}, Acme"
    assert message["Reply-To"].addresses[0].addr_spec == f"{kind.value}@acme.example"
    assert message["To"] == "buyer@customer.example"
    assert message["Subject"] == get_message(db, result.outbox_id).message.subject
    assert message["Subject"]
    assert body_text(message).strip()
    assert get_message(db, result.outbox_id).message.kind == kind.value


async def test_html_template_sends_alternative(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    save_template(
        db,
        "acme",
        TemplateKind.QUOTE,
        TemplateEdit(html_body="<p>Quote {{ document.number }}</p>"),
        OWNER,
    )

    await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.QUOTE,
        "b@c.example",
        actor=OWNER,
    )

    message = smtp_server.received[0].message()
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(("html",))
    assert html is not None
    assert "<p>Quote " in html.get_content()


async def test_non_ascii_subject_and_names(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db, name="Müller & Söhne, Köln")
    save_template(
        db,
        "acme",
        TemplateKind.INVOICE,
        TemplateEdit(
            subject="Rechnung {{ document.number }} für {{ counterparty.name }}",
            reply_to=parse_reply_to('"Buchhaltung, Süd" <konten@acme.example>'),
        ),
        OWNER,
    )
    data = {
        "counterparty": {
            "name": "Zoë Ærø",
            "contact_name": "Zoë",
            "email": "z@z.example",
        }
    }

    result = await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "buyer@customer.example",
        actor=OWNER,
        data=data,
    )

    assert result.accepted is True
    received = smtp_server.received[0]
    assert received.content.isascii()
    assert received.smtp_utf8 is False
    message = received.message()
    assert message["Subject"].endswith("für Zoë Ærø")
    assert message["From"].addresses[0].display_name == "Müller & Söhne, Köln"
    assert message["Reply-To"].addresses[0].display_name == "Buchhaltung, Süd"


async def test_idn_recipient_with_smtputf8(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)

    result = await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "käufer@bücher.example",
        actor=OWNER,
    )

    assert result.accepted is True
    received = smtp_server.received[0]
    assert received.smtp_utf8 is True
    assert "SMTPUTF8" in received.mail_options
    assert received.rcpt_tos == ["käufer@bücher.example"]
    assert received.message()["To"] == "käufer@bücher.example"


async def test_idn_domain_sent_as_a_label(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)

    await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "buyer@bücher.example",
        actor=OWNER,
    )

    received = smtp_server.received[0]
    assert received.smtp_utf8 is False
    assert received.rcpt_tos == ["buyer@xn--bcher-kva.example"]


async def test_data_replaces_sample_keys(db: Database, smtp_server: SmtpServer) -> None:
    tenant = make_tenant(db)
    save_template(
        db,
        "acme",
        TemplateKind.INVOICE,
        TemplateEdit(
            subject="Invoice {{ document.number }}",
            text_body="Hello {{ counterparty.name }}, invoice {{ document.number }}",
        ),
        OWNER,
    )
    sample = document_context(TemplateKind.INVOICE, tenant, None)
    document = dict(sample["document"], number="INV-REAL-77")

    await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "b@c.example",
        actor=OWNER,
        data={"document": document},
    )

    message = smtp_server.received[0].message()
    assert message["Subject"] == "Invoice INV-REAL-77"
    assert body_text(message).startswith(f"Hello {sample['counterparty']['name']},")


async def test_send_test_renders_unsaved_template(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db, name="Acme GmbH")

    result = await send_test(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.PAYMENT_REMINDER,
        "me@acme.example",
        subject="Draft reminder {{ document.number }}",
        text_body="Draft body for {{ company.name }}",
        html_body=None,
        reply_to=parse_reply_to("Dunning <dunning@acme.example>"),
        actor=OWNER,
    )

    assert result.accepted is True
    message = smtp_server.received[0].message()
    assert message["Subject"].startswith("Draft reminder ")
    assert body_text(message).startswith("Draft body for Acme GmbH")
    assert message["Reply-To"] == "Dunning <dunning@acme.example>"
    stored = get_message(db, result.outbox_id).message
    assert stored.is_test is True
    assert stored.kind == "payment_reminder"
    with db.read() as session:
        template = get_template(
            session, get_tenant(session, "acme"), TemplateKind.PAYMENT_REMINDER
        )
    assert not template.subject.startswith("Draft")


async def test_rejected_send_is_reported(db: Database, smtp_server: SmtpServer) -> None:
    make_tenant(db)
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user here")

    result = await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "nobody@customer.example",
        actor=OWNER,
    )

    assert result.accepted is False
    assert result.state == OutboxState.FAILED
    assert result.reply_code == 550
    assert result.detail is not None
    assert "550 5.1.1 No such user here" in result.detail


async def test_fatal_relay_failure_keeps_message_queued(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    settings = Settings(smtp=smtp_server.settings(tls="starttls"))

    result = await send_document(
        db, settings, "acme", TemplateKind.INVOICE, "b@c.example", actor=OWNER
    )

    assert result.accepted is False
    assert result.state == OutboxState.QUEUED
    assert result.detail is not None
    assert "STARTTLS" in result.detail
    assert result.detail.endswith("the message stays queued")


async def test_disabled_template_rejected(db: Database) -> None:
    make_tenant(db)
    save_template(db, "acme", TemplateKind.QUOTE, TemplateEdit(enabled=False), OWNER)

    with pytest.raises(
        InvalidInput, match="quote template of tenant 'acme' is disabled"
    ):
        queue_document(
            db, Settings(), "acme", TemplateKind.QUOTE, "b@c.example", actor=OWNER
        )

    assert list_outbox(db) == []


async def test_render_error_rejected(db: Database) -> None:
    make_tenant(db)

    with pytest.raises(InvalidInput, match="does not render"):
        await send_test(
            db,
            Settings(),
            "acme",
            TemplateKind.INVOICE,
            "b@c.example",
            subject="Invoice {{ no_such_variable }}",
            text_body="body",
            html_body=None,
            reply_to=[],
            actor=OWNER,
        )

    assert list_outbox(db) == []


async def test_unknown_tenant_rejected(db: Database) -> None:
    with pytest.raises(NotFound, match="no tenant 'nobody'"):
        queue_document(
            db, Settings(), "nobody", TemplateKind.INVOICE, "b@c.example", actor=OWNER
        )


async def test_invalid_recipient_queues_nothing(db: Database) -> None:
    make_tenant(db)

    with pytest.raises(InvalidInput, match="invalid email address"):
        queue_document(
            db, Settings(), "acme", TemplateKind.INVOICE, "not an address", actor=OWNER
        )

    assert list_outbox(db) == []


async def test_list_outbox_filters(db: Database) -> None:
    make_tenant(db, "acme", "Acme GmbH")
    make_tenant(db, "beta", "Beta Ltd")
    first = queue_document(
        db, Settings(), "acme", TemplateKind.INVOICE, "a@c.example", actor=OWNER
    )
    second = queue_document(
        db, Settings(), "beta", TemplateKind.QUOTE, "b@c.example", actor=OWNER
    )

    assert [entry.message.id for entry in list_outbox(db)] == [second, first]
    assert [entry.tenant_slug for entry in list_outbox(db, tenant="acme")] == ["acme"]
    assert list_outbox(db, state="sent") == []
    assert len(list_outbox(db, state=OutboxState.QUEUED)) == 2
    listed = list_outbox(db)[0].message
    assert "raw" not in listed.__dict__
    with pytest.raises(InvalidInput, match="unknown outbox state 'lost'"):
        list_outbox(db, state="lost")
    with pytest.raises(NotFound):
        list_outbox(db, tenant="nobody")


async def test_retry_failed_message(db: Database, smtp_server: SmtpServer) -> None:
    make_tenant(db)
    smtp_server.handler.rcpt_replies.append("550 5.2.2 Mailbox full")
    settings = settings_for(smtp_server)
    failed = await send_document(
        db, settings, "acme", TemplateKind.INVOICE, "b@c.example", actor=OWNER
    )
    assert failed.state == OutboxState.FAILED

    retry(db, failed.outbox_id, "support@platform.example")

    result = await deliver(db, relay_config(settings.smtp), failed.outbox_id)

    assert result.accepted is True
    assert result.message_id == failed.message_id
    outcomes = [attempt.outcome for attempt in get_attempts(db, failed.outbox_id)]
    assert outcomes == ["failed", "sent"]
    with db.read() as session:
        query = select(AuditEvent).where(AuditEvent.action == "outbox.retry")
        events = list(session.exec(query))
    assert [event.actor for event in events] == ["support@platform.example"]
    with pytest.raises(Conflict, match="sending it again would deliver a duplicate"):
        retry(db, failed.outbox_id, OWNER)


async def test_retry_unknown_message(db: Database) -> None:
    with pytest.raises(NotFound, match="no outbox message 99"):
        retry(db, 99, OWNER)


async def test_company_email_is_first_reply_to(
    db: Database, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    save_template(
        db,
        "acme",
        TemplateKind.INVOICE,
        TemplateEdit(
            text_body="Questions? Write to {{ company.email }}.",
            reply_to=parse_reply_to("a@acme.example, b@acme.example"),
        ),
        OWNER,
    )

    await send_document(
        db,
        settings_for(smtp_server),
        "acme",
        TemplateKind.INVOICE,
        "b@c.example",
        actor=OWNER,
    )

    message = smtp_server.received[0].message()
    assert body_text(message).startswith("Questions? Write to a@acme.example.")
