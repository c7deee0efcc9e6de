"""The table of a tenant's outbox messages, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

from tui.screens.outbox_data import OutboxRow
from tui.widgets.template_table import shorten

# Each state is written as a symbol and a word, so that it reads the same
# with NO_COLOR or on a monochrome terminal. Colour only repeats it.
STATE_SYMBOLS = {
    "queued": "○",
    "sending": "→",
    "deferred": "↻",
    "sent": "✓",
    "failed": "✗",
}

# The theme variable whose colour repeats each state's symbol, if any.
STATE_COLOURS = {
    "deferred": "text-warning",
    "sent": "text-success",
    "failed": "text-error",
}

# Fixed widths: "↻ deferred", a two-digit attempt count and "12-01 09:30".
STATE_WIDTH = 10
ATTEMPTS_WIDTH = 3
UPDATED_WIDTH = 11
# DataTable pads each cell by one column on both sides.
CELL_PADDING = 2
SCROLLBAR_WIDTH = 2
# Below this table width the last error is left to the detail pane.
ERROR_COLUMN_MIN_WIDTH = 120
TEST_MARK = " (test)"


def state_text(state: str) -> str:
    """Write a state as its symbol and its word, such as `✗ failed`."""
    return f"{STATE_SYMBOLS.get(state, '?')} {state}"


def kind_text(row: OutboxRow, width: int) -> str:
    """Write the kind, shortened to `width` but always keeping the test mark."""
    if not row.is_test:
        return shorten(row.kind_label, width)
    return shorten(row.kind_label, width - len(TEST_MARK)) + TEST_MARK


@dataclass(frozen=True)
class ColumnWidths:
    """Widths of the columns that share the free space, where 0 drops a column."""

    kind: int
    to: int
    subject: int
    error: int

    @classmethod
    def for_width(cls, width: int) -> ColumnWidths:
        """Share a table `width` between kind, To, subject and last error."""
        with_error = width >= ERROR_COLUMN_MIN_WIDTH
        columns = 7 if with_error else 6
        fixed = STATE_WIDTH + ATTEMPTS_WIDTH + UPDATED_WIDTH
        free = max(width - SCROLLBAR_WIDTH - columns * CELL_PADDING - fixed, 40)
        if not with_error:
            kind = free * 30 // 100
            to = free * 34 // 100
            return cls(kind, to, free - kind - to, 0)
        kind = free * 20 // 100
        to = free * 25 // 100
        subject = free * 30 // 100
        return cls(kind, to, subject, free - kind - to - subject)


class OutboxTable(DataTable[Text]):
    """Outbox messages, one row each, keyed by their outbox id."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._rows: dict[int, OutboxRow] = {}
        self._order: list[int] = []

    @property
    def highlighted(self) -> OutboxRow | None:
        """The message under the cursor, if there is one."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._rows.get(int(key)) if key is not None else None

    def show_rows(self, rows: list[OutboxRow]) -> None:
        """Replace the rows, keeping the cursor on the same message if listed."""
        current = self.highlighted
        self._rows = {row.id: row for row in rows}
        self._order = [row.id for row in rows]
        self._rebuild(current.id if current else None)

    def _rebuild(self, keep: int | None) -> None:
        self.clear(columns=True)
        widths = ColumnWidths.for_width(self.size.width or self.app.size.width)
        self.add_column("State", width=STATE_WIDTH, key="state")
        self.add_column("Try", width=ATTEMPTS_WIDTH, key="attempts")
        self.add_column("Kind", width=widths.kind, key="kind")
        self.add_column("To", width=widths.to, key="to")
        self.add_column("Subject", width=widths.subject, key="subject")
        if widths.error:
            self.add_column("Last error", width=widths.error, key="error")
        self.add_column("Updated UTC", width=UPDATED_WIDTH, key="updated")
        for outbox_id in self._order:
            row = self._rows[outbox_id]
            self.add_row(*self._cells(row, widths), key=str(outbox_id))
        if keep in self._rows:
            self.move_cursor(row=self._order.index(keep), animate=False)

    def _cells(self, row: OutboxRow, widths: ColumnWidths) -> list[Text]:
        # Every cell is a Text: DataTable reads a plain str as Rich markup,
        # and subjects and errors may contain square brackets.
        cells = [
            Text(state_text(row.state), style=self._state_style(row.state)),
            Text(str(row.attempts), justify="right"),
            Text(kind_text(row, widths.kind)),
            Text(shorten(row.to, widths.to)),
            Text(shorten(row.subject, widths.subject)),
        ]
        if widths.error:
            cells.append(Text(shorten(row.last_error or "", widths.error)))
        cells.append(Text(f"{row.updated_at.astimezone(UTC):%m-%d %H:%M}"))
        return cells

    def _state_style(self, state: str) -> Style:
        variable = STATE_COLOURS.get(state)
        colour = self.app.theme_variables.get(variable) if variable else None
        return Style(color=colour, bold=state == "failed")

    def on_resize(self) -> None:
        if self._rows:
            highlighted = self.highlighted
            self._rebuild(highlighted.id if highlighted else None)
