"""The template editor driven by the pilot: preview, save, errors, conflicts."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot

from store.db import Database
from store.kinds import TemplateKind
from store.models import AuditEvent, Template
from store.templates import get_template
from store.tenants import get_tenant
from tests.cli import mailroom
from tests.tui_conftest import APP_USER, DEMO_SLUG, AppFactory, settle
from tui.app import MailroomApp
from tui.modals.confirm import UnsavedChangesModal
from tui.modals.conflict import ConflictModal
from tui.screens.editor import EditorScreen
from tui.screens.template_list import TemplateListScreen

OTHER_USER = "script@northwind.example"


def invoice(db: Database) -> Template:
    with db.read() as session:
        return get_template(
            session, get_tenant(session, DEMO_SLUG), TemplateKind.INVOICE
        )


async def open_invoice(pilot: Pilot[None]) -> EditorScreen:
    """From the template list, open the invoice template (the fourth row)."""
    await settle(pilot)
    await pilot.press("down", "down", "down", "enter")
    await settle(pilot)
    editor = pilot.app.screen
    assert isinstance(editor, EditorScreen)
    assert editor.kind is TemplateKind.INVOICE
    return editor


def notifications(messages: list[Message]) -> list[str]:
    return [m.notification.message for m in messages if isinstance(m, Notify)]


async def test_edit_subject_previews_and_saves(
    tui_app: AppFactory, demo_db: Database
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_invoice(pilot)
        before = editor.preview.content
        assert before is not None

        # The subject field has the focus; type at its end.
        await pilot.press("end", *" - please pay")
        after = editor.preview.content
        assert after is not None
        subject = next(h.value for h in after.headers if h.name == "Subject")
        assert subject.endswith(" - please pay")
        assert "INV-" in subject or "{{" not in subject
        assert editor.dirty

        await pilot.press("f2")
        await settle(pilot)
        assert not editor.dirty

    saved = invoice(demo_db)
    assert saved.subject.endswith(" - please pay")
    assert saved.version == 2
    assert saved.updated_by == APP_USER
    with demo_db.read() as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "template.update")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(e.target, e.actor) for e in events] == [("invoice", APP_USER)]
    assert events[0].after["subject"].endswith(" - please pay")
    assert not events[0].before["subject"].endswith(" - please pay")


async def test_ctrl_s_saves_too(tui_app: AppFactory, demo_db: Database) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_invoice(pilot)
        await pilot.press("end", "!", "ctrl+s")
        await settle(pilot)

    assert invoice(demo_db).subject.endswith("!")


async def test_invalid_reply_to_blocks_save(
    tui_app: AppFactory, demo_db: Database
) -> None:
    seen: list[Message] = []
    app = tui_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        editor = await open_invoice(pilot)
        await pilot.press("tab", *"Accounts <accounts@>")
        assert editor.has_errors
        assert editor.reply_to_input.has_class("-invalid")

        await pilot.press("f2")
        await settle(pilot)

        messages_shown = notifications(seen)
        assert any(
            text.startswith("Not saved: Reply-To is invalid") for text in messages_shown
        ), messages_shown
        assert isinstance(app.screen, EditorScreen)

    assert invoice(demo_db).version == 1
    assert invoice(demo_db).reply_to == []


async def test_valid_reply_to_is_saved_normalised(
    tui_app: AppFactory, demo_db: Database
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_invoice(pilot)
        await pilot.press("tab", *"Accounts <Accounts@Northwind.example>")
        content = editor.preview.content
        assert content is not None
        reply_to = next(h for h in content.headers if h.name == "Reply-To")
        assert not reply_to.problem
        await pilot.press("f2")
        await settle(pilot)

    assert invoice(demo_db).reply_to == [
        {"name": "Accounts", "address": "Accounts@northwind.example"}
    ]


async def test_template_error_marks_its_line(
    tui_app: AppFactory, demo_db: Database
) -> None:
    seen: list[Message] = []
    app = tui_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        editor = await open_invoice(pilot)
        body = editor.text_body
        body.focus()
        body.move_cursor((2, 0))
        # An unknown filter on line 3 of the text body.
        await pilot.press(*"{{ document.number | nosuchfilter }}")
        await pilot.pause()

        assert body.error_line == 3
        assert "error on line 3" in str(body.border_title)
        errors = str(editor.query_one("#errors").render())
        assert "Text body line 3" in errors
        assert "nosuchfilter" in errors

        await pilot.press("f2")
        await settle(pilot)
        assert any("Text body line 3" in text for text in notifications(seen))

        # F8 puts the cursor on the line in error.
        editor.subject_input.focus()
        await pilot.press("f8")
        assert body.has_focus
        assert body.cursor_location[0] == 2

    assert invoice(demo_db).version == 1


async def test_leaving_with_changes_asks_first(
    tui_app: AppFactory, demo_db: Database
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_invoice(pilot)
        await pilot.press("end", "x", "escape")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesModal)

        # Keep editing, then discard.
        await pilot.press("escape")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("escape", "d")
        await settle(pilot)
        assert isinstance(app.screen, TemplateListScreen)

    assert invoice(demo_db).version == 1


async def test_leaving_can_save_first(tui_app: AppFactory, demo_db: Database) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_invoice(pilot)
        await pilot.press("end", "x", "escape", "s")
        await settle(pilot)
        assert isinstance(app.screen, TemplateListScreen)

    assert invoice(demo_db).subject.endswith("x")


async def change_subject_elsewhere(database_url: str, subject: str) -> None:
    """Save the invoice's subject from another process, as a script would."""
    run = await asyncio.to_thread(
        mailroom,
        database_url,
        "templates",
        "set",
        "--tenant",
        DEMO_SLUG,
        "invoice",
        "--subject",
        subject,
        user=OTHER_USER,
    )
    assert run.code == 0, run.stderr


