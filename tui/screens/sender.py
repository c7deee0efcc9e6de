"""The sender screen: the From in effect, the custom address, its DNS records.

Reads and writes run in thread workers. Verification runs in an async
worker, because its DNS lookups are asyncio coroutines, and re-runs on a
timer while the screen is shown and the sender is one that `sender watch`
re-checks (pending DNS, verified, active or degraded). The store's request
and verification modules are imported in worker threads, since importing
them took about 60 ms (`python -X importtime`, with the rest of the store
already imported), a visible stall if the event loop did it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import (
    DataTable,
    Footer,
    LoadingIndicator,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import get_current_worker

from store.errors import MailroomError
from store.sender.states import DEFAULT, WATCHED_STATES
from tui.screens.base import MailroomScreen
from tui.screens.sender_copy import Clip, name_clip, strings_clip, value_clip
from tui.screens.sender_data import SenderPage, read_sender_page
from tui.widgets.record_detail import RecordDetail
from tui.widgets.record_table import RecordTable
from tui.widgets.sender_history import SenderHistory
from tui.widgets.sender_status import state_words
from tui.widgets.sender_summary import Recheck, SenderSummary

if TYPE_CHECKING:
    from store.db import Database
    from store.sender.verify import VerificationReport
    from store.sender.views import RecordRow, SenderView

RECORDS_TAB = "records-tab"
HISTORY_TAB = "history-tab"

# Actions that need the records of a requested address.
RECORD_ACTIONS = frozenset(
    {"verify", "copy_name", "copy_value", "copy_strings", "export", "pause"}
)


class SenderScreen(MailroomScreen[None]):
    """The From address in use now, the custom address and its DNS records."""

    CSS_PATH = "sender.tcss"

    RECHECK_SECONDS: ClassVar[float] = 60.0
    """Seconds between automatic re-checks while the screen is shown."""

    HELP = f"""\
## Sender

**From now** is the address the tenant's mail goes out under right now, and
**Why** says why: the platform's address until the company's own address is
*active*. The company's own address, once requested, moves through these
states (the words in brackets are the names `mailroom sender` prints):

- `○ default`: no custom address; mail goes from the platform's address.
- `… pending DNS` (pending_dns): records issued, not all seen in DNS yet.
- `✓ verified`: every required record checks out.
- `● active`: the DKIM self-test against the live key passed; mail goes
  from the company's address.
- `! degraded`: a re-check of an active address failed; mail goes from the
  platform's address until a check passes again.
- `✗ failed`: pending or degraded for too long. Fix the records and press
  **v**, or request the address again.

The table lists the records to publish at the company's DNS host, each with
its status: `○ not checked`, `✓ ok`, `✗ missing`, `≠ wrong value`,
`↷ wrong place` (found under a near-miss name, such as the domain written
twice) or `? lookup error` (a timeout or SERVFAIL, which says nothing about
the record). Below it is the highlighted record whole: the advice, the value
to publish (a DKIM key also as strings of at most 255 characters), what DNS
returned, the server that answered, the TTL and when it was checked.

- **v** checks every record in DNS now. While the screen is shown, a pending,
  verified, active or degraded address is re-checked every
  {RECHECK_SECONDS:g} seconds; **p** pauses and resumes that. Every check,
  automatic or not, is stored in the history and the audit log.
- **c** copies the highlighted record's name, **y** its value, and **Y** its
  value as quoted TXT strings. Copying goes through the terminal (OSC 52),
  which also works over SSH where the terminal allows it.
- **e** shows the records as a zone-file snippet, CSV or JSON, to copy.
- **h** switches between the records and the history of checks and state
  changes.
- **r** requests a custom address and **x** cancels it. Only the tenant's
  primary user may do either; for anyone else both keys are greyed out.
