"""Shows a save conflict: what the other person saved against your draft."""

from __future__ import annotations

import difflib
from enum import Enum
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Static

from store.addresses import format_reply_to
from store.kinds import TemplateKind
from tui.screens.base import MailroomModal
from tui.screens.tenant_data import EditableTemplate, format_utc

if TYPE_CHECKING:
    from tui.screens.editor_draft import Draft


class ConflictChoice(Enum):
    """How to resolve a save conflict."""

    RELOAD = "reload"
    OVERWRITE = "overwrite"


def _fields_of_saved(template: EditableTemplate) -> dict[str, str]:
    return {
        "Subject": template.subject,
        "Reply-To": format_reply_to(template.reply_to),
        "Enabled": "yes" if template.enabled else "no",
        "Text body": template.text_body,
        "HTML body": template.html_body,
    }


def _fields_of_draft(draft: Draft) -> dict[str, str]:
    return {
        "Subject": draft.subject,
        "Reply-To": draft.reply_to.strip(),
        "Enabled": "yes" if draft.enabled else "no",
        "Text body": draft.text_body,
        "HTML body": draft.html_body,
    }


def describe_conflict(
    base: EditableTemplate, theirs: EditableTemplate, yours: Draft
) -> Text:
    """Write, field by field, what they changed and how it differs from yours."""
    before = _fields_of_saved(base)
    after = _fields_of_saved(theirs)
    mine = _fields_of_draft(yours)
    text = Text()
    theirs_changed = [name for name in after if after[name] != before[name]]
    if not theirs_changed:
        text.append("They saved without changing any field you can edit.\n")
    for name in theirs_changed:
        verdict = "yours differs" if mine[name] != after[name] else "same as yours"
        text.append(name, style="bold")
        text.append(f" changed by them ({verdict})\n")
        _append_values(text, after[name], mine[name], theirs.version)

    yours_only = [
        name
        for name in mine
        if name not in theirs_changed and mine[name] != before[name]
    ]
    for name in yours_only:
        text.append(name, style="bold")
        text.append(" changed by you only\n")
        _append_values(text, after[name], mine[name], theirs.version)
    return text


def _append_values(text: Text, theirs: str, mine: str, version: int) -> None:
    if "\n" not in theirs and "\n" not in mine:
        text.append(f"  theirs: {theirs or '(empty)'}\n")
        text.append(f"  yours:  {mine or '(empty)'}\n")
        return
    diff = difflib.unified_diff(
        theirs.splitlines(),
        mine.splitlines(),
        f"theirs (version {version})",
        "yours",
        lineterm="",
        n=1,
    )
    text.append("\n".join(diff) + "\n")


class ConflictModal(MailroomModal[ConflictChoice | None]):
    """Reload their version, overwrite it with yours, or keep editing."""

    DEFAULT_CSS = """
    ConflictModal {
        align: center middle;
        & > #dialog {
            width: 90%;
            max-width: 110;
            height: 90%;
            padding: 0 1;
            border: thick $warning;
            background: $surface;
        }
        & #who {
            margin-bottom: 1;
        }
        & #changes {
            height: 1fr;
            border: round $primary 50%;
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
## Save conflict

Someone saved this template after you opened it, so your save was not made.
The window shows each field they changed, theirs against yours.

- **r** loads their version and discards your changes.
- **o** saves your draft over their version (their change is kept in the
  audit log).
- **escape** goes back to editing without saving.
"""

    BINDINGS = [
        Binding(
            "r",
            "choose('reload')",
            "Reload theirs",
            tooltip="Load their version, discarding your changes.",
            id="conflict.reload",
        ),
        Binding(
            "o",
            "choose('overwrite')",
            "Overwrite",
            tooltip="Save your draft over their version.",
            id="conflict.overwrite",
        ),
        Binding(
            "escape",
            "cancel",
            "Keep editing",
            tooltip="Go back to the editor without saving.",
            id="conflict.cancel",
        ),
    ]

    def __init__(
        self,
        kind: TemplateKind,
        base: EditableTemplate,
        theirs: EditableTemplate,
        yours: Draft,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.base = base
        self.theirs = theirs
        self.yours = yours

    def compose(self) -> ComposeResult:
        theirs = self.theirs
        with Vertical(id="dialog") as dialog:
            dialog.border_title = f"Conflict: the {self.kind.label.lower()} template"
            yield Static(
                f"{theirs.updated_by} saved version {theirs.version} at "
                f"{format_utc(theirs.updated_at)} while you were editing version "
                f"{self.base.version}. Your changes are not saved.",
                id="who",
                markup=False,
            )
            with VerticalScroll(id="changes"):
                yield Static(describe_conflict(self.base, theirs, self.yours))
            with Horizontal(id="buttons"):
                yield Button(
                    "Reload theirs (r)", id="reload", variant="primary", compact=True
                )
                yield Button(
                    "Overwrite with mine (o)",
                    id="overwrite",
                    variant="warning",
                    compact=True,
                )
                yield Button("Keep editing (esc)", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#changes").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.action_choose(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        """Resolve the conflict with `choice`: reload or overwrite."""
        self.dismiss(ConflictChoice(choice))

    def action_cancel(self) -> None:
        """Go back to editing without saving."""
        self.dismiss(None)
