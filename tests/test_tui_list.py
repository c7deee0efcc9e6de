"""The template list driven by the pilot: rows, filter, selection, bulk, undo."""

from __future__ import annotations

from sqlmodel import select
from textual.message import Message
from textual.notifications import Notify

from store.db import Database
from store.kinds import TemplateKind
from store.models import Template
from store.templates import TemplateEdit, save_template
from tests.tui_conftest import DEMO_SLUG, AppFactory, settle
from tui.modals.bulk_update import BulkUpdateModal
from tui.modals.help import HelpModal
from tui.screens.sender import SenderScreen
from tui.screens.template_list import TemplateListScreen
from tui.screens.tenant_picker import TenantPickerScreen
from tui.widgets.template_table import NO_REPLY_TO, SELECTED_MARK, TemplateTable

SALES = "Sales <sales@northwind.example>"
SALES_BOX = {"name": "Sales", "address": "sales@northwind.example"}


def reply_tos(db: Database) -> dict[TemplateKind, list[dict[str, str]]]:
    with db.read() as session:
        return {
            TemplateKind(t.kind): t.reply_to for t in session.exec(select(Template))
        }


def table_of(screen: object) -> TemplateTable:
    assert isinstance(screen, TemplateListScreen)
    return screen.templates


async def test_rows_grouped_sales_then_purchases(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        keys = [row.key.value for row in table.ordered_rows]

    assert keys[0] == "group:sales"
    assert keys[10] == "group:purchases"
    assert keys[1:10] == [k.value for k in TemplateKind if k.group.value == "sales"]
    assert keys[11:] == ["purchase_order", "remittance_advice"]


async def test_row_says_when_reply_to_is_missing(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        details = str(app.screen.query_one("#details").render())

    assert f"Reply-To {NO_REPLY_TO}" in details
    assert "by owner@northwind.example" in details


async def test_cursor_skips_group_titles(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        assert table.highlighted_kind is TemplateKind.QUOTE
        await pilot.press(*["down"] * 9)
        assert table.highlighted_kind is TemplateKind.PURCHASE_ORDER
        await pilot.press("up")
        assert table.highlighted_kind is TemplateKind.CUSTOMER_STATEMENT


async def test_filter_as_you_type(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        await pilot.press("slash", *"remit")
        assert table.shown_kinds == [TemplateKind.REMITTANCE_ADVICE]

        await pilot.press("escape")
        assert table.shown_kinds == list(TemplateKind)
        assert table.has_focus


async def test_space_marks_selection_in_text(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        await pilot.press("space", "down", "down", "down", "space")
        assert table.selected == {TemplateKind.QUOTE, TemplateKind.INVOICE}
        mark = table.get_cell(TemplateKind.INVOICE.value, "mark")
        assert str(mark) == SELECTED_MARK

        await pilot.press("escape")
        assert table.selected == frozenset()


async def test_bulk_update_changes_selection_only(
    tui_app: AppFactory, demo_db: Database
) -> None:
    seen: list[Message] = []
    app = tui_app()
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await settle(pilot)
        # Select the quote and the invoice, then open the bulk modal.
        await pilot.press("space", "down", "down", "down", "space", "b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkUpdateModal)
        await pilot.press(*SALES)
        await pilot.pause(0.3)
        await settle(pilot)

        changes = modal.query_one("#changes")
        assert [row.key.value for row in changes.ordered_rows] == ["quote", "invoice"]
        assert reply_tos(demo_db)[TemplateKind.QUOTE] == []

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TemplateListScreen)

        after = reply_tos(demo_db)
        assert after[TemplateKind.QUOTE] == [SALES_BOX]
        assert after[TemplateKind.INVOICE] == [SALES_BOX]
        others = {
            k: v
            for k, v in after.items()
            if k not in {TemplateKind.QUOTE, TemplateKind.INVOICE}
        }
        assert all(value == [] for value in others.values())
        texts = [m.notification.message for m in seen if isinstance(m, Notify)]
        assert any(
            "Set the Reply-To of 2 templates" in t and "u to undo" in t for t in texts
        )

        # The list shows the new Reply-To once it has reloaded.
        table = table_of(app.screen)
        assert table.rows_by_kind[TemplateKind.INVOICE].reply_to == [SALES_BOX]

        await pilot.press("u")
        await settle(pilot)

    assert all(value == [] for value in reply_tos(demo_db).values())


async def test_bulk_update_scope_purchases(
    tui_app: AppFactory, demo_db: Database
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkUpdateModal)
        # Into the scope buttons: All, Selected (disabled), Sales, Purchases.
        await pilot.press(*"buying@northwind.example", "tab", "right", "right", "enter")
        await pilot.pause(0.3)
        await settle(pilot)
        changes = modal.query_one("#changes")
        assert [row.key.value for row in changes.ordered_rows] == [
            "purchase_order",
            "remittance_advice",
        ]
        await pilot.press("f2")
        await settle(pilot)

    after = reply_tos(demo_db)
    assert after[TemplateKind.PURCHASE_ORDER] == [
        {"name": "", "address": "buying@northwind.example"}
    ]
    assert after[TemplateKind.INVOICE] == []


async def test_bulk_modal_rejects_invalid_reply_to(
    tui_app: AppFactory, demo_db: Database
) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, BulkUpdateModal)
        await pilot.press(*"Sales <sales@", "f2")
        await settle(pilot)
        status = str(modal.query_one("#status").render())
        assert status.startswith("✗ Invalid Reply-To")
        assert app.screen is modal

        await pilot.press("escape")
        assert isinstance(app.screen, TemplateListScreen)

    assert all(value == [] for value in reply_tos(demo_db).values())


async def test_missing_tenant_goes_to_picker(tui_app: AppFactory) -> None:
    app = tui_app(tenant="nosuch")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, TenantPickerScreen)


async def test_sender_screen_shows_from_in_effect(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SenderScreen)
        assert screen.page is not None
        view = screen.page.view
        assert view.effective.address == "notification-service@platform.example"
        assert view.effective.reason == "no custom From address has been requested"
        assert view.state == "default"
        await pilot.press("escape")
        assert isinstance(app.screen, TemplateListScreen)


async def test_f1_shows_help_with_keys(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        assert "Bulk Reply-To" in app.screen.text
        assert "## Templates" in app.screen.text
        await pilot.press("escape")
        assert isinstance(app.screen, TemplateListScreen)


async def test_palette_lists_every_screen_action(tui_app: AppFactory) -> None:
    app = tui_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}

    expected = {"Edit", "Select", "Bulk Reply-To", "Sender", "Filter", "Tenants"}
    assert expected <= titles
    assert "Help" in titles


async def test_opens_on_database_object(tui_app: AppFactory) -> None:
    app = tui_app(by_url=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert len(table_of(app.screen).shown_kinds) == len(TemplateKind)
        assert DEMO_SLUG in str(app.screen.query_one("#tenant").render())


async def test_subject_with_brackets_is_shown_literally(
    tui_app: AppFactory, demo_db: Database
) -> None:
    subject = "[b]Invoice[/b] [draft]"
    save_template(
        demo_db, DEMO_SLUG, TemplateKind.INVOICE, TemplateEdit(subject=subject), "ann"
    )
    app = tui_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = table_of(app.screen)
        cell = table.get_cell("invoice", table.ordered_columns[2].key)

    assert str(cell) == subject