- **F5** reads everything again; **escape** goes back to the template list.
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
            "v",
            "verify",
            "Verify",
            tooltip="Check every record in DNS now.",
            id="sender.verify",
        ),
        Binding(
            "r",
            "request",
            "Request",
            tooltip="Request a custom From address (primary user only).",
            id="sender.request",
        ),
        Binding(
            "x",
            "cancel_sender",
            "Cancel addr",
            tooltip="Cancel the custom From address (primary user only).",
            id="sender.cancel",
        ),
        Binding(
            "y",
            "copy_value",
            "Copy value",
            tooltip="Copy the highlighted record's value to the clipboard.",
            id="sender.copy_value",
        ),
        Binding(
            "e",
            "export",
            "Export",
            tooltip="Show the records as a zone-file snippet, CSV or JSON.",
            id="sender.export",
        ),
        Binding(
            "c",
            "copy_name",
            "Copy name",
            tooltip="Copy the highlighted record's name to the clipboard.",
            show=False,
            id="sender.copy_name",
        ),
        Binding(
            "Y",
            "copy_strings",
            "Copy TXT strings",
            tooltip="Copy the highlighted record's value as quoted TXT strings.",
            show=False,
            id="sender.copy_strings",
        ),
        Binding(
            "h",
            "history",
            "History",
            tooltip="Switch between the records and the history of checks.",
            show=False,
            id="sender.history",
        ),
        Binding(
            "p",
            "pause",
            "Pause re-checks",
            tooltip="Pause or resume the automatic re-checks.",
            show=False,
            id="sender.pause",
        ),
        Binding(
            "f5",
            "reload",
            "Reload",
            tooltip="Read the sender and its history again.",
            show=False,
            id="sender.reload",
        ),
    ]

    checking: reactive[bool] = reactive(False, init=False)
    """Whether a verification is running."""

    activity: reactive[str] = reactive("", init=False)
    """The work in progress shown beside the spinner, or empty when idle."""

    auto_recheck: reactive[bool] = reactive(True, init=False)
    """Whether the automatic re-checks run. The p key pauses and resumes them."""

    class PageLoaded(Message):
        """A worker read the sender, its history and its primary user."""

        def __init__(self, page: SenderPage) -> None:
            super().__init__()
            self.page = page

    def __init__(self, slug: str, *, recheck_seconds: float | None = None) -> None:
        super().__init__()
        self.slug = slug
        self.recheck_seconds = recheck_seconds or self.RECHECK_SECONDS
        self.page: SenderPage | None = None
        self._recheck_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Sender of {self.slug}", id="title")
        yield SenderSummary("Reading the sender…", id="summary")
        with Horizontal(id="activity-row"):
            yield LoadingIndicator(id="spinner")
            yield Static("", id="activity")
        with TabbedContent(initial=RECORDS_TAB, id="tabs"):
            with TabPane("Records", id=RECORDS_TAB):
                yield RecordTable(id="records")
                yield RecordDetail(id="detail")
            with TabPane("History", id=HISTORY_TAB):
                yield SenderHistory(id="history")
        yield Footer()

    @property
    def summary(self) -> SenderSummary:
        """The From in effect, the custom address and its state."""
        return self.query_one("#summary", SenderSummary)

    @property
    def records(self) -> RecordTable:
        """The table of records to publish."""
        return self.query_one("#records", RecordTable)

    @property
    def detail(self) -> RecordDetail:
        """The highlighted record in full."""
        return self.query_one("#detail", RecordDetail)

    @property
    def history(self) -> SenderHistory:
        """The history of checks and state changes."""
        return self.query_one("#history", SenderHistory)

    @property
    def tabs(self) -> TabbedContent:
        """The records and history tabs."""
        return self.query_one("#tabs", TabbedContent)

    def on_mount(self) -> None:
        self.records.focus()
        self.query_one("#activity-row").display = False
        self.load()
        self._recheck_timer = self.set_interval(self.recheck_seconds, self._recheck)

    def on_screen_suspend(self) -> None:
        if self._recheck_timer is not None:
            self._recheck_timer.pause()

    def on_screen_resume(self) -> None:
        if self._recheck_timer is not None and self.auto_recheck:
            self._recheck_timer.resume()

    # Reading

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        """Read the sender, its history and whether the user may change it."""
        page = read_sender_page(
            self.app.database.get(), self.app.settings, self.slug, self.app.user
        )
        # A newer read replaced this one while it ran: its page may be stale.
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(page))

    @on(PageLoaded)
    def show_page(self, event: PageLoaded) -> None:
        page = event.page
        self.page = page
        view = page.view
        self.query_one("#title", Static).update(
            f"Sender of {view.tenant_name} ({self.slug})"
        )
        self._show_summary()
        self.records.show_rows(view.records)
        self.records.display = bool(view.records)
        on_records = self.tabs.active == RECORDS_TAB
        if view.records and on_records and self.focused is not self.detail:
            self.records.focus()
        self._follow_cursor()
        self.history.show(page.history)
        self.refresh_bindings()

    def _show_summary(self) -> None:
        if self.page is not None:
            recheck = Recheck(self.recheck_seconds, paused=not self.auto_recheck)
            self.summary.show(self.page, self.app.user, recheck)

    @on(DataTable.RowHighlighted, "#records")
    def _follow_cursor(self) -> None:
        page = self.page
        if page is None:
            return
        row = self.records.highlighted
        if row is not None:
            self.detail.show(row, page.view.domain or "")
            return
        if page.is_primary:
            note = (
                "No custom From address has been requested, so there are no "
                "records to publish. Press r to request one."
            )
        else:
            note = (
                "No custom From address has been requested, so there are no "
                f"records to publish. Only the primary user, {page.primary_user}, "
                "may request one."
            )
        self.detail.show_note(note)

    # Verifying

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def verify(self, automatic: bool = False) -> None:
        """Check every record in DNS now and advance the state when they allow it."""
        count = len(self.records.records)
        self.checking = True
        self.activity = f"checking {count} records at DNS…"
        try:
            database = await asyncio.to_thread(self._prepare_check)
            from store.sender.verify import verify_sender

            # NOTE: verify_sender reads the sender on the event loop. SQLite in
            # WAL mode never makes that short read wait for a writer, but a
            # remote PostgreSQL server could slow it. Results are written in a
            # thread.
            report = await verify_sender(
                database, self.app.settings, self.slug, self.app.user
            )
        except MailroomError as error:
            self.log.warning(f"sender check of {self.slug} failed: {error.message}")
            self.notify(error.message, title=error.title, severity="error")
            self.load()
            return
        finally:
            self.checking = False
            self.activity = ""
        self._report_check(report, automatic)
        self.load()

    def _prepare_check(self) -> Database:
        """Open the database and import the DNS checks, in a worker thread."""
        import store.sender.verify  # noqa: F401

        return self.app.database.get()

    def _report_check(self, report: VerificationReport, automatic: bool) -> None:
        if report.changed:
            path = " → ".join(
                [state_words(report.state_before)]
                + [state_words(step.to_state) for step in report.steps]
            )
            reason = report.steps[-1].reason
            self.notify(
                f"{report.address}: {path}. {reason[:1].upper()}{reason[1:]}.",
                title="Sender state changed",
            )
            return
        if automatic:
            return
        required = [result for result in report.results if result.required]
        passing = sum(result.ok for result in required)
        self.notify(
            f"{passing} of {len(required)} required records check out; "
            f"{report.address} is still {state_words(report.state_after)}.",
            title="Checked",
        )

    def _recheck(self) -> None:
        page = self.page
        if page is None or self.checking or not self.auto_recheck:
            return
        if page.view.state in WATCHED_STATES:
            self.verify(automatic=True)

    def watch_auto_recheck(self, auto_recheck: bool) -> None:
        if self._recheck_timer is not None:
            if auto_recheck:
                self._recheck_timer.resume()
            else:
                self._recheck_timer.pause()
        self._show_summary()

    def watch_checking(self) -> None:
        self.refresh_bindings()

    def watch_activity(self, activity: str) -> None:
        # A verification cancelled because the screen closed ends here too.
        if not self.is_attached:
            return
        self.query_one("#activity", Static).update(activity)
        self.query_one("#activity-row").display = bool(activity)

    # Requesting and cancelling

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def request_address(self, address: str) -> None:
        """Request `address` as the custom From address: issue key and records."""
        from store.sender.service import request_sender

        try:
            view = request_sender(
                self.app.database.get(),
                self.app.settings,
                self.slug,
                address,
                self.app.user,
            )
        except MailroomError as error:
            self.app.call_from_thread(self._change_rejected, error)
            return
        self.app.call_from_thread(self._requested, view)

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def cancel_address(self) -> None:
        """Cancel the custom From address: mail goes from the platform's again."""
        from store.sender.service import cancel_sender

        try:
            view = cancel_sender(
                self.app.database.get(), self.app.settings, self.slug, self.app.user
            )
        except MailroomError as error:
            self.app.call_from_thread(self._change_rejected, error)
            return
        self.app.call_from_thread(self._cancelled, view)

    def _change_rejected(self, error: MailroomError) -> None:
        self.log.warning(f"sender change of {self.slug} failed: {error.message}")
        self.activity = ""
        self.notify(error.message, title=error.title, severity="error")
        self.load()

    def _requested(self, view: SenderView) -> None:
        self.activity = ""
        required = sum(row.spec.required for row in view.records)
        self.notify(
            f"Requested {view.address}. Publish the {required} required records at "
            f"the DNS host of {view.domain_unicode or view.domain} (e exports "
            "them), then press v to check them.",
            title="Custom address requested",
        )
        self.load()

    def _cancelled(self, view: SenderView) -> None:
        self.activity = ""
        self.notify(
            f"Cancelled the custom From address; mail goes from "
            f"{view.effective.address} again.",
            title="Custom address cancelled",
        )
        self.load()

    def _request_chosen(self, address: str | None) -> None:
        if address is not None:
            self.activity = f"issuing a DKIM key and the records for {address}…"
            self.request_address(address)

    def _cancel_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self.activity = "cancelling the custom address…"
            self.cancel_address()

    # Actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        page = self.page
        if action in RECORD_ACTIONS:
            if page is None or not page.view.records:
                return False
            return None if action == "verify" and self.checking else True
        if action == "request":
            if page is None or not page.can_request:
                return False
            return True if page.is_primary else None
        if action == "cancel_sender":
            if page is None or page.view.state == DEFAULT:
                return False
            return True if page.is_primary else None
        return True

    def action_back(self) -> None:
        """Go back to the records from the history or the detail, or leave."""
        if self.tabs.active == HISTORY_TAB:
            self.action_history()
            return
        if self.focused is self.detail and self.records.display:
            self.records.focus()
            return
        self.dismiss(None)

    def action_reload(self) -> None:
        """Read the sender and its history again."""
        self.load()

    def action_verify(self) -> None:
        """Check every record in DNS now."""
        self.verify()

    def action_pause(self) -> None:
        """Pause the automatic re-checks, or resume them."""
        self.auto_recheck = not self.auto_recheck
        state = "resumed" if self.auto_recheck else "paused"
        self.notify(f"Automatic re-checks {state}.")

    def action_history(self) -> None:
        """Switch between the records and the history."""
        if self.tabs.active == HISTORY_TAB:
            self.tabs.active = RECORDS_TAB
            self.records.focus()
        else:
            self.tabs.active = HISTORY_TAB
            self.history.table.focus()

    def action_request(self) -> None:
        """Ask for the custom address to request."""
        from tui.modals.sender_request import SenderRequestModal

        page = self.page
        if page is None:
            return
        modal = SenderRequestModal(page.view.tenant_name, self.app.settings.platform)
        self.app.push_screen(modal, callback=self._request_chosen)

    def action_cancel_sender(self) -> None:
        """Ask before cancelling the custom address."""
        from tui.modals.sender_cancel import SenderCancelModal

        page = self.page
        if page is None or page.view.address is None:
            return
        modal = SenderCancelModal(
            page.view.address,
            state_words(page.view.state),
            self.app.settings.platform.default_from,
        )
        self.app.push_screen(modal, callback=self._cancel_confirmed)

    def action_export(self) -> None:
        """Show the records as a zone-file snippet, CSV or JSON."""
        from tui.modals.sender_export import SenderExportModal

        page = self.page
        if page is None or not page.view.records:
            return
        specs = [row.spec for row in page.view.records]
        address = page.view.address or page.view.domain or self.slug
        self.app.push_screen(SenderExportModal(specs, address))

    def _copy(self, make_clip: Callable[[RecordRow], Clip]) -> None:
        row = self.records.highlighted
        if row is None:
            self.notify("No record is highlighted.", severity="warning")
            return
        clip = make_clip(row)
        if clip.text is None:
            self.notify(clip.message, severity="warning")
            return
        self.app.copy_to_clipboard(clip.text)
        self.notify(clip.message, title="Copied")

    def action_copy_name(self) -> None:
        """Copy the highlighted record's name to the clipboard."""
        domain = self.page.view.domain if self.page else None
        self._copy(lambda row: name_clip(row.spec, domain))

    def action_copy_value(self) -> None:
        """Copy the highlighted record's value to the clipboard."""
        self._copy(lambda row: value_clip(row.spec))

    def action_copy_strings(self) -> None:
        """Copy the highlighted record's value as quoted TXT strings."""
        self._copy(lambda row: strings_clip(row.spec))
