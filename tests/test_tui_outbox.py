"""The outbox screen driven by the pilot: rows, detail, filter, retry, refresh."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from sqlmodel import select
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot

from store.db import Database
from store.delivery.outbox import get_message
from store.delivery.tables import OutboxState
from store.models import AuditEvent
from tests.outbox_factory import REFUSED, add_message, add_three_states
from tests.tui_conftest import APP_USER, AppFactory, settle
from tui.screens import outbox as outbox_module
from tui.screens.outbox import OutboxScreen
from tui.screens.outbox_data import STATES
from tui.screens.template_list import TemplateListScreen
from tui.widgets.message_detail import describe_message


async def open_outbox(pilot: Pilot[None]) -> OutboxScreen:
    """From the template list, open the outbox and wait for its rows."""
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OutboxScreen)
    return screen


def column(screen: OutboxScreen, key: str) -> list[str]:
    table = screen.messages
    return [str(table.get_cell(row.key, key)) for row in table.ordered_rows]


def detail_text(screen: OutboxScreen) -> str:
    """Return the message pane as plain text, each run of spaces as one."""
    view = screen.message_view
    if view.detail is None:
        return view.note or ""
    console = Console(width=300, file=io.StringIO(), record=True)
    console.print(describe_message(view.detail))
    return "\n".join(
        " ".join(line.split()) for line in console.export_text().splitlines()
    )


def notifications(messages: list[Message]) -> list[str]:
    return [m.notification.message for m in messages if isinstance(m, Notify)]


async def move_to(pilot: Pilot[None], screen: OutboxScreen, outbox_id: int) -> None:
    """Put the cursor on message `outbox_id` and wait for its detail."""
    while screen.messages.highlighted and screen.messages.highlighted.id != outbox_id:
        await pilot.press("down")
    await settle(pilot)


def test_states_match_store() -> None:
    assert STATES == tuple(state.value for state in OutboxState)


async def test_rows_newest_first_with_states(
    tui_app: AppFactory, demo_db: Database
) -> None:
    ids = add_three_states(demo_db)
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_outbox(pilot)
        keys = [row.key.value for row in screen.messages.ordered_rows]
        states = column(screen, "state")
        kinds = column(screen, "kind")
        title = str(screen.query_one("#title").render())

    assert keys == [str(ids["deferred"]), str(ids["failed"]), str(ids["sent"])]
    assert states == ["↻ deferred", "✗ failed", "✓ sent"]
    # The kind is shortened to fit, but the test mark stays.
    assert kinds[0].startswith("Payment re")
    assert kinds[0].endswith("… (test)")
    assert kinds[1:] == ["Invoice", "Invoice"]
    assert title == "Outbox of Northwind Trading Ltd (demo): 3 messages"


async def test_detail_shows_attempts_and_headers(
    tui_app: AppFactory, demo_db: Database
) -> None:
    ids = add_three_states(demo_db)
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_outbox(pilot)
        await move_to(pilot, screen, ids["failed"])
        text = detail_text(screen)

    assert text.startswith(f"✗ failed · message {ids['failed']} · Invoice · 1 attempt")
    assert f"Last error: {REFUSED}\n" in text
    assert f"1. 2026-12-01 09:33:00 UTC ✗ failed 550 {REFUSED}" in text
    assert "From: Northwind Trading Ltd <notification-service@platform.example>" in text
    assert "Message-ID: <test-2@platform.example>" in text


async def test_filter_by_state(tui_app: AppFactory, demo_db: Database) -> None:
    ids = add_three_states(demo_db)
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_outbox(pilot)
        # All, queued, sending, deferred, sent, failed: five steps right.
        await pilot.press("f", *["right"] * 5, "enter")
        await settle(pilot)
        assert screen.state_filter == "failed"
        assert [row.key.value for row in screen.messages.ordered_rows] == [
            str(ids["failed"])
        ]
        assert str(screen.query_one("#title").render()).endswith("1 message failed")

        # No message is queued, so the message pane shows a note instead.
        await pilot.press("left", "left", "left", "left", "enter")
        await settle(pilot)
        assert screen.state_filter == "queued"
        assert screen.messages.row_count == 0
        assert detail_text(screen).startswith("No queued messages.")

        # Escape leaves the filter for the list, then the screen.
        await pilot.press("escape")
        assert screen.messages.has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TemplateListScreen)


async def test_retry_failed_queues_it(tui_app: AppFactory, demo_db: Database) -> None:
    ids = add_three_states(demo_db)
    seen: list[Message] = []
    app = tui_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        screen = await open_outbox(pilot)
        await move_to(pilot, screen, ids["failed"])
        await pilot.press("r")
        await settle(pilot)
        states = column(screen, "state")

        assert states == ["↻ deferred", "○ queued", "✓ sent"]
        assert screen.messages.highlighted is not None
        assert screen.messages.highlighted.id == ids["failed"]
        assert notifications(seen)[-1].startswith(
            f"Message {ids['failed']} is queued again, due now"
        )

    assert get_message(demo_db, ids["failed"]).message.state == "queued"
    with demo_db.read() as session:
        events = list(
            session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retry"))
        )
    assert [(event.actor, event.target) for event in events] == [
        (APP_USER, str(ids["failed"]))
    ]
    assert events[0].before["state"] == "failed"
    assert events[0].after == {"state": "queued"}


async def test_retry_sent_refused(tui_app: AppFactory, demo_db: Database) -> None:
    ids = add_three_states(demo_db)
    seen: list[Message] = []
    app = tui_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        screen = await open_outbox(pilot)
        await move_to(pilot, screen, ids["sent"])
        await pilot.press("r")
        await settle(pilot)

    assert notifications(seen)[-1] == (
        f"Message {ids['sent']} is sent. Only failed or deferred messages can be "
        "queued again."
    )
    assert get_message(demo_db, ids["sent"]).message.state == "sent"


async def test_refreshes_while_open(
    tui_app: AppFactory, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "REFRESH_SECONDS", 0.2)
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_outbox(pilot)
        assert screen.messages.row_count == 0
        assert detail_text(screen).startswith("The outbox of Northwind Trading Ltd")

        add_message(demo_db, 1, "queued")
        for _ in range(50):
            await pilot.pause(0.1)
            if screen.messages.row_count:
                break
        assert column(screen, "state") == ["○ queued"]


async def test_refresh_keys_read_at_once(
    tui_app: AppFactory, demo_db: Database
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_outbox(pilot)
        add_message(demo_db, 1, "queued")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.messages.row_count == 1

        add_message(demo_db, 2, "sent")
        await pilot.press("f5")
        await settle(pilot)
        assert screen.messages.row_count == 2


async def test_palette_lists_outbox(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Outbox" in titles
        screen = await open_outbox(pilot)
        titles = {command.title for command in app.get_system_commands(screen)}

    assert {"Retry", "Filter", "Refresh", "Back"} <= titles
