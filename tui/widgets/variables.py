"""The variables a template of one kind can use, with their sample values."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.widgets.columns import fit_width


def snippet_for(name: str) -> str:
    """Return the Jinja2 text that inserts variable `name`.

    A name such as `document.lines[].amount` is a field of each item of a
    list, so it becomes a loop over that list.
    """
    if "[]" not in name:
        return "{{ " + name + " }}"
    items, _, field = name.partition("[].")
    return "{% for item in " + items + " %}{{ item." + field + " }}\n{% endfor %}"


class VariablesTable(DataTable[str]):
    """The variables' table, where enter inserts the highlighted variable."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Insert",
            tooltip="Insert the highlighted variable into the body at the cursor.",
            id="variables.insert",
        ),
    ]


class VariablesPanel(Vertical):
    """One row per variable with its sample, and the highlighted one explained."""

    DEFAULT_CSS = """
    VariablesPanel {
        height: 1fr;
        & > DataTable {
            height: 1fr;
        }
        & > #variable-description {
            height: auto;
            min-height: 2;
            padding: 0 1;
            background: $panel;
            color: $text-muted;
        }
    }
    """

    class InsertRequested(Message):
        """The person asked to insert `snippet` into the body."""

        def __init__(self, snippet: str) -> None:
            super().__init__()
            self.snippet = snippet

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._descriptions: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield VariablesTable(cursor_type="row")
        yield Static("", id="variable-description")

    @property
    def table(self) -> DataTable[str]:
        """The table of variables."""
        return self.query_one(DataTable)

    def show_variables(self, variables: list[tuple[str, str, str, str]]) -> None:
        """Show `(name, type, sample, description)` rows."""
        table = self.table
        table.clear(columns=True)
        names = [name for name, _, _, _ in variables]
        samples = [sample for _, _, sample, _ in variables]
        table.add_column("Variable", width=fit_width("Variable", names))
        table.add_column("Sample", width=fit_width("Sample", samples))
        for name, kind, sample, description in variables:
            table.add_row(name, sample, key=name)
            self._descriptions[name] = f"{name} ({kind}): {description}"

    def focus(self, scroll_visible: bool = True) -> VariablesPanel:
        self.table.focus(scroll_visible)
        return self

    def _highlighted(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        name = self._highlighted()
        text = self._descriptions.get(name, "") if name else ""
        self.query_one("#variable-description", Static).update(text)

    @on(DataTable.RowSelected)
    def _insert(self) -> None:
        name = self._highlighted()
        if name is not None:
            self.post_message(self.InsertRequested(snippet_for(name)))
