"""The terminal app: the App subclass, its global keys and its first screen.

Screens are imported when they are first shown, not here, so that start-up
loads only what the first frame needs (see `tui/screens/tenant_data.py`
for why the database layer is kept off that path too).
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker

from store.errors import MailroomError
from store.settings import Settings

if TYPE_CHECKING:
    from store.db import Database
    from tui.commands.common import CliState

# Set to 1 to make the app exit right after it has painted the template
# list with its rows; `bench/startup_bench.py` times start-up with it.
EXIT_AFTER_FIRST_ROWS_VARIABLE = "MAILROOM_EXIT_AFTER_FIRST_ROWS"


class DatabaseHandle:
    """The database the app works on, opened on first use in a worker thread.

    Opening imports SQLModel and may run migrations, which would hold up the
    first frame, so nothing on the UI thread calls `get`.
    """

    def __init__(self, url: str, database: Database | None = None) -> None:
        self.url = url
        self._database = database
        self._lock = threading.Lock()

    def get(self) -> Database:
        """Return the open database, opening and migrating it if need be."""
        with self._lock:
            if self._database is None:
                from store.db import open_database

                self._database = open_database(self.url)
            return self._database

    def close(self) -> None:
        """Close the database's connections if it was opened."""
        with self._lock:
            if self._database is not None:
                self._database.close()


class MailroomApp(App[None]):
    """Mailroom's terminal app for one acting user."""

    TITLE = "Mailroom"
    CSS_PATH = "app.tcss"

    BINDINGS = [
        Binding(
            "f1",
            "help",
            "Help",
            tooltip="Show what this screen does and all of its keys.",
            id="app.help",
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            tooltip="Quit Mailroom.",
            show=False,
            priority=True,
            id="app.quit",
        ),
    ]

    def __init__(
        self,
        database: DatabaseHandle,
        settings: Settings,
        user: str,
        tenant_slug: str | None = None,
        *,
        exit_after_first_rows: bool = False,
    ) -> None:
        super().__init__()
        self.database = database
        self.settings = settings
        self.user = user
        self.initial_tenant = tenant_slug
        self.exit_after_first_rows = exit_after_first_rows

    def on_mount(self) -> None:
        if self.initial_tenant:
            self.open_tenant(self.initial_tenant)
        else:
            self.open_tenant_picker()

    def open_tenant(self, slug: str) -> None:
        """Show the template list of the tenant `slug` above the current screen."""
        from tui.screens.template_list import TemplateListScreen

        self.push_screen(TemplateListScreen(slug))

    def open_tenant_picker(self) -> None:
        """Go back to the tenant picker, or replace the screen with a new one."""
        from tui.screens.tenant_picker import TenantPickerScreen

        pickers = [s for s in self.screen_stack if isinstance(s, TenantPickerScreen)]
        if not pickers and len(self.screen_stack) <= 1:
            self.push_screen(TenantPickerScreen())
            return
        if not pickers:
            # Replace the tenant's screens, so escape never leads back to them.
            while len(self.screen_stack) > 2:
                self.pop_screen()
            self.switch_screen(TenantPickerScreen())
            return
        while self.screen is not pickers[-1]:
            self.pop_screen()

    def action_help(self) -> None:
        """Show the help of the current screen."""
        from tui.modals.help import HelpModal

        if isinstance(self.screen, HelpModal):
            return
        self.push_screen(HelpModal.for_screen(self.screen))

    def report_worker_error(self, worker: Worker[object]) -> None:
        """Show why a worker failed: a notification for an expected error,
        a modal with the traceback for anything else."""
        error = worker.error
        if isinstance(error, MailroomError):
            self.notify(error.message, title=error.title, severity="error")
            return

        from tui.modals.error import ErrorModal

        details = "".join(traceback.format_exception(error)) if error else ""
        self.log.error(f"worker {worker.name!r} failed", details)
        self.push_screen(
            ErrorModal(
                "Unexpected error",
                f"{worker.description or worker.name} failed: {error!r}",
                details,
            )
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """List Textual's own commands, then every Mailroom key of this screen."""
        yield from super().get_system_commands(screen)
        seen: set[tuple[int, str]] = set()
        for node, binding, enabled, _tooltip in screen.active_bindings.values():
            key = (id(node), binding.action)
            if not enabled or key in seen or not _is_mailroom_binding(binding):
                continue
            seen.add(key)
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                partial(self.run_action, binding.action, node),
            )

    def on_unmount(self) -> None:
        self.database.close()


def _is_mailroom_binding(binding: Binding) -> bool:
    # Textual's own commands already list Quit; widgets' editing keys (copy,
    # cursor moves) have no id and stay out of the palette.
    return binding.id is not None and binding.id != "app.quit"


def make_app(
    database: Database | str,
    settings: Settings,
    user: str,
    tenant_slug: str | None = None,
    *,
    exit_after_first_rows: bool = False,
) -> MailroomApp:
    """Build the app on an open database or a database URL."""
    if isinstance(database, str):
        handle = DatabaseHandle(database)
    else:
        url = database.engine.url.render_as_string(hide_password=False)
        handle = DatabaseHandle(url, database)
    return MailroomApp(
        handle,
        settings,
        user,
        tenant_slug,
        exit_after_first_rows=exit_after_first_rows,
    )


def run_app(state: CliState, tenant_slug: str | None) -> None:
    """Run the app for the `mailroom` command with its global options."""
    settings = state.settings
    url = state.database_url or settings.resolved_database_url()
    app = make_app(
        url,
        settings,
        state.user,
        tenant_slug,
        exit_after_first_rows=os.environ.get(EXIT_AFTER_FIRST_ROWS_VARIABLE) == "1",
    )
    app.run()
