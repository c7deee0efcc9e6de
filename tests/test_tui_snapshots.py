"""Screenshots of every screen and modal state, compared with the accepted SVGs.

Regenerate after an intended change with
`pytest tests/test_tui_snapshots.py --snapshot-update`, then look at the
report or the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from textual.pilot import Pilot

from store.db import Database
from store.kinds import TemplateKind
from store.settings import Settings
from tests.outbox_factory import add_three_states
from tests.tui_conftest import FIXED_TIME, AppFactory, settle
from tui.modals.conflict import ConflictModal
from tui.modals.error import ErrorModal
from tui.screens.editor import EditorScreen
from tui.screens.tenant_data import read_template
from tui.screens.tenant_picker import TenantPickerScreen

SnapCompare = Callable[..., bool]
WIDE = (100, 30)
SMALL = (80, 24)


def keys(*pressed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Wait for the app to load, press `pressed`, then wait for it again."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        # Let debounced searches and dry runs fire, then finish.
        await pilot.pause(0.3)
        await settle(pilot)
        await searched(pilot)

    return run_before


async def searched(pilot: Pilot[None]) -> None:
    """Wait until the tenant picker shows the results of the text typed."""
    screen = pilot.app.screen
    for _ in range(100):
        if not isinstance(screen, TenantPickerScreen):
            return
        if screen.query_text == screen.search_input.value:
            return
        await pilot.pause(0.05)
        await settle(pilot)


OPEN_INVOICE = ("down", "down", "down", "enter")


def test_picker_filled(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Tenant picker listing every tenant, search box empty."""
    assert snap_compare(tui_app(tenant=None), terminal_size=SMALL, run_before=keys())


