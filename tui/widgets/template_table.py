"""The table of a tenant's templates, grouped into sales and purchases."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable

from store.kinds import Group, TemplateKind
from tui.screens.tenant_data import TemplateRow

NO_REPLY_TO = "none: replies go to the platform address"

# A row is marked with text as well as a colour, so that a selection reads
# the same with NO_COLOR or on a monochrome terminal.
SELECTED_MARK = "[x]"
UNSELECTED_MARK = "[ ]"

GROUP_TITLES = {Group.SALES: "Sales", Group.PURCHASES: "Purchases"}
GROUP_KEY_PREFIX = "group:"

# Fixed widths: the selection mark, the longest kind label
# ("Customer statement") and "yes"/"no".
MARK_WIDTH = 3
KIND_WIDTH = 18
ENABLED_WIDTH = 3
# DataTable pads each cell by one column on both sides.
CELL_PADDING = 2
SCROLLBAR_WIDTH = 2


def reply_to_text(reply_to: list[dict[str, str]]) -> str:
    """Write a Reply-To list for display, or state that there is none."""
    if not reply_to:
        return NO_REPLY_TO
    return ", ".join(
        f"{box['name']} <{box['address']}>" if box.get("name") else box["address"]
        for box in reply_to
    )


def shorten(text: str, width: int) -> str:
    """Cut `text` to `width` cells, marking the cut with an ellipsis."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"


@dataclass(frozen=True)
class ColumnWidths:
    """Widths of the columns that share the free space."""

    subject: int
    reply_to: int
    changed: int

    @classmethod
    def for_width(cls, width: int) -> ColumnWidths:
        """Share a table `width` between subject, Reply-To and last change."""
        fixed = MARK_WIDTH + KIND_WIDTH + ENABLED_WIDTH
        free = max(width - SCROLLBAR_WIDTH - 6 * CELL_PADDING - fixed, 30)
        subject = free * 40 // 100
        reply_to = free * 35 // 100
        return cls(subject, reply_to, free - subject - reply_to)


