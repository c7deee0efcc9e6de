"""The outbox of one tenant: messages and their delivery state, retry."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import DataTable, Footer, RadioSet, Static
from textual.worker import get_current_worker

from store.errors import NotFound
from tui.screens.base import MailroomScreen
from tui.screens.outbox_data import (
    LIST_LIMIT,
    RETRYABLE_STATES,
    STATES,
    MessageDetail,
    OutboxRow,
    read_message,
    read_outbox,
)
from tui.widgets.message_detail import OutboxMessageView
from tui.widgets.outbox_table import ERROR_COLUMN_MIN_WIDTH, OutboxTable
from tui.widgets.toggles import MarkedRadioButton

# Seconds between two reads of the outbox while the screen is shown, so that
# a delivery process running beside the app shows its progress.
REFRESH_SECONDS = 5.0

ALL_STATES_ID = "state-all"


class OutboxScreen(MailroomScreen[None]):
    """A tenant's outbox messages, newest first, beside the highlighted one."""

    CSS_PATH = "outbox.tcss"

    HELP = f"""\
## Outbox

The tenant's newest {LIST_LIMIT} messages, newest first: the document emails
sent for it and the test sends from the template editor, marked `(test)`.
Each state is shown as a symbol and a word:

- `○ queued`: waiting for the delivery process (`mailroom outbox run`);
- `→ sending`: being sent now;
- `↻ deferred`: the relay refused it for now (a 4xx reply, a timeout or a
  dropped connection); it is tried again at the time shown;
- `✓ sent`: the relay accepted it;
- `✗ failed`: the relay rejected it (a 5xx reply), or every attempt failed.

Below the list is the highlighted message: its last error with the reply
code, every attempt, and the header fields as sent. In a terminal at least
{ERROR_COLUMN_MIN_WIDTH} columns wide the list shows the last error too. The
list is read again every {REFRESH_SECONDS:g} seconds while this screen is
shown.

- **r** queues the highlighted failed or deferred message again, due now.
  It keeps its attempt count, so this grants one more attempt, and the
  delivery process sends it. Each retry is recorded in the audit log.
- **f** moves to the state filter; the arrow keys and **enter** choose a
  state, **escape** goes back to the list.
- **ctrl+r** or **F5** reads the outbox again now.
- **enter** or **tab** moves to the message, to scroll through it.
- **escape** goes back to the template list.
"""

    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Go back to the template list.",
            id="outbox.back",
        ),
        Binding(
            "r",
            "retry",
            "Retry",
            tooltip="Queue the highlighted failed or deferred message again.",
            id="outbox.retry",
        ),
        Binding(
            "f",
            "filter",
            "Filter",
            tooltip="Move to the state filter.",
            id="outbox.filter",
        ),
        Binding(
            "ctrl+r",
            "refresh",
            "Refresh",
            key_display="^r/F5",
            tooltip="Read the outbox again now (F5 works too).",
            id="outbox.refresh",
        ),
        Binding(
            "f5",
            "refresh",
            "Refresh",
            tooltip="Read the outbox again now.",
            show=False,
            id="outbox.refresh_f5",
        ),
    ]

    state_filter: reactive[str | None] = reactive(None, init=False)
    """The state whose messages are listed, or None for every state."""

    class RowsLoaded(Message):
        """A worker read the messages in `state`, or in every state."""

        def __init__(self, rows: list[OutboxRow], state: str | None) -> None:
            super().__init__()
            self.rows = rows
            self.state = state

    class DetailLoaded(Message):
        """A worker read one message in full."""

        def __init__(self, detail: MessageDetail) -> None:
            super().__init__()
            self.detail = detail

    def __init__(self, slug: str, tenant_name: str | None = None) -> None:
        super().__init__()
        self.slug = slug
        self.tenant_name = tenant_name or slug
        self.loaded = False
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Outbox of {self.tenant_name} ({self.slug})", id="title")
        with RadioSet(id="states"):
            yield MarkedRadioButton("All", value=True, id=ALL_STATES_ID)
            for state in STATES:
                yield MarkedRadioButton(state.capitalize(), id=f"state-{state}")
        yield OutboxTable(id="messages")
        yield OutboxMessageView(id="message")
        yield Footer()

    @property
    def messages(self) -> OutboxTable:
        """The table of messages."""
        return self.query_one("#messages", OutboxTable)

    @property
    def message_view(self) -> OutboxMessageView:
        """The highlighted message in full."""
        return self.query_one("#message", OutboxMessageView)

    def on_mount(self) -> None:
        self.messages.focus()
        self.load_rows()
        self._timer = self.set_interval(REFRESH_SECONDS, self.load_rows)

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()
        if self.loaded:
            self.load_rows()

    # Reading

    @work(thread=True, exclusive=True, group="rows", exit_on_error=False)
    def load_rows(self) -> None:
        """Read the tenant's newest messages in the state chosen."""
        state = self.state_filter
        rows = read_outbox(self.app.database.get(), self.slug, state)
        # A newer read replaced this one while it ran: its rows may be stale.
        if not get_current_worker().is_cancelled:
            self.post_message(self.RowsLoaded(rows, state))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_detail(self, outbox_id: int) -> None:
        """Read one message with its header fields and attempts."""
        try:
            detail = read_message(self.app.database.get(), outbox_id)
        except NotFound:
            # The message was deleted with its tenant after the list was
            # read. The next read of the list drops it.
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.DetailLoaded(detail))

    @on(RowsLoaded)
    def show_rows(self, event: RowsLoaded) -> None:
        if event.state != self.state_filter:
            return
        self.loaded = True
        self.messages.show_rows(event.rows)
        self._show_title(len(event.rows))
        self._follow_cursor()

    def _show_title(self, count: int) -> None:
        listed = f"{count} message{'s' if count != 1 else ''}"
        if self.state_filter:
            listed += f" {self.state_filter}"
        if count >= LIST_LIMIT:
            listed = f"the newest {listed}"
        self.query_one("#title", Static).update(
            f"Outbox of {self.tenant_name} ({self.slug}): {listed}"
        )

    @on(DataTable.RowHighlighted, "#messages")
    def _follow_cursor(self) -> None:
        row = self.messages.highlighted
        if row is not None:
            self.load_detail(row.id)
            return
        if self.state_filter:
            note = f"No {self.state_filter} messages. Press f to choose another state."
        else:
            note = (
                f"The outbox of {self.tenant_name} holds no messages yet. A test "
                "send from the template editor (F5) puts one here."
            )
        self.message_view.show_note(note)

    @on(DetailLoaded)
    def show_detail(self, event: DetailLoaded) -> None:
        highlighted = self.messages.highlighted
        if highlighted is not None and highlighted.id == event.detail.row.id:
            self.message_view.show(event.detail)

    @on(DataTable.RowSelected, "#messages")
    def _read_message(self) -> None:
        self.message_view.focus()

    # Filtering

    @on(RadioSet.Changed, "#states")
    def _choose_state(self, event: RadioSet.Changed) -> None:
        chosen = event.pressed.id or ALL_STATES_ID
        state = chosen.removeprefix("state-")
        self.state_filter = None if chosen == ALL_STATES_ID else state

    def watch_state_filter(self) -> None:
        self.load_rows()

    def action_filter(self) -> None:
        """Move to the state filter."""
        self.query_one("#states", RadioSet).focus()

    # Actions

    def action_back(self) -> None:
        """Go back to the list from the filter, or leave the screen."""
        if self.focused is not self.messages:
            self.messages.focus()
            return
        self.dismiss(None)

    def action_refresh(self) -> None:
        """Read the outbox again now."""
        self.load_rows()

    def action_retry(self) -> None:
        """Queue the highlighted message again if it failed or was deferred."""
        row = self.messages.highlighted
        if row is None:
            self.notify("No message is highlighted.", severity="warning")
            return
        if row.state not in RETRYABLE_STATES:
            self.notify(
                f"Message {row.id} is {row.state}. Only failed or deferred "
                "messages can be queued again.",
                title="Not queued",
                severity="warning",
            )
            return
        self.retry_message(row.id)

    @work(thread=True, exclusive=True, group="retry", exit_on_error=False)
    def retry_message(self, outbox_id: int) -> None:
        """Put a failed or deferred message back in the queue, due now."""
        from store.delivery.outbox import retry

        retry(self.app.database.get(), outbox_id, self.app.user)
        self.app.call_from_thread(self._retried, outbox_id)

    def _retried(self, outbox_id: int) -> None:
        self.notify(
            f"Message {outbox_id} is queued again, due now. The delivery "
            "process (mailroom outbox run) sends it.",
            title="Queued again",
        )
        self.load_rows()
