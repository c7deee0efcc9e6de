"""The sender screen driven by the pilot, checking records in Knot DNS on loopback.

Knot serves as both the configured resolver and the zones' authoritative
server (see tests/peers/knot.py). Each test uses its own subdomain of
example.test, so tests share one Knot process without seeing each other's
records.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from rich.console import Console, RenderableType
from sqlmodel import select
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Button, Static

from store.db import Database
from store.dns.txt import quote_txt
from store.models import AuditEvent
from store.sender.export import records_csv, records_json, zone_snippet
from store.sender.records import BOUNCE, DKIM, OWNERSHIP, RecordSpec
from store.sender.service import request_sender, sender_history
from store.sender.states import ACTIVE, DEFAULT, PENDING_DNS
from store.settings import DnsSettings, Settings
from tests.peers.fake_dns import FakeDnsServer, silent
from tests.peers.knot import KnotServer
from tests.tui_conftest import APP_USER, DEMO_SLUG, DEMO_USER, settle
from tui.app import MailroomApp, make_app
from tui.modals.help import HelpModal
from tui.modals.sender_cancel import SenderCancelModal
from tui.modals.sender_export import SenderExportModal
from tui.modals.sender_request import SenderRequestModal
from tui.screens.sender import SenderScreen
from tui.widgets.record_detail import describe_record

pytestmark = pytest.mark.knot

PLATFORM_FROM = "notification-service@platform.example"
SIZE = (100, 30)

AppBuilder = Callable[..., MailroomApp]


@pytest.fixture
def settings(knot: KnotServer) -> Settings:
    """Settings whose DNS queries all go to the Knot server."""
    return Settings(dns=knot.dns_settings())


@pytest.fixture
def address(knot: KnotServer) -> str:
    """A custom address on a subdomain of example.test used by this test alone."""
    return f"info@{knot.new_domain()}"


@pytest.fixture
def build(demo_db: Database, database_url: str, settings: Settings) -> AppBuilder:
    """Build the app on the demo tenant, checking DNS at the Knot server."""

    def build_app(user: str = DEMO_USER) -> MailroomApp:
        return make_app(database_url, settings, user, DEMO_SLUG)

    return build_app


@pytest.fixture
def requested(demo_db: Database, settings: Settings, address: str) -> list[RecordSpec]:
    """The demo tenant with `address` requested; the records it must publish."""
    view = request_sender(demo_db, settings, DEMO_SLUG, address, DEMO_USER)
    return [row.spec for row in view.records]


async def open_sender(pilot: Pilot[None]) -> SenderScreen:
    """From the template list, open the sender screen and wait for it to load."""
    await settle(pilot)
    await pilot.press("s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SenderScreen)
    return screen


def plain(renderable: RenderableType) -> str:
    """Render to plain text, each run of spaces as one."""
    console = Console(width=300, file=io.StringIO(), record=True)
    console.print(renderable)
    return " ".join(console.export_text().split())


def summary_text(screen: SenderScreen) -> str:
    return plain(screen.query_one("#summary", Static).content)


def statuses(screen: SenderScreen) -> dict[str, str]:
    return {row.spec.purpose: row.status for row in screen.records.records}


def status_cells(screen: SenderScreen) -> list[str]:
    table = screen.records
    return [str(table.get_cell(row.key, "status")) for row in table.ordered_rows]


def notifications(messages: list[Message]) -> list[tuple[str, str]]:
    return [
        (m.notification.title, m.notification.message)
        for m in messages
        if isinstance(m, Notify)
    ]


def by_purpose(specs: list[RecordSpec]) -> dict[str, RecordSpec]:
    return {spec.purpose: spec for spec in specs}


def publish_required(knot: KnotServer, specs: list[RecordSpec]) -> None:
    for spec in specs:
        if spec.required:
            knot.publish(spec)


# Requesting, verifying, cancelling


async def test_request_then_verify_activates(
    build: AppBuilder, knot: KnotServer, address: str
) -> None:
    messages: list[Message] = []
    app = build()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await open_sender(pilot)
        assert f"<{PLATFORM_FROM}>" in summary_text(screen)
        assert "no custom From address has been requested" in summary_text(screen)

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, SenderRequestModal)
        await pilot.press(*address, "enter")
        await settle(pilot)

        assert app.screen is screen
        assert screen.page is not None
        assert screen.page.view.state == PENDING_DNS
        assert set(statuses(screen).values()) == {"not_checked"}
        assert set(status_cells(screen)) == {"○ not checked"}
        assert "… pending DNS" in summary_text(screen)

        publish_required(knot, [row.spec for row in screen.records.records])
        await pilot.press("v")
        await settle(pilot)

        assert screen.page.view.state == ACTIVE
        required = [row for row in screen.records.records if row.spec.required]
        assert {row.status for row in required} == {"ok"}
        assert screen.page.view.effective.address == address
        assert screen.page.view.effective.is_custom
        assert f"<{address}>" in summary_text(screen)
        assert "● active" in summary_text(screen)

    titles = [title for title, _ in notifications(messages)]
    assert "Custom address requested" in titles
    assert "Sender state changed" in titles


async def test_verify_shows_wrong_value_advice(
    build: AppBuilder, knot: KnotServer, requested: list[RecordSpec]
) -> None:
    specs = by_purpose(requested)
    for spec in requested:
        if spec.required and spec.purpose != BOUNCE:
            knot.publish(spec)
    knot.add(specs[BOUNCE].name, "CNAME", "bounces.other-mailer.example.")

    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        await pilot.press("v")
        await settle(pilot)

        assert statuses(screen)[BOUNCE] == "wrong_value"
        assert status_cells(screen)[2] == "≠ wrong value"
        assert screen.page is not None
        assert screen.page.view.state == PENDING_DNS
        await pilot.press("down", "down")
        detail = screen.detail.record
        assert detail is not None
        assert detail.spec.purpose == BOUNCE
        assert detail.found == ("bounces.other-mailer.example.",)
        text = plain(describe_record(detail, screen.page.view.domain or ""))
        assert "points to bounces.other-mailer.example." in text
        assert "TTL: 60 s" in text
        assert f"127.0.0.1#{knot.port} (authoritative)" in text


async def test_silent_dns_progress_then_lookup_error(
    demo_db: Database, database_url: str
) -> None:
    async with FakeDnsServer(handler=silent) as server:
        dns = DnsSettings(
            nameservers=("127.0.0.1",), port=server.port, timeout=0.3, lifetime=0.6
        )
        settings = Settings(dns=dns)
        request_sender(demo_db, settings, DEMO_SLUG, "info@silent.test", DEMO_USER)
        app = make_app(database_url, settings, DEMO_USER, DEMO_SLUG)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_sender(pilot)
            await pilot.press("v")
            await pilot.pause(0.1)

            assert screen.checking
            assert screen.activity == "checking 5 records at DNS…"
            assert screen.query_one("#activity-row").display
            assert screen.check_action("verify", ()) is None

            await settle(pilot)

            assert not screen.checking
            assert not screen.query_one("#activity-row").display
            assert set(statuses(screen).values()) == {"lookup_error"}
            assert set(status_cells(screen)) == {"? lookup error"}
            table = screen.records
            found = {
                str(table.get_cell(row.key, "found")) for row in table.ordered_rows
            }
            assert len(found) == 1
            assert found.pop().startswith("unknown: the lookup")
            assert screen.page is not None
            assert screen.page.view.state == PENDING_DNS
            assert "could not reach DNS" in summary_text(screen)


async def test_history_lists_checks_and_changes(
    build: AppBuilder, knot: KnotServer, requested: list[RecordSpec]
) -> None:
    publish_required(knot, requested)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)

        assert screen.tabs.active == "history-tab"
        table = screen.history.table
        changes = [str(table.get_cell(row.key, "change")) for row in table.ordered_rows]
        whats = [str(table.get_cell(row.key, "what")) for row in table.ordered_rows]
        assert changes == [
            "verified → active",
            "pending DNS → verified",
            "pending DNS → active",
            "default → pending DNS",
        ]
        assert whats == ["state change", "state change", "check", "state change"]

        await pilot.press("h")
        assert screen.tabs.active == "records-tab"


async def test_cancel_returns_to_default(
    build: AppBuilder, demo_db: Database, requested: list[RecordSpec]
) -> None:
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, SenderCancelModal)
        await pilot.press("y")
        await settle(pilot)

        assert app.screen is screen
        assert screen.page is not None
        assert screen.page.view.state == DEFAULT
        assert screen.page.view.effective.address == PLATFORM_FROM
        assert not screen.records.display
        assert "none requested" in summary_text(screen)
        assert screen.check_action("request", ()) is True
        assert screen.check_action("cancel_sender", ()) is False

    with demo_db.read() as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "sender.cancel" in actions


async def test_cancel_kept_with_n(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        await pilot.press("x", "n")
        await settle(pilot)

        assert screen.page is not None
        assert screen.page.view.state == PENDING_DNS


# Permissions


async def test_non_primary_changes_disabled(
    build: AppBuilder, demo_db: Database, address: str
) -> None:
    messages: list[Message] = []
    app = build(APP_USER)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = await open_sender(pilot)

        assert screen.check_action("request", ()) is None
        node, binding, enabled, _tooltip = screen.active_bindings["r"]
        assert binding.action == "request"
        assert not enabled
        summary = summary_text(screen)
        assert f"only the primary user {DEMO_USER} may use them" in summary
        assert f"you are {APP_USER}" in summary
        palette = [command.title for command in app.get_system_commands(screen)]
        assert "Request" not in palette

        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen

        # The store still refuses if the request is made some other way.
        screen.request_address(address)
        await settle(pilot)

        assert screen.page is not None
        assert screen.page.view.state == DEFAULT

    refusals = [n for n in notifications(messages) if n[0] == "Not allowed"]
    assert len(refusals) == 1
    assert f"only the primary user of tenant {DEMO_SLUG}" in refusals[0][1]
    with demo_db.read() as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert "sender.request_denied" in actions


async def test_non_primary_cannot_cancel(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    app = build(APP_USER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)

        assert screen.check_action("cancel_sender", ()) is None
        assert screen.check_action("verify", ()) is True
        await pilot.press("x")
        await settle(pilot)
        assert app.screen is screen


# The request modal


async def test_request_modal_names_invalid_value(build: AppBuilder) -> None:
    messages: list[Message] = []
    app = build()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await open_sender(pilot)
        await pilot.press("r")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, SenderRequestModal)

        await pilot.press(*"info@@northwind.example")
        status = plain(modal.query_one("#status", Static).content)
        assert status.startswith("✗ Invalid address:")
        assert "'info@@northwind.example'" in status
        assert modal.query_one("#request", Button).disabled

        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal

        for _ in range(len("info@@northwind.example")):
            await pilot.press("backspace")
        await pilot.press(*"info@platform.example")
        status = plain(modal.query_one("#status", Static).content)
        assert "belongs to the platform" in status

    assert any(title == "Invalid address" for title, _ in notifications(messages))


async def test_request_modal_shows_idn_forms(build: AppBuilder) -> None:
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await open_sender(pilot)
        await pilot.press("r")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, SenderRequestModal)
        await pilot.press(*"info@müller.test")

        status = plain(modal.query_one("#status", Static).content)
        assert "info@müller.test (in DNS: info@xn--mller-kva.test)" in status
        assert not modal.query_one("#request", Button).disabled

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SenderScreen)


# Copying and exporting


async def test_copy_name_and_value(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    specs = by_purpose(requested)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await open_sender(pilot)

        await pilot.press("y")
        assert app.clipboard == specs[OWNERSHIP].value
        await pilot.press("c")
        assert app.clipboard == specs[OWNERSHIP].name

        await pilot.press("down", "y")
        assert app.clipboard == specs[DKIM].value
        await pilot.press("Y")
        assert app.clipboard == quote_txt(specs[DKIM].strings)
        assert len(specs[DKIM].strings) == 2


async def test_copy_of_spf_copies_nothing(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    messages: list[Message] = []
    app = build()
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        await open_sender(pilot)
        await pilot.press("c", "down", "down", "down", "down", "y")

        assert app.clipboard == requested[0].name
    assert any("needs no value" in text for _, text in notifications(messages))


async def test_export_modal_shows_each_format(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await open_sender(pilot)
        await pilot.press("e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, SenderExportModal)

        assert modal.text_area.text == zone_snippet(requested)
        await pilot.press("2")
        await settle(pilot)
        assert modal.text_area.text == records_csv(requested)
        await pilot.press("3")
        await settle(pilot)
        assert json.loads(modal.text_area.text) == json.loads(records_json(requested))
        await pilot.press("f")
        await settle(pilot)
        assert modal.text_area.text == zone_snippet(requested)

        await pilot.press("y")
        assert app.clipboard == zone_snippet(requested)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SenderScreen)


# Automatic re-checks


async def test_automatic_recheck_activates(
    build: AppBuilder,
    knot: KnotServer,
    address: str,
    requested: list[RecordSpec],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SenderScreen, "RECHECK_SECONDS", 0.3)
    publish_required(knot, requested)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        for _ in range(50):
            if screen.page is not None and screen.page.view.state == ACTIVE:
                break
            await pilot.pause(0.1)
            await settle(pilot)

        assert screen.page is not None
        assert screen.page.view.state == ACTIVE
        assert screen.page.view.effective.address == address


async def test_paused_recheck_checks_nothing(
    build: AppBuilder,
    demo_db: Database,
    requested: list[RecordSpec],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SenderScreen, "RECHECK_SECONDS", 0.2)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert not screen.auto_recheck
        assert "paused" in summary_text(screen)
        checks_before = len(sender_history(demo_db, DEMO_SLUG))

        await pilot.pause(0.8)
        await settle(pilot)

        assert len(sender_history(demo_db, DEMO_SLUG)) == checks_before


async def test_no_recheck_without_custom_address(
    build: AppBuilder, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SenderScreen, "RECHECK_SECONDS", 0.2)
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        await pilot.pause(0.6)
        await settle(pilot)

        assert screen.check_action("verify", ()) is False
        assert sender_history(demo_db, DEMO_SLUG) == []


# Keys, help and leaving


async def test_palette_lists_record_actions(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sender(pilot)
        titles = [command.title for command in app.get_system_commands(screen)]

        for title in ("Verify", "Cancel addr", "Copy value", "Copy name", "Export"):
            assert title in titles
        assert "Request" not in titles


async def test_help_describes_sender(
    build: AppBuilder, requested: list[RecordSpec]
) -> None:
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await open_sender(pilot)
        await pilot.press("f1")
        await settle(pilot)

        assert isinstance(app.screen, HelpModal)
        assert "## Sender" in app.screen.text
        assert "`v`" in app.screen.text


async def test_escape_returns_to_template_list(build: AppBuilder) -> None:
    from tui.screens.template_list import TemplateListScreen

    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await open_sender(pilot)
        await pilot.press("escape")
        await settle(pilot)

        assert isinstance(app.screen, TemplateListScreen)
