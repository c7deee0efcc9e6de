"""Sender states and record statuses written as a symbol and words.

Every state and status is shown with a symbol and its words, so that it
reads the same with NO_COLOR or on a monochrome terminal. Colour, where
used, only repeats what the symbol shows.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.app import App

from store.sender.results import (
    LOOKUP_ERROR,
    MISSING,
    NOT_CHECKED,
    OK,
    WRONG_PLACE,
    WRONG_VALUE,
)
from store.sender.states import (
    ACTIVE,
    DEFAULT,
    DEGRADED,
    FAILED,
    PENDING_DNS,
    VERIFIED,
)

# Symbol and words of each record status.
STATUS_LABELS = {
    NOT_CHECKED: ("○", "not checked"),
    OK: ("✓", "ok"),
    MISSING: ("✗", "missing"),
    WRONG_VALUE: ("≠", "wrong value"),
    WRONG_PLACE: ("↷", "wrong place"),
    LOOKUP_ERROR: ("?", "lookup error"),
}

# Symbol and words of each sender state.
STATE_LABELS = {
    DEFAULT: ("○", "default"),
    PENDING_DNS: ("…", "pending DNS"),
    VERIFIED: ("✓", "verified"),
    ACTIVE: ("●", "active"),
    DEGRADED: ("!", "degraded"),
    FAILED: ("✗", "failed"),
}

# The theme variable whose colour repeats a status or state, if any.
COLOURS = {
    OK: "text-success",
    MISSING: "text-error",
    WRONG_VALUE: "text-error",
    WRONG_PLACE: "text-warning",
    LOOKUP_ERROR: "text-warning",
    ACTIVE: "text-success",
    VERIFIED: "text-success",
    PENDING_DNS: "text-warning",
    DEGRADED: "text-warning",
    FAILED: "text-error",
}


def status_words(status: str) -> str:
    """Return a record status as people read it, such as `wrong value`."""
    return STATUS_LABELS.get(status, ("?", status))[1]


def status_text(status: str) -> str:
    """Write a record status as its symbol and words, such as `≠ wrong value`."""
    symbol, words = STATUS_LABELS.get(status, ("?", status))
    return f"{symbol} {words}"


def state_words(state: str) -> str:
    """Return a sender state as people read it, such as `pending DNS`."""
    return STATE_LABELS.get(state, ("?", state))[1]


def state_text(state: str) -> str:
    """Write a sender state as its symbol and words, such as `● active`."""
    symbol, words = STATE_LABELS.get(state, ("?", state))
    return f"{symbol} {words}"


def label_style(app: App[Any], name: str, *, bold: bool = False) -> Style:
    """Return the style that colours a status or state from the app's theme."""
    variable = COLOURS.get(name)
    colour = app.theme_variables.get(variable) if variable else None
    return Style(color=colour, bold=bold)
