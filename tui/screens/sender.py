"""The sender screen, for now a summary: the From in effect and the custom address.

The full screen (the DNS records to publish with their expected and found
values, live verification, copying values and the history of checks) is
being built separately and will replace this module.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Static

from tui.screens.base import MailroomScreen
from tui.screens.tenant_data import SenderSummary, format_utc, read_sender

COMING = (
    "Still to come on this screen: the DNS records the company must publish, "
    "each with its expected and found value and the reason for its status; "
    "live verification on demand and in the background; copying any value; "
    "and the history of checks and state changes."
)


class SenderScreen(MailroomScreen[None]):
    """The From address mail goes out under now, and the custom sender's state."""

    CSS_PATH = "sender.tcss"

    HELP = """\
## Sender

Which address the tenant's mail goes from right now and why, and the state
of the company's own address if one was requested. **r** reads it again,
**escape** goes back to the template list.
"""

    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Go back to the template list.",
            id="sender.back",
        ),
        Binding(
            "r",
            "reload",
            "Reload",
            tooltip="Read the sender state again.",
            id="sender.reload",
        ),
    ]

    class Loaded(Message):
        """A worker read the sender state."""

        def __init__(self, sender: SenderSummary) -> None:
            super().__init__()
            self.sender = sender

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug

    def compose(self) -> ComposeResult:
        yield Static(f"Sender of {self.slug}", id="title")
        with VerticalScroll(id="body"):
            yield Static("Reading the sender…", id="effective")
            yield Static("", id="custom")
            yield Static(COMING, id="coming")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="sender", exit_on_error=False)
    def load(self) -> None:
        """Read the sender identity and the From in effect."""
        sender = read_sender(
            self.app.database.get(), self.slug, self.app.settings.platform
        )
        self.post_message(self.Loaded(sender))

    @on(Loaded)
    def show_sender(self, event: Loaded) -> None:
        sender = event.sender
        effective = sender.effective
        self.query_one("#title", Static).update(
            f"Sender of {sender.tenant_name} ({self.slug})"
        )
        now = Text()
        now.append("Mail goes from now\n", style="bold")
        now.append(
            f"  From:           {effective.display_name} <{effective.address}>\n"
        )
        owner = (
            "the company's own address"
            if effective.is_custom
            else "the platform's address"
        )
        now.append(f"  Whose:          {owner}\n")
        now.append(f"  Why:            {effective.reason}\n")
        now.append(f"  Envelope from:  {effective.envelope_from}\n")
        now.rstrip()
        self.query_one("#effective", Static).update(now)

        custom = Text()
        custom.append("The company's own address\n", style="bold")
        custom.append(f"  State:          {sender.state}\n")
        custom.append(
            f"  Address:        {sender.requested_address or 'none requested'}\n"
        )
        if sender.requested_by:
            custom.append(f"  Requested by:   {sender.requested_by}\n")
        if sender.state_changed_at:
            custom.append(f"  State since:    {format_utc(sender.state_changed_at)}\n")
        checked = (
            format_utc(sender.last_checked_at) if sender.last_checked_at else "never"
        )
        custom.append(f"  Last DNS check: {checked}\n")
        custom.rstrip()
        self.query_one("#custom", Static).update(custom)

    def action_back(self) -> None:
        """Go back to the template list."""
        self.dismiss(None)

    def action_reload(self) -> None:
        """Read the sender state again."""
        self.load()
