"""The template list: every template of one tenant, filter, select, open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from store.errors import NotFound
from tui.screens.base import MailroomScreen
from tui.screens.tenant_data import (
    SenderSummary,
    TenantTemplates,
    format_utc,
    read_sender,
    read_with_sqlite3,
    read_with_store,
    sqlite_path,
)
from tui.widgets.template_table import TemplateTable, reply_to_text

if TYPE_CHECKING:
    from store.bulk import BulkResult
    from tui.modals.bulk_update import BulkUpdateRequest
    from tui.screens.editor import EditorResult


class TemplateListScreen(MailroomScreen[None]):
    """The templates of one tenant, grouped into sales and purchases."""

    CSS_PATH = "template_list.tcss"

    HELP = """\
## Templates

One row per document kind, with its subject, Reply-To, whether it is enabled
and who changed it last. Sales documents come first, then purchases.

- **enter** opens the highlighted template in the editor.
- **space** selects a template, or unselects it; **a** selects every row
  shown and **escape** clears the selection. Selected rows are marked `[x]`.
- **b** sets one Reply-To on the selection, or on all templates when
  nothing is selected, after showing every change it would make.
- **u** undoes the last bulk Reply-To change while no template has been
  changed since.
- **/** filters the rows by kind, subject or Reply-To as you type.
- **s** shows the sender: the From address mail goes out under now.
- **o** shows the outbox: the tenant's messages and their delivery state.
- **t** goes back to the tenant picker.
"""

    BINDINGS = [
        Binding(
            "b",
            "bulk_update",
            "Bulk Reply-To",
            tooltip="Set one Reply-To on the selected templates, or on all.",
            id="list.bulk_update",
        ),
        Binding(
            "s",
            "sender",
            "Sender",
            tooltip="Show the From address in effect and the custom sender.",
            id="list.sender",
        ),
        Binding(
            "o",
            "outbox",
            "Outbox",
            tooltip="Show the tenant's outbox: messages and their delivery state.",
            # Left out of the footer so that F1 Help still fits at 80 columns.
            # The help and the command palette list it.
            show=False,
            id="list.outbox",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip="Filter the templates by kind, subject or Reply-To.",
            id="list.filter",
        ),
        Binding(
            "u",
            "undo",
            "Undo bulk",
            tooltip="Undo the last bulk Reply-To change.",
            id="list.undo",
        ),
        Binding(
            "t,escape",
            "tenants",
            "Tenants",
            tooltip="Go back to the tenant picker.",
            show=False,
            id="list.tenants",
        ),
        Binding(
            "r",
            "reload",
            "Reload",
            tooltip="Read the templates again from the database.",
            show=False,
            id="list.reload",
        ),
    ]

    undo_change_id: reactive[str | None] = reactive(None, init=False)
    """The last bulk Reply-To change made here, while it can be undone."""

    class RowsLoaded(Message):
        """A worker read the tenant's templates."""

        def __init__(self, data: TenantTemplates, first: bool) -> None:
            super().__init__()
            self.data = data
            self.first = first

    class SenderLoaded(Message):
        """A worker decided the From address in effect for the tenant."""

        def __init__(self, sender: SenderSummary) -> None:
            super().__init__()
            self.sender = sender

    class TenantMissing(Message):
        """The tenant to show does not exist."""

        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug
        self.tenant_name = slug

    def compose(self) -> ComposeResult:
        with Vertical(id="heading"):
            yield Static(self.slug, id="tenant")
            yield Static("From: …", id="sender")
        yield Input(
            placeholder="/ to filter by kind, subject or Reply-To",
            id="filter",
            compact=True,
        )
        yield TemplateTable(id="templates")
        yield Static("", id="details")
        yield Footer()

    @property
    def templates(self) -> TemplateTable:
        """The table of templates."""
        return self.query_one("#templates", TemplateTable)

    @property
    def filter_input(self) -> Input:
        """The filter box above the table."""
        return self.query_one("#filter", Input)

    def on_mount(self) -> None:
        self.templates.focus()
        self.load_rows(first=True)

    # Loading

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False)
    def load_rows(self, first: bool = False) -> None:
        """Read the tenant's templates, the fast way on the first load."""
        data = None
        path = sqlite_path(self.app.database.url)
        if first and path is not None:
            data = read_with_sqlite3(path, self.slug)
        if data is None:
            try:
                data = read_with_store(self.app.database.get(), self.slug)
            except NotFound as error:
                self.post_message(self.TenantMissing(error.message))
                return
        # A newer load replaced this one while it read: its rows may be stale.
        if not get_current_worker().is_cancelled:
            self.post_message(self.RowsLoaded(data, first))

    @work(thread=True, exclusive=True, group="sender", exit_on_error=False)
    def load_sender(self) -> None:
        """Open the store (importing SQLModel) and read the sender in effect."""
        database = self.app.database.get()
        sender = read_sender(database, self.slug, self.app.settings.platform)
        self.post_message(self.SenderLoaded(sender))

    @on(RowsLoaded)
    def show_rows(self, event: RowsLoaded) -> None:
        self.tenant_name = event.data.name
        self.templates.show_rows(event.data.rows, self.filter_input.value)
        self._show_details()
        if not event.first:
            return
        if self.app.exit_after_first_rows:
            self.call_after_refresh(self.app.exit)
            return
        # The store is imported only now, after the first frame is painted.
        self.call_after_refresh(self.load_sender)

    @on(SenderLoaded)
    def show_sender(self, event: SenderLoaded) -> None:
        effective = event.sender.effective
        kind = "company address" if effective.is_custom else "platform address"
        self.query_one("#sender", Static).update(f"From: {effective.address} ({kind})")

    @on(TenantMissing)
    def leave_missing_tenant(self, event: TenantMissing) -> None:
        self.app.notify(event.message, title="Tenant not found", severity="error")
        self.app.open_tenant_picker()

    def on_screen_resume(self) -> None:
        if self.templates.row_count:
            self.load_rows()

    # Table and filter

    @on(Input.Changed, "#filter")
    def apply_filter(self, event: Input.Changed) -> None:
        self.templates.set_filter(event.value)
        self._show_details()

    @on(Input.Submitted, "#filter")
    def leave_filter(self) -> None:
        self.templates.focus()

    @on(TemplateTable.RowHighlighted, "#templates")
    def follow_cursor(self) -> None:
        self._show_details()

    @on(TemplateTable.SelectionChanged)
    def count_selection(self) -> None:
        self._show_details()
        self.refresh_bindings()

    def _show_details(self) -> None:
        table = self.templates
        shown_count = len(table.shown_kinds)
        total = len(table.rows_by_kind)
        counts = (
            f"{total} templates"
            if shown_count == total
            else f"{shown_count} of {total} shown"
        )
        selected = len(table.selected)
        self.query_one("#tenant", Static).update(
            f"{self.tenant_name} ({self.slug}): {counts}, {selected} selected"
        )

        details = self.query_one("#details", Static)
        kind = table.highlighted_kind
        if kind is None:
            details.update("No template matches the filter." if total else "")
            return
        row = table.rows_by_kind[kind]
        details.update(
            f"{kind.label}: Reply-To {reply_to_text(row.reply_to)}\n"
            f"version {row.version}, changed {format_utc(row.updated_at)} "
            f"by {row.updated_by}"
        )

    # Actions

    @on(TemplateTable.OpenRequested)
    def open_editor(self, event: TemplateTable.OpenRequested) -> None:
        from tui.screens.editor import EditorScreen

        self.app.push_screen(
            EditorScreen(self.slug, event.kind), callback=self._after_edit
        )

    def _after_edit(self, result: EditorResult | None) -> None:
        self.load_rows()

    def action_filter(self) -> None:
        """Move to the filter box."""
        self.filter_input.focus()

    def action_tenants(self) -> None:
        """Go back to the tenant picker."""
        if self.focused is self.filter_input and self.filter_input.value:
            self.filter_input.value = ""
            self.templates.focus()
            return
        self.app.open_tenant_picker()

    def action_reload(self) -> None:
        """Read the templates again."""
        self.load_rows()

    def action_sender(self) -> None:
        """Show the sender screen."""
        from tui.screens.sender import SenderScreen

        self.app.push_screen(SenderScreen(self.slug))

    def action_outbox(self) -> None:
        """Show the outbox screen."""
        from tui.screens.outbox import OutboxScreen

        self.app.push_screen(OutboxScreen(self.slug, self.tenant_name))

    def action_bulk_update(self) -> None:
        """Open the bulk Reply-To modal for the selection, or for all."""
        from tui.modals.bulk_update import BulkUpdateModal

        table = self.templates
        modal = BulkUpdateModal(
            rows=list(table.rows_by_kind.values()),
            selected=table.selected,
            preview=self._dry_run,
        )
        self.app.push_screen(modal, callback=self._apply_bulk)

    def _dry_run(self, request: BulkUpdateRequest) -> BulkResult:
        from store.bulk import set_reply_to

        return set_reply_to(
            self.app.database.get(),
            self.slug,
            request.reply_to,
            request.scope,
            self.app.user,
            dry_run=True,
        )

    def _apply_bulk(self, request: BulkUpdateRequest | None) -> None:
        if request is not None:
            self.apply_bulk(request)

    @work(thread=True, exclusive=True, group="bulk", exit_on_error=False)
    def apply_bulk(self, request: BulkUpdateRequest) -> None:
        """Write a bulk Reply-To change in one transaction."""
        from store.bulk import set_reply_to

        result = set_reply_to(
            self.app.database.get(),
            self.slug,
            request.reply_to,
            request.scope,
            self.app.user,
        )
        self.app.call_from_thread(self._bulk_applied, result)

    def _bulk_applied(self, result: BulkResult) -> None:
        count = len(result.updates)
        change_id = result.change_id
        if change_id is None:
            self.notify(
                "Nothing changed: every template in scope already has that Reply-To."
            )
            return
        self.undo_change_id = change_id
        self.notify(
            f"Set the Reply-To of {count} template{'s' if count != 1 else ''}. "
            "Press u to undo.",
            title="Reply-To updated",
        )
        self.load_rows()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        if action == "undo":
            return self.undo_change_id is not None
        return True

    def watch_undo_change_id(self) -> None:
        self.refresh_bindings()

    def action_undo(self) -> None:
        """Undo the last bulk Reply-To change."""
        if self.undo_change_id is not None:
            self.undo_bulk(self.undo_change_id)

    @work(thread=True, exclusive=True, group="bulk", exit_on_error=False)
    def undo_bulk(self, change_id: str) -> None:
        """Restore the Reply-To values that a bulk change replaced."""
        from store.bulk import undo_reply_to

        result = undo_reply_to(
            self.app.database.get(), self.slug, change_id, self.app.user
        )
        self.app.call_from_thread(self._bulk_undone, len(result.updates))

    def _bulk_undone(self, count: int) -> None:
        self.undo_change_id = None
        self.notify(
            f"Restored the previous Reply-To of {count} "
            f"template{'s' if count != 1 else ''}.",
            title="Undone",
        )
        self.load_rows()
