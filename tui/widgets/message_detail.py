"""One outbox message in full: state, envelope, attempts and header fields."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.screens.outbox_data import RETRYABLE_STATES, AttemptRow, MessageDetail
from tui.screens.tenant_data import format_utc
from tui.widgets.outbox_table import state_text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _fields(rows: list[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in rows:
        grid.add_row(f"{name}:", Text(value))
    return grid


def _summary(detail: MessageDetail) -> list[tuple[str, str]]:
    row = detail.row
    rows = [("To", row.to), ("Subject", row.subject)]
    if row.last_error:
        error = row.last_error
        # A relay's rejection quotes its reply code already, so the code is
        # added only to other errors.
        if row.reply_code and str(row.reply_code) not in error:
            error += f" (reply code {row.reply_code})"
        rows.append(("Last error", error))
    if row.state == "deferred" and row.next_attempt_at:
        rows.append(("Next attempt", format_utc(row.next_attempt_at)))
    if row.relay_reply:
        rows.append(("Relay reply", row.relay_reply))
    rows.append(("Queued", f"{format_utc(row.created_at)} by {row.created_by}"))
    rows.append(("Updated", format_utc(row.updated_at)))
    if row.sent_at:
        rows.append(("Sent", format_utc(row.sent_at)))
    rows.append(("Envelope", f"from {row.envelope_from}, {row.size} bytes"))
    rows.append(("Message-ID", row.message_id))
    return rows


def _attempts(attempts: list[AttemptRow]) -> RenderableType:
    if not attempts:
        return Padding(Text("none yet"), (0, 0, 0, 2))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for attempt in attempts:
        code = f"{attempt.reply_code} " if attempt.reply_code else ""
        grid.add_row(
            f"{attempt.number}.",
            format_utc(attempt.started_at),
            state_text(attempt.outcome),
            Text(f"{code}{attempt.detail}"),
        )
    return Padding(grid, (0, 0, 0, 2))


def _header_fields(headers: list[tuple[str, str]]) -> RenderableType:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in headers:
        grid.add_row(f"{name}:", Text(value))
    return Padding(grid, (0, 0, 0, 2))


def describe_message(detail: MessageDetail) -> Group:
    """Lay out a message: summary, attempts, then its header fields."""
    row = detail.row
    heading = Text(state_text(row.state), style="bold")
    test = " (test send)" if row.is_test else ""
    heading.append(
        f" · message {row.id} · {row.kind_label}{test} · "
        f"{_plural(row.attempts, 'attempt')}"
    )
    if row.state in RETRYABLE_STATES:
        heading.append(" · r queues it again", style="italic")

    return Group(
        heading,
        _fields(_summary(detail)),
        Text(),
        Text("Attempts", style="bold"),
        _attempts(detail.attempts),
        Text(),
        Text("Header fields", style="bold"),
        _header_fields(detail.headers),
    )


class OutboxMessageView(VerticalScroll, can_focus=True):
    """A scrollable view of the highlighted outbox message, or a note."""

    DEFAULT_CSS = """
    OutboxMessageView {
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: MessageDetail | None = None
        self.note: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Reading the outbox…", id="message-text")

    def show(self, detail: MessageDetail) -> None:
        """Show every part of `detail`."""
        self.detail = detail
        self.note = None
        self.query_one("#message-text", Static).update(describe_message(detail))

    def show_note(self, note: str) -> None:
        """Show a sentence in place of a message, such as why none is shown."""
        self.detail = None
        self.note = note
        self.query_one("#message-text", Static).update(Text(note))
