"""Shows the records to publish as a zone-file snippet, CSV or JSON, to copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, RadioSet, TextArea

from store.sender.export import records_csv, records_json, zone_snippet
from tui.screens.base import MailroomModal
from tui.widgets.toggles import MarkedRadioButton

if TYPE_CHECKING:
    from store.sender.records import RecordSpec

# Each format: its id, the label of its button and the function that writes it.
FORMATS: dict[str, tuple[str, Callable[[list[RecordSpec]], str]]] = {
    "zone": ("Zone file (1)", zone_snippet),
    "csv": ("CSV (2)", records_csv),
    "json": ("JSON (3)", records_json),
}
FORMAT_NAMES = {"zone": "zone-file snippet", "csv": "CSV", "json": "JSON"}


class SenderExportModal(MailroomModal[None]):
    """The records of a custom sender, written in one of three formats."""

    DEFAULT_CSS = """
    SenderExportModal {
        align: center middle;
        & > #dialog {
            width: 100%;
            max-width: 110;
            height: 100%;
            max-height: 34;
            padding: 0 1;
            border: thick $primary;
            background: $surface;
        }
        & #formats {
            width: 100%;
            height: auto;
            layout: horizontal;
            border: none;
            padding: 0;
        }
        & #formats RadioButton {
            width: auto;
            margin-right: 2;
        }
        & #text {
            height: 1fr;
        }
    }
    """

    HELP = """\
## Export the DNS records

The records to publish, written as a zone-file snippet (to paste into a
zone file or a DNS host's import), as CSV (one row per record, the TXT
strings in a column of their own) or as JSON. The text can be selected
with shift and the arrow keys.

- **1**, **2** and **3** choose the zone file, CSV or JSON; **f** moves to
  the next format.
- **y** copies the whole text to the clipboard through the terminal
  (OSC 52), which also works over SSH where the terminal allows it.
- **escape** closes.
"""

    BINDINGS = [
        Binding(
            "y",
            "copy",
            "Copy all",
            tooltip="Copy the whole text to the clipboard.",
            id="sender_export.copy",
        ),
        Binding(
            "f",
            "next_format",
            "Next format",
            tooltip="Show the records in the next format.",
            id="sender_export.next_format",
        ),
        Binding(
            "1",
            "choose('zone')",
            "Zone file",
            tooltip="Show the records as a zone-file snippet.",
            show=False,
            id="sender_export.zone",
        ),
        Binding(
            "2",
            "choose('csv')",
            "CSV",
            tooltip="Show the records as CSV.",
            show=False,
            id="sender_export.csv",
        ),
        Binding(
            "3",
            "choose('json')",
            "JSON",
            tooltip="Show the records as JSON.",
            show=False,
            id="sender_export.json",
        ),
        Binding(
            "escape",
            "close",
            "Close",
            tooltip="Close the export.",
            id="sender_export.close",
        ),
    ]

    def __init__(self, records: list[RecordSpec], address: str) -> None:
        super().__init__()
        self.records = records
        self.address = address
        self.format = "zone"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"DNS records for {self.address}"
            with RadioSet(id="formats"):
                for name, (label, _write) in FORMATS.items():
                    yield MarkedRadioButton(
                        label, value=name == self.format, id=f"format-{name}"
                    )
            # Lines are not wrapped, so that each record keeps its zone-file,
            # CSV or JSON layout; long ones scroll sideways.
            yield TextArea(self.text, read_only=True, soft_wrap=False, id="text")
        yield Footer()

    @property
    def text(self) -> str:
        """The records written in the format chosen."""
        return FORMATS[self.format][1](self.records)

    @property
    def text_area(self) -> TextArea:
        """The read-only text of the records."""
        return self.query_one("#text", TextArea)

    def on_mount(self) -> None:
        self.text_area.focus()

    @on(RadioSet.Changed, "#formats")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        name = (event.pressed.id or "format-zone").removeprefix("format-")
        if name != self.format:
            self.format = name
            self.text_area.load_text(self.text)

    def action_choose(self, name: str) -> None:
        """Show the records in the format `name`."""
        self.query_one(f"#format-{name}", MarkedRadioButton).value = True

    def action_next_format(self) -> None:
        """Show the records in the next format, after JSON the zone file again."""
        names = list(FORMATS)
        self.action_choose(names[(names.index(self.format) + 1) % len(names)])

    def action_copy(self) -> None:
        """Copy the whole text to the clipboard."""
        text = self.text
        self.app.copy_to_clipboard(text)
        lines = text.count("\n") + (not text.endswith("\n"))
        self.notify(
            f"Copied the records for {self.address} as {FORMAT_NAMES[self.format]}: "
            f"{lines} lines.",
            title="Copied",
        )

    def action_close(self) -> None:
        """Close the export."""
        self.dismiss(None)
