"""Asks before cancelling a tenant's custom From address."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from tui.screens.base import MailroomModal


class SenderCancelModal(MailroomModal[bool]):
    """A question before cancelling the custom address: True means cancel it."""

    DEFAULT_CSS = """
    SenderCancelModal {
        align: center middle;
        & > #dialog {
            width: 76;
            max-width: 100%;
            height: auto;
            padding: 1 2;
            border: thick $warning;
            background: $surface;
        }
        & #buttons {
            height: auto;
            margin-top: 1;
        }
        & Button {
            margin-right: 2;
        }
    }
    """

    HELP = """\
## Cancel the custom From address

Cancelling sends the tenant's mail from the platform's address again and
discards the ownership token and DKIM key issued for the custom address.
Requesting an address later issues new records, which must be published
again. **y** cancels the address, **n** or **escape** keeps it.
"""

    BINDINGS = [
        Binding(
            "y",
            "confirm",
            "Cancel address",
            tooltip="Cancel the custom From address.",
            id="sender_cancel.confirm",
        ),
        Binding(
            "n,escape",
            "keep",
            "Keep it",
            tooltip="Close and keep the custom From address.",
            id="sender_cancel.keep",
        ),
    ]

    def __init__(self, address: str, state: str, platform_from: str) -> None:
        super().__init__()
        self.address = address
        self.state = state
        self.platform_from = platform_from

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Cancel the custom From address"
            yield Static(
                f"Cancel {self.address} (now {self.state})? Mail goes from "
                f"{self.platform_from} again, and the DKIM key and ownership token "
                "issued for it are discarded, so the records published for it "
                "can be deleted.",
                markup=False,
            )
            with Horizontal(id="buttons"):
                yield Button(
                    "Cancel address (y)", id="confirm", variant="error", compact=True
                )
                yield Button("Keep it (n/esc)", id="keep", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        """Close, asking for the address to be cancelled."""
        self.dismiss(True)

    @on(Button.Pressed, "#keep")
    def action_keep(self) -> None:
        """Close and keep the address."""
        self.dismiss(False)
