"""Asks what to do with unsaved changes before leaving a screen."""

from __future__ import annotations

from enum import Enum

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from tui.screens.base import MailroomModal


class LeaveChoice(Enum):
    """A choice for unsaved changes: save them or discard them."""

    SAVE = "save"
    DISCARD = "discard"


class UnsavedChangesModal(MailroomModal[LeaveChoice | None]):
    """Save, discard, or keep editing; None means keep editing."""

    DEFAULT_CSS = """
    UnsavedChangesModal {
        align: center middle;
        & > #dialog {
            width: 72;
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
## Unsaved changes

**s** saves and leaves, **d** leaves without saving, **escape** goes back to
editing.
"""

    BINDINGS = [
        Binding(
            "s", "choose('save')", "Save", tooltip="Save, then leave.", id="leave.save"
        ),
        Binding(
            "d",
            "choose('discard')",
            "Discard",
            tooltip="Leave without saving.",
            id="leave.discard",
        ),
        Binding(
            "escape",
            "keep_editing",
            "Keep editing",
            tooltip="Go back to the editor.",
            id="leave.cancel",
        ),
    ]

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"You have unsaved changes to {self.target}.")
            with Horizontal(id="buttons"):
                yield Button("Save (s)", id="save", variant="primary", compact=True)
                yield Button("Discard (d)", id="discard", variant="error", compact=True)
                yield Button("Keep editing (esc)", id="cancel", compact=True)
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.action_choose(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        """Leave with `choice`: save or discard."""
        self.dismiss(LeaveChoice(choice))

    def action_keep_editing(self) -> None:
        """Close this question and keep editing."""
        self.dismiss(None)
