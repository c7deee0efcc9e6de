"""Test send from the editor, driven by the pilot, to aiosmtpd on loopback."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.widgets import Input, Static

from store.db import Database
from store.delivery.outbox import list_outbox
from store.delivery.service import DeliveryResult
from store.kinds import TemplateKind
from store.settings import Settings
from tests.peers.smtp import SmtpServer
from tests.test_tui_editor import invoice, open_invoice
from tests.tui_conftest import APP_USER, DEMO_NAME, DEMO_SLUG, FIXED_TIME, settle
from tui.app import MailroomApp, make_app
from tui.modals.test_send import TestSendModal
from tui.screens.editor import EditorScreen
from tui.screens.editor_send import DraftToSend, default_recipient, describe_result

PLATFORM_FROM = "notification-service@platform.example"
BUYER = "buyer@customer.example"


def app_for(database_url: str, server: SmtpServer, **smtp: object) -> MailroomApp:
    """Build the app on the demo database, sending through `server`."""
    return make_app(
        database_url, Settings(smtp=server.settings(**smtp)), APP_USER, DEMO_SLUG
    )


def notices(messages: list[Message]) -> list[Notification]:
    return [m.notification for m in messages if isinstance(m, Notify)]


def rendered_subject(editor: EditorScreen) -> str:
    content = editor.preview.content
    assert content is not None
    return next(h.value for h in content.headers if h.name == "Subject")


async def send_to(pilot: Pilot[None], address: str) -> None:
    """Open the test-send modal, replace the address, send and wait."""
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TestSendModal)
    await pilot.press("ctrl+u", *address, "enter")
    await settle(pilot)


async def test_unsaved_draft_sent_once(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    seen: list[Message] = []
    app = app_for(database_url, smtp_server)
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        editor = await open_invoice(pilot)
        # Change the subject and the Reply-To without saving.
        await pilot.press("end", *" (draft)")
        await pilot.press("tab", *"Accounts <accounts@northwind.example>")
        subject = rendered_subject(editor)
        assert subject.endswith(" (draft)")

        await send_to(pilot, BUYER)
        assert app.screen is editor
        assert editor.dirty

    [received] = smtp_server.received
    message = received.message()
    assert received.rcpt_tos == [BUYER]
    assert message["Subject"] == subject
    assert message["From"] == f"{DEMO_NAME} <{PLATFORM_FROM}>"
    assert message["Reply-To"] == "Accounts <accounts@northwind.example>"
    assert message["To"] == BUYER

    notified = notices(seen)
    assert notified[-1].message == (
        f"Test invoice sent to {BUYER}: the relay accepted it (250)."
    )
    assert notified[-1].severity == "information"

    [entry] = list_outbox(demo_db)
    assert entry.message.is_test is True
    assert entry.message.created_by == APP_USER
    assert entry.message.state == "sent"
    assert invoice(demo_db).version == 1
    assert not invoice(demo_db).subject.endswith(" (draft)")


async def test_recipient_defaults_to_acting_user(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    app = app_for(database_url, smtp_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_invoice(pilot)
        await pilot.press("f5")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, TestSendModal)
        assert modal.query_one("#recipient", Input).value == APP_USER
        await pilot.press("enter")
        await settle(pilot)

    [received] = smtp_server.received
    assert received.rcpt_tos == [APP_USER]


def test_default_recipient_needs_an_address() -> None:
    assert default_recipient("Editor@Northwind.example") == "Editor@northwind.example"
    assert default_recipient("jdoe") == ""


async def test_550_reply_reported(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user here")
    seen: list[Message] = []
    app = app_for(database_url, smtp_server)
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await open_invoice(pilot)
        await send_to(pilot, "nobody@customer.example")

    assert smtp_server.received == []
    last = notices(seen)[-1]
    assert last.severity == "error"
    assert last.title == "Test send failed"
    assert last.message.startswith(
        "Test invoice to nobody@customer.example not sent: recipient refused:"
    )
    assert "550 5.1.1 No such user here" in last.message
    [entry] = list_outbox(demo_db)
    assert entry.message.state == "failed"
    assert entry.message.reply_code == 550


async def test_tls_failure_readable(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    seen: list[Message] = []
    # The server offers no STARTTLS, so the session cannot start.
    app = app_for(database_url, smtp_server, tls="starttls")
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await open_invoice(pilot)
        await send_to(pilot, BUYER)

    last = notices(seen)[-1]
    assert last.severity == "error"
    assert f"SMTP relay 127.0.0.1:{smtp_server.port}" in last.message
    assert "STARTTLS" in last.message
    assert "check [smtp] tls" in last.message
    assert last.message.endswith("the message stays queued.")
    assert smtp_server.received == []


async def test_invalid_recipient_refused_in_modal(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    seen: list[Message] = []
    app = app_for(database_url, smtp_server)
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        editor = await open_invoice(pilot)
        await send_to(pilot, "buyer@")

        modal = app.screen
        assert isinstance(modal, TestSendModal)
        status = str(modal.query_one("#status", Static).render())
        assert status.startswith("✗ Invalid recipient: invalid email address 'buyer@'")
        last = notices(seen)[-1]
        assert last.title == "Invalid recipient"
        assert last.message.startswith("Not sent: invalid email address 'buyer@'")

        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor

    assert smtp_server.received == []
    assert list_outbox(demo_db) == []


async def test_broken_draft_not_sent(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    seen: list[Message] = []
    app = app_for(database_url, smtp_server)
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        editor = await open_invoice(pilot)
        await pilot.press("end", *" {{ document.nosuch }}")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is editor
        refused = notices(seen)[-1]
        assert refused.title == "Cannot send a test"
        assert refused.message.startswith("Not sent: Subject")
        assert "nosuch" in refused.message

        # A draft that renders but has an invalid Reply-To is refused too.
        await pilot.press(*["backspace"] * len(" {{ document.nosuch }}"))
        await pilot.press("tab", *"accounts@")
        await pilot.press("f5")
        await settle(pilot)
        assert app.screen is editor
        assert notices(seen)[-1].message.startswith("Not sent: Reply-To is invalid")

    assert smtp_server.received == []
    assert list_outbox(demo_db) == []


async def test_palette_lists_test_send(
    demo_db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    app = app_for(database_url, smtp_server)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_invoice(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}

    assert "Test send" in titles


def draft_to(address: str) -> DraftToSend:
    return DraftToSend(
        slug=DEMO_SLUG,
        kind=TemplateKind.PAYMENT_REMINDER,
        to=address,
        subject="Reminder",
        text_body="Body",
        html_body=None,
        reply_to=[],
    )


def result_in(state: str, detail: str | None, code: int | None) -> DeliveryResult:
    return DeliveryResult(
        outbox_id=7,
        message_id="<7@platform.example>",
        state=state,
        accepted=False,
        reply_code=code,
        detail=detail,
        next_attempt_at=FIXED_TIME if state == "deferred" else None,
    )


def test_deferred_result_names_next_attempt() -> None:
    notice = describe_result(
        draft_to(BUYER),
        result_in("deferred", "timed out after 5 s waiting for SMTP relay x:25", None),
    )

    assert notice.severity == "warning"
    assert notice.message == (
        f"Test payment reminder to {BUYER} not sent yet: timed out after 5 s "
        "waiting for SMTP relay x:25. The outbox tries again from "
        "2026-12-01 09:30:00 UTC."
    )


def test_reply_code_added_when_missing() -> None:
    notice = describe_result(draft_to(BUYER), result_in("failed", "refused.", 554))

    assert notice.message.endswith("not sent: refused (reply code 554).")


def test_unanswered_send_is_pending() -> None:
    notice = describe_result(draft_to(BUYER), result_in("sending", None, None))

    assert notice.title == "Test send pending"
    assert "the relay has not answered yet" in notice.message
