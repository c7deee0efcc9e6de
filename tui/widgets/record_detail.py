"""One DNS record to publish in full: advice, expected and found values, check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from store.dns.txt import MAX_STRING_LENGTH, quote_txt
from store.sender.results import LOOKUP_ERROR, NOT_CHECKED
from tui.screens.tenant_data import format_utc
from tui.widgets.record_table import NO_VALUE, UNKNOWN_FOUND
from tui.widgets.sender_status import status_text

if TYPE_CHECKING:
    from store.sender.views import RecordRow


def _fields(rows: list[tuple[str, RenderableType]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True, min_width=9)
    grid.add_column(overflow="fold")
    for name, value in rows:
        grid.add_row(f"{name}:" if name else "", value)
    return grid


def _name_rows(row: RecordRow, domain: str) -> list[tuple[str, RenderableType]]:
    spec = row.spec
    rows: list[tuple[str, RenderableType]] = [("Name", Text(spec.name))]
    if spec.label != "@":
        host = Text(spec.label)
        host.append(f" (at DNS hosts that add {domain} themselves)", style="italic")
        rows.append(("Host", host))
    return rows


def _strings(row: RecordRow) -> RenderableType | None:
    """Lay out a TXT value longer than one string as its numbered strings."""
    strings = row.spec.strings
    if len(strings) < 2:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for number, text in enumerate(strings, start=1):
        grid.add_row(f"{number}.", Text(quote_txt([text])))
    heading = Text(
        f"As {len(strings)} TXT strings of at most {MAX_STRING_LENGTH} characters, "
        "for DNS hosts that take them separately:",
        style="bold",
    )
    return Group(heading, Padding(grid, (0, 0, 0, 2)))


def _found(row: RecordRow) -> RenderableType:
    if row.status == NOT_CHECKED:
        return Text("not checked yet", style="italic")
    if row.status == LOOKUP_ERROR:
        return Text(UNKNOWN_FOUND, style="italic")
    if not row.found:
        return Text("nothing", style="italic")
    lines = [Text(value) for value in row.found]
    if row.found_name and row.found_name != row.spec.name:
        lines.insert(0, Text(f"at {row.found_name}:", style="italic"))
    return Group(*lines)


def _check_rows(row: RecordRow) -> list[tuple[str, RenderableType]]:
    if row.checked_at is None:
        return []
    ttl = f"{row.ttl} s" if row.ttl is not None else "none (no record answered)"
    return [
        ("Server", Text(row.server or "none answered")),
        ("TTL", Text(ttl)),
        ("Checked", Text(format_utc(row.checked_at))),
    ]


def describe_record(row: RecordRow, domain: str) -> Group:
    """Lay out a record: status and advice, where, expected and found values."""
    spec = row.spec
    heading = Text(status_text(row.status), style="bold")
    required = "required" if spec.required else "advice only, not required"
    heading.append(f" · {spec.title} · {spec.rtype} · {required}")

    rows = _name_rows(row, domain)
    expected = Text(spec.value) if spec.value else Text(NO_VALUE, style="italic")
    rows.append(("Expected", expected))
    parts: list[RenderableType] = [heading, Text(row.message), Text(), _fields(rows)]
    strings = _strings(row)
    if strings is not None:
        parts.append(strings)
    parts.append(_fields([("Found", _found(row)), *_check_rows(row)]))
    return Group(*parts)


class RecordDetail(VerticalScroll, can_focus=True):
    """A scrollable view of the highlighted record, or a note."""

    DEFAULT_CSS = """
    RecordDetail {
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record: RecordRow | None = None
        self.note: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Reading the sender…", id="record-text")

    def show(self, row: RecordRow, domain: str) -> None:
        """Show every part of `row`, a record under the custom domain `domain`."""
        self.record = row
        self.note = None
        self.query_one("#record-text", Static).update(describe_record(row, domain))

    def show_note(self, note: str) -> None:
        """Show a sentence in place of a record, such as why none is shown."""
        self.record = None
        self.note = note
        self.query_one("#record-text", Static).update(Text(note))