async def save_into_conflict(
    app: MailroomApp, pilot: Pilot[None], url: str
) -> ConflictModal:
    editor = await open_invoice(pilot)
    await change_subject_elsewhere(url, "Theirs {{ document.number }}")
    await pilot.press("tab", *"accounts@northwind.example", "f2")
    await settle(pilot)
    modal = app.screen
    assert isinstance(modal, ConflictModal)
    assert editor.dirty
    return modal


async def test_conflicting_save_shows_conflict(
    tui_app: AppFactory, demo_db: Database, database_url: str
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        modal = await save_into_conflict(app, pilot, database_url)
        saved_by = str(modal.query_one("#who").render())
        changes = str(modal.query_one("#changes Static").render())

        assert f"{OTHER_USER} saved version 2" in saved_by
        assert "editing version 1" in saved_by
        assert "Subject changed by them" in changes
        assert "Theirs {{ document.number }}" in changes
        assert "Reply-To changed by you only" in changes
        assert "yours:  accounts@northwind.example" in changes

    assert invoice(demo_db).subject == "Theirs {{ document.number }}"


async def test_conflict_reload_takes_theirs(
    tui_app: AppFactory, demo_db: Database, database_url: str
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await save_into_conflict(app, pilot, database_url)
        await pilot.press("r")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        assert editor.subject_input.value == "Theirs {{ document.number }}"
        assert editor.reply_to_input.value == ""
        assert not editor.dirty

    assert invoice(demo_db).version == 2


async def test_conflict_overwrite_keeps_mine(
    tui_app: AppFactory, demo_db: Database, database_url: str
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await save_into_conflict(app, pilot, database_url)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, EditorScreen)
        assert not app.screen.dirty

    saved = invoice(demo_db)
    assert saved.version == 3
    assert saved.reply_to == [{"name": "", "address": "accounts@northwind.example"}]
    assert saved.subject != "Theirs {{ document.number }}"
    assert saved.updated_by == APP_USER


async def test_variable_inserts_at_cursor(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        editor = await open_invoice(pilot)
        editor.text_body.focus()
        editor.text_body.move_cursor((0, 0))
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        first = editor.text_body.document.get_line(0)
        assert first.startswith("{{ ")
        assert editor.text_body.has_focus
