"""The head of the sender screen: the From in effect, why, and the custom address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from store.sender.states import DEFAULT, WATCHED_STATES
from tui.screens.tenant_data import format_utc
from tui.widgets.sender_status import label_style, state_text

if TYPE_CHECKING:
    from store.sender.views import SenderView
    from tui.screens.sender_data import SenderPage


@dataclass(frozen=True)
class Recheck:
    """The interval of the automatic re-checks and whether they are paused."""

    seconds: float
    paused: bool


def checked_text(view: SenderView, recheck: Recheck) -> str:
    """Write when the records were last checked and when the next check runs."""
    checked = format_utc(view.last_checked_at) if view.last_checked_at else "never"
    if view.state not in WATCHED_STATES:
        return f"{checked}; v checks the records now"
    if recheck.paused:
        return f"{checked}; automatic re-checks paused (p resumes them)"
    return f"{checked}; re-checked every {recheck.seconds:g} s (p pauses)"


def custom_text(view: SenderView) -> Text:
    """Write the custom address, with its ASCII form when its domain is IDN."""
    if not view.address:
        return Text("none requested", style="italic")
    text = Text(view.address)
    if view.ascii_address and view.ascii_address != view.address:
        text.append(f" (in DNS: {view.ascii_address})")
    return text


class SenderSummary(Static):
    """The From in effect and why, the custom address, its state and checks."""

    def show(self, page: SenderPage, user: str, recheck: Recheck) -> None:
        """Show `page` as seen by `user`, the person acting in the app."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for name, value in self._rows(page, user, recheck):
            grid.add_row(f"{name}:", value)
        self.update(grid)

    def _rows(
        self, page: SenderPage, user: str, recheck: Recheck
    ) -> list[tuple[str, Text]]:
        view = page.view
        effective = view.effective
        rows = [
            ("From now", Text(f"{effective.display_name} <{effective.address}>")),
            # Each reason names whose address is in use, so none is added.
            ("Why", Text(effective.reason)),
            ("Custom", custom_text(view)),
            ("State", self._state_text(view)),
        ]
        if view.state != DEFAULT:
            rows.append(("Checked", Text(checked_text(view, recheck))))
        if not page.is_primary:
            note = (
                "request (r) and cancel (x) are disabled: only the primary user "
                f"{page.primary_user} may use them, and you are {user}"
            )
            rows.append(("Changes", Text(note, style="italic")))
        return rows

    def _state_text(self, view: SenderView) -> Text:
        text = Text()
        style = label_style(self.app, view.state, bold=True)
        text.append(state_text(view.state), style=style)
        text.append(f" since {format_utc(view.state_changed_at)}")
        if view.state_reason:
            text.append(f": {view.state_reason}")
        return text
