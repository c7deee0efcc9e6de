"""The tenant picker: search every company on the platform, open one."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from tui.screens.base import MailroomScreen
from tui.widgets.columns import fit_width

# Rows shown at most. The search requests one row more to learn if there are more.
RESULT_LIMIT = 100
# Seconds between the last keystroke and the search, so that typing a name
# runs one query instead of one per letter.
SEARCH_DELAY = 0.12


@dataclass(frozen=True)
class TenantHit:
    """One tenant found by a search."""

    slug: str
    name: str
    primary_user: str


class TenantPickerScreen(MailroomScreen[None]):
    """Search tenants by slug, company name or primary user; open one."""

    CSS_PATH = "tenant_picker.tcss"

    HELP = """\
## Tenants

Type to search every tenant by slug, company name or the primary user's
email; the list follows as you type. **down** moves into the list,
**enter** opens the highlighted tenant (or the first match while you type),
**escape** clears the search. At most 100 tenants are listed: type more of
the name to narrow the search.
"""

    BINDINGS = [
        Binding(
            "enter",
            "open",
            "Open",
            tooltip="Open the highlighted tenant's templates.",
            # Priority, so that enter opens the first match while typing too.
            priority=True,
            id="picker.open",
        ),
        Binding(
            "escape",
            "clear",
            "Clear search",
            tooltip="Empty the search box.",
            id="picker.clear",
        ),
        Binding("down", "to_results", show=False),
    ]

    class Results(Message):
        """A search for `query` found `hits`; `more` if it hit the limit."""

        def __init__(self, query: str, hits: list[TenantHit], more: bool) -> None:
            super().__init__()
            self.query = query
            self.hits = hits
            self.more = more

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self._open_when_found = False
        self.query_text: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Open a tenant", id="title")
        yield Input(
            placeholder="Search slug, company name or primary user",
            id="search",
        )
        yield DataTable(id="tenants", cursor_type="row")
        yield Static("Searching…", id="status")
        yield Footer()

    @property
    def search_input(self) -> Input:
        """The search box."""
        return self.query_one("#search", Input)

    @property
    def results(self) -> DataTable[Text]:
        """The table of tenants found."""
        return self.query_one("#tenants", DataTable)

    def on_mount(self) -> None:
        self.search_input.focus()
        self.search("")

    @on(Input.Changed, "#search")
    def schedule_search(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self.search(event.value))

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def search(self, text: str) -> None:
        """Find up to RESULT_LIMIT tenants matching `text`."""
        from store.tenants import list_tenants

        with self.app.database.get().read() as session:
            found = list_tenants(session, text or None, limit=RESULT_LIMIT + 1)
            hits = [TenantHit(t.slug, t.name, t.primary_user) for t in found]
        self.post_message(
            self.Results(text, hits[:RESULT_LIMIT], len(hits) > RESULT_LIMIT)
        )

    @on(Results)
    def show_results(self, event: Results) -> None:
        if event.query != self.search_input.value:
            return
        self.query_text = event.query
        table = self.results
        # Columns are added again, sized to these rows (see fit_width).
        table.clear(columns=True)
        hits = event.hits
        table.add_column(
            "Slug", width=fit_width("Slug", (h.slug for h in hits)), key="slug"
        )
        table.add_column(
            "Company", width=fit_width("Company", (h.name for h in hits)), key="name"
        )
        table.add_column(
            "Primary user",
            width=fit_width("Primary user", (h.primary_user for h in hits)),
            key="user",
        )
        for hit in hits:
            # Text, not str: DataTable would read "[...]" in a name as markup.
            cells = (Text(hit.slug), Text(hit.name), Text(hit.primary_user))
            table.add_row(*cells, key=hit.slug)
        status = self.query_one("#status", Static)
        if not event.hits:
            status.update(f"No tenant matches {event.query!r}.")
        elif event.more:
            status.update(
                f"Showing the first {RESULT_LIMIT} matches; type more to narrow them."
            )
        else:
            count = len(event.hits)
            status.update(f"{count} tenant{'s' if count != 1 else ''}.")
        if self._open_when_found:
            self._open_when_found = False
            self.action_open()

    def action_open(self) -> None:
        """Open the highlighted tenant, or the first match of the text typed."""
        text = self.search_input.value
        if self.query_text != text:
            # The rows shown are for older text: search now, open on arrival.
            if self._timer is not None:
                self._timer.stop()
            self._open_when_found = True
            self.search(text)
            return
        table = self.results
        if not table.row_count:
            self.notify(
                "No tenant to open: the search matches none.", severity="warning"
            )
            return
        slug = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if slug is not None:
            self.app.open_tenant(slug)

    def action_clear(self) -> None:
        """Empty the search box and show the first tenants."""
        self.search_input.value = ""
        self.search_input.focus()

    def action_to_results(self) -> None:
        """Move from the search box into the list."""
        if self.results.row_count:
            self.results.focus()
