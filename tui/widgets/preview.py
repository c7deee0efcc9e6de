"""The message as the customer gets it: headers, then the rendered body."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


@dataclass(frozen=True)
class PreviewHeader:
    """One header line of the preview, such as From or Reply-To."""

    name: str
    value: str
    # A note after the value in muted text, such as why this From applies.
    note: str = ""
    problem: bool = False


@dataclass(frozen=True)
class PreviewContent:
    """The preview's content: headers, the body part and render errors."""

    headers: list[PreviewHeader]
    part: str
    body: str
    errors: list[str]


class MessagePreview(VerticalScroll, can_focus=True):
    """A scrollable view of a rendered message."""

    DEFAULT_CSS = """
    MessagePreview {
        height: 1fr;
        padding: 0 1;
        & > #preview-headers {
            padding-bottom: 1;
            border-bottom: solid $primary 50%;
        }
        & > #preview-errors {
            color: $error;
            text-style: bold;
        }
        & > #preview-part {
            color: $text-muted;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # time.monotonic() of the last update, the clock Textual stamps
        # messages with on Linux, so a benchmark can time key to preview.
        self.updated_at = 0.0
        self.content: PreviewContent | None = None

    def compose(self) -> ComposeResult:
        yield Static("Loading the template…", id="preview-headers")
        yield Static("", id="preview-errors")
        yield Static("", id="preview-part")
        yield Static("", id="preview-body", markup=False)

    def show(self, content: PreviewContent) -> None:
        """Replace what the preview shows."""
        self.content = content
        headers = Table.grid(padding=(0, 1))
        headers.add_column(style="bold", no_wrap=True)
        headers.add_column(overflow="fold")
        for header in content.headers:
            value = Text(header.value, style="bold" if header.problem else "")
            if header.note:
                value.append(f" ({header.note})", style="dim")
            headers.add_row(f"{header.name}:", value)
        self.query_one("#preview-headers", Static).update(headers)

        errors = self.query_one("#preview-errors", Static)
        errors.update("\n".join(f"✗ {error}" for error in content.errors))
        errors.display = bool(content.errors)
        self.query_one("#preview-part", Static).update(content.part)
        self.query_one("#preview-body", Static).update(content.body)
        self.updated_at = time.monotonic()
