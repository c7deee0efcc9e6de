"""The history of a sender: its check runs and state changes, newest first."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.screens.tenant_data import format_utc
from tui.widgets.columns import fit_width
from tui.widgets.sender_status import state_words, status_text
from tui.widgets.template_table import shorten

if TYPE_CHECKING:
    from store.sender.views import HistoryEntry

# Fixed widths: "2026-12-01 09:30:00" and "state change".
TIME_WIDTH = 19
WHAT_WIDTH = 12
CELL_PADDING = 2
SCROLLBAR_WIDTH = 2
KIND_WORDS = {"check": "check", "transition": "state change"}


def change_text(entry: HistoryEntry) -> str:
    """Write the states before and after an entry, such as `default → pending DNS`."""
    details = entry.details
    if entry.kind == "transition":
        before, after = details.get("from_state"), details.get("to_state")
    else:
        before, after = details.get("state_before"), details.get("state_after")
    if before is None or after is None:
        return ""
    if before == after:
        return f"{state_words(before)} (unchanged)"
    return f"{state_words(before)} → {state_words(after)}"


def _record_lines(records: list[dict[str, Any]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for record in records:
        grid.add_row(
            status_text(record["status"]), record["purpose"], Text(record["message"])
        )
    return grid


def describe_entry(entry: HistoryEntry) -> Group:
    """Lay out one history entry whole: when, who, what changed and why."""
    heading = Text(f"{format_utc(entry.time)} · ", style="bold")
    heading.append(KIND_WORDS.get(entry.kind, entry.kind), style="bold")
    heading.append(f" by {entry.actor}")
    parts: list[RenderableType] = [heading]
    change = change_text(entry)
    if change:
        parts.append(Text(f"State: {change}"))
    details = entry.details
    if entry.kind == "transition":
        parts.append(Text(f"Reason: {details.get('reason') or 'none given'}"))
        return Group(*parts)

    self_test = details.get("self_test")
    if self_test:
        parts.append(Text(f"DKIM self-test: {self_test}"))
    records = details.get("records") or []
    if records:
        parts.append(_record_lines(records))
    return Group(*parts)


class SenderHistory(Vertical):
    """A table of the sender's history above the highlighted entry in full."""

    DEFAULT_CSS = """
    SenderHistory {
        & > DataTable {
            height: 1fr;
        }
        & > #entry {
            height: auto;
            max-height: 50%;
            padding: 0 1;
            border-top: solid $primary 50%;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[HistoryEntry] = []

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row", zebra_stripes=False, id="entries")
        yield Static("", id="entry")

    @property
    def table(self) -> DataTable[Text]:
        """The table of entries."""
        return self.query_one("#entries", DataTable)

    def show(self, entries: list[HistoryEntry]) -> None:
        """Replace the entries, keeping the cursor on the same row number."""
        self.entries = list(entries)
        self._rebuild()

    def _rebuild(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear(columns=True)
        changes = [change_text(entry) for entry in self.entries]
        change_width = fit_width("Before → after", changes, maximum=30)
        free = (self.size.width or self.app.size.width) - SCROLLBAR_WIDTH
        actor_width = max(free - 4 * CELL_PADDING - TIME_WIDTH - WHAT_WIDTH, 12)
        actor_width -= change_width
        table.add_column("Time UTC", width=TIME_WIDTH, key="time")
        table.add_column("What", width=WHAT_WIDTH, key="what")
        table.add_column("Before → after", width=change_width, key="change")
        table.add_column("Actor", width=max(actor_width, 12), key="actor")
        rows = zip(self.entries, changes, strict=True)
        for index, (entry, change) in enumerate(rows):
            table.add_row(
                Text(f"{entry.time.astimezone(UTC):%Y-%m-%d %H:%M:%S}"),
                Text(KIND_WORDS.get(entry.kind, entry.kind)),
                Text(change),
                Text(shorten(entry.actor, max(actor_width, 12))),
                key=str(index),
            )
        if self.entries:
            table.move_cursor(row=min(row, len(self.entries) - 1), animate=False)
        self._show_entry()

    @on(DataTable.RowHighlighted, "#entries")
    def _show_entry(self) -> None:
        entry = self.query_one("#entry", Static)
        if not self.entries:
            entry.update(Text("No checks or state changes yet.", style="italic"))
            return
        index = min(self.table.cursor_row, len(self.entries) - 1)
        entry.update(describe_entry(self.entries[index]))

    def on_resize(self) -> None:
        if self.entries:
            self._rebuild()
