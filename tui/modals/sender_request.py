"""Asks for the custom From address to request, checked as it is typed.

The modal only validates the address, with the same rules the store applies
when the request is made, and the sender screen then makes the request. It
returns the address in its normalised form, or None when the person cancels.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from store.errors import InvalidInput
from store.sender.domains import CustomAddress, parse_custom_address, public_suffixes
from store.settings import PlatformSettings
from tui.screens.base import MailroomModal

NO_ADDRESS = "no address typed; type the address mail should go from"


def check_address(
    text: str, platform: PlatformSettings
) -> tuple[CustomAddress | None, str | None]:
    """Return the validated address and no error, or no address and the error."""
    if not text.strip():
        return None, NO_ADDRESS
    try:
        return parse_custom_address(text, platform), None
    except InvalidInput as error:
        return None, error.message


def describe_address(custom: CustomAddress) -> str:
    """Write a valid address, with its ASCII form when the domain is IDN."""
    if custom.ascii_address != custom.address:
        return f"{custom.address} (in DNS: {custom.ascii_address})"
    return custom.address


class SenderRequestModal(MailroomModal[str | None]):
    """The custom From address to request for a tenant."""

    DEFAULT_CSS = """
    SenderRequestModal {
        align: center middle;
        & > #dialog {
            width: 80;
            max-width: 100%;
            height: auto;
            padding: 0 1;
            border: thick $primary;
            background: $surface;
        }
        & #description {
            margin-bottom: 1;
        }
        & #address-row {
            height: 1;
        }
        & .field-label {
            width: 9;
            text-style: bold;
        }
        & #address {
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
## Request a custom From address

Type the address the company's mail should go from, on a domain the company
owns and whose DNS it controls: not the platform's domain and not a public
suffix such as `co.uk`. Internationalised domains are accepted, and their
ASCII form is what goes into DNS. The address is checked as you type.

**enter** requests it: Mailroom issues an ownership token, a DKIM key and
the DNS records to publish, and the sender becomes *pending DNS*. Mail keeps
going from the platform's address until every required record checks out
and the DKIM self-test passes. **escape** closes without requesting.
"""

    BINDINGS = [
        Binding(
            "enter",
            "request",
            "Request",
            tooltip="Request the address typed as the company's From address.",
            priority=True,
            id="sender_request.request",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without requesting.",
            id="sender_request.cancel",
        ),
    ]

    def __init__(self, tenant_name: str, platform: PlatformSettings) -> None:
        super().__init__()
        self.tenant_name = tenant_name
        self.platform = platform
        self.custom: CustomAddress | None = None
        self.error: str | None = NO_ADDRESS

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Request a custom From address"
            yield Static(
                f"Mail of {self.tenant_name} goes from "
                f"{self.platform.default_from} until the company's own address "
                "is verified. Requesting one issues the DNS records to publish.",
                id="description",
                markup=False,
            )
            with Horizontal(id="address-row"):
                yield Label("Address", classes="field-label")
                yield Input(
                    placeholder="info@company.example", id="address", compact=True
                )
            yield Static("", id="status", markup=False)
            with Horizontal(id="buttons"):
                yield Button(
                    "Request (enter)", id="request", variant="primary", compact=True
                )
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()
        self._check("")
        self.load_suffixes()

    @work(thread=True, exclusive=True, group="suffixes", exit_on_error=False)
    def load_suffixes(self) -> None:
        """Read the Public Suffix List now, so the first keystroke does not wait."""
        public_suffixes()

    @on(Input.Changed, "#address")
    def _address_changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, text: str) -> None:
        self.custom, self.error = check_address(text, self.platform)
        status = self.query_one("#status", Static)
        if self.custom is not None:
            status.update(f"✓ Mail would go from {describe_address(self.custom)}.")
        elif self.error == NO_ADDRESS:
            status.update("Type the address mail should go from.")
        else:
            status.update(f"✗ Invalid address: {self.error}")
        status.set_class(self.error not in (None, NO_ADDRESS), "-invalid")
        self.query_one("#request", Button).disabled = self.custom is None

    @on(Button.Pressed, "#request")
    def action_request(self) -> None:
        """Return the address typed, unless it is missing or invalid."""
        if self.custom is None:
            self.notify(
                f"Not requested: {(self.error or NO_ADDRESS).rstrip('.')}.",
                title="Invalid address",
                severity="error",
            )
            return
        self.dismiss(self.custom.address)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without requesting."""
        self.dismiss(None)
