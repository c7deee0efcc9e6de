"""The table of DNS records a custom sender must publish, with their statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from store.sender.results import LOOKUP_ERROR, NOT_CHECKED, OK
from tui.widgets.columns import fit_width
from tui.widgets.sender_status import label_style, status_text
from tui.widgets.template_table import shorten

if TYPE_CHECKING:
    from store.sender.views import RecordRow

# Fixed widths: the longest status ("? lookup error") and "CNAME".
STATUS_WIDTH = 14
TYPE_WIDTH = 5
# DataTable pads each cell by one column on both sides.
CELL_PADDING = 2
SCROLLBAR_WIDTH = 2
COLUMN_COUNT = 5

NO_VALUE = "none required (advice only)"
# A failed lookup proves nothing about the record, so it never reads "nothing".
UNKNOWN_FOUND = "unknown: the lookup failed"


def value_text(row: RecordRow) -> str:
    """Return the value to publish, or a note that none is required."""
    return row.spec.value or NO_VALUE


def found_text(row: RecordRow) -> str:
    """Summarise what the last check found for a table cell."""
    if row.status == NOT_CHECKED:
        return "not checked"
    if row.status == LOOKUP_ERROR:
        return UNKNOWN_FOUND
    if row.status == OK and row.spec.value and row.found == (row.spec.value,):
        return "as expected"
    if not row.found:
        return "nothing"
    first = row.found[0]
    more = len(row.found) - 1
    return f"{first} (+{more} more)" if more else first


@dataclass(frozen=True)
class ColumnWidths:
    """Widths of the columns that share the free space."""

    name: int
    value: int
    found: int

    @classmethod
    def for_width(cls, width: int, labels: list[str]) -> ColumnWidths:
        """Share a table `width` between name, value and found values.

        The name column is as wide as the longest label, up to a third of
        the free space, and the value column takes most of the rest.
        """
        fixed = STATUS_WIDTH + TYPE_WIDTH
        padding = COLUMN_COUNT * CELL_PADDING
        free = max(width - SCROLLBAR_WIDTH - padding - fixed, 36)
        name = min(fit_width("Name", labels), free // 3)
        found = (free - name) * 40 // 100
        return cls(name, free - name - found, found)


class RecordTable(DataTable[Text]):
    """The records to publish, one row each, keyed by their purpose."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._rows: dict[str, RecordRow] = {}
        self._built_width = 0

    @property
    def records(self) -> list[RecordRow]:
        """Every row shown, in table order."""
        return list(self._rows.values())

    @property
    def highlighted(self) -> RecordRow | None:
        """The record under the cursor, if there is one."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._rows.get(key) if key is not None else None

    def show_rows(self, rows: tuple[RecordRow, ...]) -> None:
        """Replace the rows, keeping the cursor on the same record if listed."""
        current = self.highlighted
        self._rows = {row.spec.purpose: row for row in rows}
        # One line per record under the header line. Textual 8.2.8's auto
        # height sometimes left this table 0 lines high when it was rebuilt
        # while the detail below it grew (seen as flaky snapshots).
        self.styles.height = len(rows) + 1
        self._rebuild(current.spec.purpose if current else None)

    def _rebuild(self, keep: str | None) -> None:
        self.clear(columns=True)
        labels = [row.spec.label for row in self._rows.values()]
        self._built_width = self.size.width or self.app.size.width
        widths = ColumnWidths.for_width(self._built_width, labels)
        self.add_column("Status", width=STATUS_WIDTH, key="status")
        self.add_column("Type", width=TYPE_WIDTH, key="type")
        self.add_column("Name", width=widths.name, key="name")
        self.add_column("Value to publish", width=widths.value, key="value")
        self.add_column("Found", width=widths.found, key="found")
        for row in self._rows.values():
            self.add_row(*self._cells(row, widths), key=row.spec.purpose)
        purposes = list(self._rows)
        if keep in purposes:
            self.move_cursor(row=purposes.index(keep), animate=False)

    def _cells(self, row: RecordRow, widths: ColumnWidths) -> list[Text]:
        # Every cell is a Text: DataTable reads a plain str as Rich markup,
        # and found values may contain square brackets.
        spec = row.spec
        # A record that is advice only is not coloured as a problem.
        colour = row.status if spec.required or row.status == OK else ""
        return [
            Text(status_text(row.status), style=label_style(self.app, colour)),
            Text(spec.rtype),
            Text(shorten(spec.label, widths.name)),
            Text(
                shorten(value_text(row), widths.value),
                style="" if spec.value else "italic",
            ),
            Text(shorten(found_text(row), widths.found)),
        ]

    def on_resize(self, event: events.Resize) -> None:
        # Only the width changes the columns, so a new height rebuilds nothing.
        if self._rows and event.size.width != self._built_width:
            highlighted = self.highlighted
            self._rebuild(highlighted.spec.purpose if highlighted else None)
