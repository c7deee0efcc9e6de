"""Shows an unexpected error with details that can be selected and copied."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Static, TextArea

from tui.screens.base import MailroomModal


class ErrorModal(MailroomModal[None]):
    """A failure Mailroom did not expect, with its traceback."""

    DEFAULT_CSS = """
    ErrorModal {
        align: center middle;
        & > #dialog {
            width: 90%;
            height: 80%;
            padding: 0 1;
            border: thick $error;
            background: $surface;
        }
        & #summary {
            text-style: bold;
            margin-bottom: 1;
        }
        & TextArea {
            height: 1fr;
        }
    }
    """

    HELP = """\
## Unexpected error

Something failed that Mailroom did not expect. The details below can be
selected and copied (shift+arrows, then ctrl+c) for a bug report.
**escape** closes this window; the app keeps running.
"""

    BINDINGS = [
        Binding(
            "escape", "close", "Close", tooltip="Close this window.", id="error.close"
        ),
    ]

    def __init__(self, title: str, summary: str, details: str) -> None:
        super().__init__()
        self.title_text = title
        self.summary = summary
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(self.summary, id="summary", markup=False)
            yield TextArea(self.details, read_only=True, id="details")
        yield Footer()

    def action_close(self) -> None:
        """Close the error window."""
        self.dismiss(None)
