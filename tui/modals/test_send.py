"""Asks for the address a test send of the editor's draft goes to.

The modal only checks the address, and the editor does the sending. It
returns the address in its normalised form, or None when the person cancels.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from store.addresses import normalise_address
from store.errors import InvalidInput
from tui.screens.base import MailroomModal

NO_RECIPIENT = "no address typed; type the address to send the test to"


def check_recipient(text: str) -> tuple[str | None, str | None]:
    """Return the normalised address and no error, or no address and the error."""
    if not text.strip():
        return None, NO_RECIPIENT
    try:
        return normalise_address(text), None
    except InvalidInput as error:
        return None, error.message


class TestSendModal(MailroomModal[str | None]):
    """The recipient of a test send, checked as it is typed."""

    # Keeps pytest from collecting this class in the test modules that
    # import it, since its name starts with "Test".
    __test__ = False

    DEFAULT_CSS = """
    TestSendModal {
        align: center middle;
        & > #dialog {
            width: 76;
            max-width: 100%;
            height: auto;
            padding: 0 1;
            border: thick $primary;
            background: $surface;
        }
        & #description {
            margin-bottom: 1;
        }
        & #recipient-row {
            height: 1;
        }
        & .field-label {
            width: 4;
            text-style: bold;
        }
        & #recipient {
            width: 1fr;
        }
        & #status {
            height: auto;
            margin-bottom: 1;
        }
        & #status.-invalid {
            color: $error;
            text-style: bold;
        }
        & #buttons {
            height: auto;
        }
        & Button {
            margin-right: 1;
        }
    }
    """

    HELP = """\
## Test send

Sends the template as it is in the editor now, unsaved changes included,
rendered with the sample data of its kind, to one address. It goes from the
tenant's current From address with the draft's Reply-To, through the outbox,
where it is marked as a test.

The address is checked as you type. **enter** sends, and **escape** closes
without sending. The result (accepted by the relay, or the reason and reply
code) comes as a notification.
"""

    BINDINGS = [
        Binding(
            "enter",
            "send",
            "Send",
            tooltip="Send the draft to the address typed.",
            priority=True,
            id="test_send.send",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without sending.",
            id="test_send.cancel",
        ),
    ]

    def __init__(self, description: str, recipient: str = "") -> None:
        super().__init__()
        self.description = description
        self.recipient = recipient
        self.address: str | None = None
        self.error: str | None = NO_RECIPIENT

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Test send"
            yield Static(self.description, id="description", markup=False)
            with Horizontal(id="recipient-row"):
                yield Label("To", classes="field-label")
                yield Input(
                    self.recipient,
                    placeholder="you@company.example",
                    id="recipient",
                    compact=True,
                )
            yield Static("", id="status", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Send (enter)", id="send", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#recipient", Input).focus()
        self._check(self.recipient)

    @on(Input.Changed, "#recipient")
    def _recipient_changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, text: str) -> None:
        self.address, self.error = check_recipient(text)
        status = self.query_one("#status", Static)
        if self.address is not None:
            status.update(f"✓ The test goes to {self.address}.")
        elif self.error == NO_RECIPIENT:
            status.update("Type the address to send the test to.")
        else:
            status.update(f"✗ Invalid recipient: {self.error}")
        status.set_class(self.error not in (None, NO_RECIPIENT), "-invalid")
        self.query_one("#send", Button).disabled = self.address is None

    @on(Button.Pressed, "#send")
    def action_send(self) -> None:
        """Return the address typed, unless it is missing or invalid."""
        if self.address is None:
            self.notify(
                f"Not sent: {(self.error or NO_RECIPIENT).rstrip('.')}.",
                title="Invalid recipient",
                severity="error",
            )
            return
        self.dismiss(self.address)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without sending."""
        self.dismiss(None)