def test_picker_no_match(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Tenant picker whose search matches no tenant."""
    assert snap_compare(
        tui_app(tenant=None), terminal_size=SMALL, run_before=keys(*"nosuch")
    )


def test_list_filled(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Template list of the demo tenant, grouped, nothing selected."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys())


def test_list_small_terminal(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Template list at 80x24: every row and the footer fit."""
    assert snap_compare(tui_app(), terminal_size=SMALL, run_before=keys())


def test_list_selected(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Template list with two templates selected, marked [x]."""
    assert snap_compare(
        tui_app(), terminal_size=WIDE, run_before=keys("space", "down", "space")
    )


def test_list_filter_empty(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Template list whose filter matches no template."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys("slash", *"zzz"))


def test_editor_preview(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Editor on the invoice template with its rendered preview."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys(*OPEN_INVOICE))


def test_editor_small_terminal(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Editor at 80x24: fields, body and preview side by side."""
    assert snap_compare(tui_app(), terminal_size=SMALL, run_before=keys(*OPEN_INVOICE))


def test_editor_render_error(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Editor with an unknown filter on line 3, the line marked and named."""

    async def run_before(pilot: Pilot[None]) -> None:
        await keys(*OPEN_INVOICE)(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, EditorScreen)
        editor.text_body.focus()
        editor.text_body.move_cursor((2, 0))
        await pilot.press(*"{{ document.number | nosuchfilter }}")
        await settle(pilot)

    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=run_before)


def test_editor_invalid_reply_to(
    snap_compare: SnapCompare, tui_app: AppFactory
) -> None:
    """Editor whose Reply-To is invalid, after a refused save."""
    assert snap_compare(
        tui_app(),
        terminal_size=WIDE,
        run_before=keys(*OPEN_INVOICE, "tab", *"Accounts <accounts@", "f2"),
    )


def test_variables_panel(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Editor with the variables of the invoice kind in place of the preview."""
    assert snap_compare(
        tui_app(), terminal_size=WIDE, run_before=keys(*OPEN_INVOICE, "f3")
    )


def test_unsaved_changes_modal(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Unsaved-changes question on leaving the editor after an edit."""
    assert snap_compare(
        tui_app(),
        terminal_size=WIDE,
        run_before=keys(*OPEN_INVOICE, "end", "!", "escape"),
    )


def test_conflict_modal(
    snap_compare: SnapCompare, tui_app: AppFactory, demo_db: Database
) -> None:
    """Conflict modal: another person saved a new subject while we edited."""
    base = read_template(demo_db, "demo", TemplateKind.INVOICE, Settings().platform)
    theirs = replace(
        base,
        subject="Invoice {{ document.number }} is ready",
        version=2,
        updated_by="script@northwind.example",
        updated_at=FIXED_TIME + timedelta(minutes=5),
    )

    async def run_before(pilot: Pilot[None]) -> None:
        await keys(*OPEN_INVOICE, "tab", *"accounts@northwind.example")(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, EditorScreen)
        modal = ConflictModal(TemplateKind.INVOICE, base, theirs, editor.draft())
        await pilot.app.push_screen(modal)
        await settle(pilot)

    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=run_before)


def test_bulk_modal_empty(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Bulk modal just opened: no Reply-To typed, nothing would change."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys("b"))


def test_bulk_modal_changes(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Bulk modal on two selected templates, listing old and new Reply-To."""
    assert snap_compare(
        tui_app(),
        terminal_size=WIDE,
        run_before=keys(
            "space", "down", "space", "b", *"Sales <sales@northwind.example>"
        ),
    )


def test_bulk_modal_invalid(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Bulk modal with an invalid Reply-To: no changes listed, apply disabled."""
    assert snap_compare(
        tui_app(), terminal_size=WIDE, run_before=keys("b", *"sales@@northwind")
    )


def test_bulk_modal_small_terminal(
    snap_compare: SnapCompare, tui_app: AppFactory
) -> None:
    """Bulk modal at 80x24 with the changes for all templates."""
    assert snap_compare(
        tui_app(), terminal_size=SMALL, run_before=keys("b", *"info@northwind.example")
    )


def test_sender_screen(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Sender screen: the platform From in effect, no custom address."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys("s"))


def test_help_modal(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Help for the template list, opened with F1."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys("f1"))


def test_error_modal(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Error modal for an unexpected failure, with selectable details."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        details = (
            "Traceback (most recent call last):\n"
            '  File "x.py", line 1\n'
            "ValueError: boom"
        )
        await pilot.app.push_screen(
            ErrorModal(
                "Unexpected error", "load_rows() failed: ValueError('boom')", details
            )
        )
        await settle(pilot)

    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=run_before)


def test_test_send_modal_empty(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Test-send modal from the editor, its address field cleared."""
    assert snap_compare(
        tui_app(), terminal_size=WIDE, run_before=keys(*OPEN_INVOICE, "f5", "ctrl+u")
    )


def test_test_send_modal_invalid(
    snap_compare: SnapCompare, tui_app: AppFactory
) -> None:
    """Test-send modal with an invalid address and the reason under it."""
    assert snap_compare(
        tui_app(),
        terminal_size=WIDE,
        # The domain has no dot, so the address is invalid.
        run_before=keys(*OPEN_INVOICE, "f5", "ctrl+u", *"buyer@customer"),
    )


def test_outbox_failed_selected(
    snap_compare: SnapCompare, tui_app: AppFactory, demo_db: Database
) -> None:
    """Outbox with deferred, failed and sent rows, the failed one highlighted."""
    add_three_states(demo_db)
    # o opens the outbox on the newest (deferred) row; down moves to failed.
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys("o", "down"))


def test_outbox_small_terminal(
    snap_compare: SnapCompare, tui_app: AppFactory, demo_db: Database
) -> None:
    """Outbox at 80x24 with the failed row highlighted."""
    add_three_states(demo_db)
    assert snap_compare(tui_app(), terminal_size=SMALL, run_before=keys("o", "down"))


def test_outbox_empty(snap_compare: SnapCompare, tui_app: AppFactory) -> None:
    """Outbox of a tenant that has sent nothing yet."""
    assert snap_compare(tui_app(), terminal_size=WIDE, run_before=keys("o"))