class TemplateTable(DataTable[str | Text]):
    """A tenant's templates, one row each, grouped, with a multi-selection."""

    BINDINGS = [
        Binding(
            "enter",
            "open",
            "Edit",
            tooltip="Open the highlighted template in the editor.",
            id="templates.open",
        ),
        Binding(
            "space",
            "toggle_selection",
            "Select",
            tooltip="Add the highlighted template to the selection, or take it out.",
            id="templates.toggle",
        ),
        Binding(
            "a",
            "select_all",
            "Select all",
            tooltip="Select every template shown.",
            show=False,
            id="templates.select_all",
        ),
        Binding(
            "escape",
            "clear_selection",
            "Clear selection",
            tooltip="Unselect every template.",
            show=False,
            id="templates.clear_selection",
        ),
    ]

    selected: reactive[frozenset[TemplateKind]] = reactive(frozenset(), init=False)
    """The kinds of the selected templates, shown or filtered out."""

    class OpenRequested(Message):
        """The person asked to edit the template of `kind`."""

        def __init__(self, kind: TemplateKind) -> None:
            super().__init__()
            self.kind = kind

    class SelectionChanged(Message):
        """The selection changed; `selected` contains the kinds now chosen."""

        def __init__(self, selected: frozenset[TemplateKind]) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self._rows: dict[TemplateKind, TemplateRow] = {}
        self._shown_kinds: list[TemplateKind] = []
        self._filter = ""

    @property
    def rows_by_kind(self) -> dict[TemplateKind, TemplateRow]:
        """Every row loaded, filtered out or not."""
        return dict(self._rows)

    @property
    def shown_kinds(self) -> list[TemplateKind]:
        """The kinds of the rows that pass the filter, in display order."""
        return list(self._shown_kinds)

    @property
    def highlighted_kind(self) -> TemplateKind | None:
        """The kind of the row under the cursor, if it is a template row."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        if key is None or key.startswith(GROUP_KEY_PREFIX):
            return None
        return TemplateKind(key)

    def show_rows(self, rows: list[TemplateRow], filter_text: str = "") -> None:
        """Replace the rows, keeping the cursor on the same kind if it is shown."""
        current = self.highlighted_kind
        self._rows = {row.kind: row for row in rows}
        self.selected = frozenset(kind for kind in self.selected if kind in self._rows)
        self._filter = filter_text.strip().lower()
        self._rebuild(current)

    def set_filter(self, text: str) -> None:
        """Show only the rows whose kind, subject or Reply-To contain `text`."""
        self._filter = text.strip().lower()
        self._rebuild(self.highlighted_kind)

    def _matches(self, row: TemplateRow) -> bool:
        if not self._filter:
            return True
        fields = (
            row.kind.label,
            row.kind.value,
            row.subject,
            reply_to_text(row.reply_to),
        )
        return any(self._filter in field.lower() for field in fields)

    def _rebuild(self, keep: TemplateKind | None) -> None:
        self.clear(columns=True)
        widths = ColumnWidths.for_width(self.size.width or self.app.size.width)
        self.add_column(" ", width=MARK_WIDTH, key="mark")
        self.add_column("Kind", width=KIND_WIDTH, key="kind")
        self.add_column("Subject", width=widths.subject, key="subject")
        self.add_column("Reply-To", width=widths.reply_to, key="reply_to")
        self.add_column("On", width=ENABLED_WIDTH, key="enabled")
        self.add_column("Changed", width=widths.changed, key="changed")

        self._shown_kinds = []
        for group in Group:
            members = [
                row
                for row in self._rows.values()
                if row.kind.group is group and self._matches(row)
            ]
            if not members:
                continue
            title = Text(f"{GROUP_TITLES[group]} ({len(members)})", style="bold")
            self.add_row("", title, key=GROUP_KEY_PREFIX + group.value)
            for row in members:
                self.add_row(*self._cells(row, widths), key=row.kind.value)
                self._shown_kinds.append(row.kind)

        self._place_cursor(keep)

    def _cells(self, row: TemplateRow, widths: ColumnWidths) -> list[Text]:
        # Every cell is a Text: DataTable reads a plain string as Rich markup,
        # and tenant-written subjects may contain "[...]".
        selected = row.kind in self.selected
        mark = Text(SELECTED_MARK if selected else UNSELECTED_MARK)
        if selected:
            mark.stylize("bold")
        reply_to = reply_to_text(row.reply_to)
        changed = f"{row.updated_at:%Y-%m-%d} {row.updated_by}"
        return [
            mark,
            Text(row.kind.label),
            Text(shorten(row.subject, widths.subject)),
            Text(
                shorten(reply_to, widths.reply_to),
                style="italic" if not row.reply_to else "",
            ),
            Text("yes" if row.enabled else "no"),
            Text(shorten(changed, widths.changed)),
        ]

    def _place_cursor(self, keep: TemplateKind | None) -> None:
        if not self._shown_kinds:
            return
        target = keep if keep in self._shown_kinds else self._shown_kinds[0]
        assert target is not None
        self.move_cursor(row=self.get_row_index(target.value), animate=False)

    def on_resize(self) -> None:
        if self._rows:
            self._rebuild(self.highlighted_kind)

    def watch_selected(self) -> None:
        for kind in self._shown_kinds:
            selected = kind in self.selected
            mark = Text(SELECTED_MARK if selected else UNSELECTED_MARK)
            if selected:
                mark.stylize("bold")
            self.update_cell(kind.value, "mark", mark)
        self.post_message(self.SelectionChanged(self.selected))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # Group titles are not templates: step over them in the direction the
        # cursor travelled, so the cursor always rests on a template.
        key = event.row_key.value or ""
        if not key.startswith(GROUP_KEY_PREFIX):
            return
        event.stop()
        below = event.cursor_row + 1
        if below < self.row_count and not self._is_group(below):
            self.move_cursor(row=below, animate=False)
        elif event.cursor_row > 0:
            self.move_cursor(row=event.cursor_row - 1, animate=False)

    def _is_group(self, index: int) -> bool:
        key = self.coordinate_to_cell_key(Coordinate(index, 0)).row_key
        return (key.value or "").startswith(GROUP_KEY_PREFIX)

    def action_cursor_up(self) -> None:
        row = self.cursor_row - 1
        while row >= 0 and self._is_group(row):
            row -= 1
        if row >= 0:
            self.move_cursor(row=row)

    def action_cursor_down(self) -> None:
        row = self.cursor_row + 1
        while row < self.row_count and self._is_group(row):
            row += 1
        if row < self.row_count:
            self.move_cursor(row=row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool:
        if action == "clear_selection":
            # Without a selection, escape goes on to the screen's own binding.
            return bool(self.selected)
        return True

    def action_open(self) -> None:
        """Ask the screen to open the highlighted template."""
        kind = self.highlighted_kind
        if kind is not None:
            self.post_message(self.OpenRequested(kind))

    def action_toggle_selection(self) -> None:
        """Select the highlighted template, or unselect it."""
        kind = self.highlighted_kind
        if kind is None:
            return
        self.selected = self.selected ^ {kind}

    def action_select_all(self) -> None:
        """Select every template the filter shows."""
        self.selected = self.selected | frozenset(self._shown_kinds)

    def action_clear_selection(self) -> None:
        """Unselect every template."""
        self.selected = frozenset()
