"""The bulk Reply-To modal: one Reply-To for many templates, shown before applied.

The modal never writes. It calls a preview function, given by the screen
that opened it, to learn what a dry run would change, and returns a
`BulkUpdateRequest`. The screen applies that in its own worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    RadioSet,
    Static,
)

from store.addresses import Mailbox, format_reply_to
from store.bulk import BulkResult, Scope
from store.kinds import Group, TemplateKind
from tui.screens.base import MailroomModal
from tui.screens.editor_draft import ReplyToParser
from tui.screens.tenant_data import TemplateRow
from tui.widgets.columns import fit_width
from tui.widgets.toggles import MarkedRadioButton

# Seconds to wait after the last keystroke before asking for a dry run, so
# that typing an address does not start one database read per character.
PREVIEW_DELAY = 0.15

EXAMPLE_REPLY_TO = "Sales <sales@company.example>, accounts@company.example"


@dataclass(frozen=True)
class BulkUpdateRequest:
    """A bulk Reply-To change: the new mailboxes and the templates in scope."""

    reply_to: list[Mailbox]
    scope: Scope
    scope_name: str


class BulkUpdateModal(MailroomModal[BulkUpdateRequest | None]):
    """Type a Reply-To, choose the scope, read the changes, then apply."""

    DEFAULT_CSS = """
    BulkUpdateModal {
        align: center middle;
        & > #dialog {
            width: 100%;
            max-width: 110;
            height: 100%;
            max-height: 34;
            padding: 0 1;
            border: thick $primary;
            background: $surface;
        }
        & .field-label {
            width: 10;
            padding-top: 0;
        }
        & #reply-to {
            width: 1fr;
        }
        & #reply-to-row {
            height: 1;
        }
        & #status {
            height: auto;
            margin-bottom: 1;
        }
        & #status.-invalid {
            color: $error;
            text-style: bold;
        }
        & #scope {
            width: 100%;
            height: auto;
            layout: horizontal;
            border: none;
            padding: 0;
        }
        & #changes {
            height: 1fr;
            margin-top: 1;
        }
        & #summary {
            height: auto;
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
## Bulk Reply-To

Sets the same Reply-To on many templates in one transaction.

1. Type the new Reply-To, as in a mail header:
   `Sales <sales@a.example>, b@a.example`. It is checked as you type; an
   empty Reply-To removes it, so replies go to the From address.
2. Choose the scope with the arrow keys: all templates, the ones selected in
   the list, sales or purchases.
3. Read the changes, old and new, for each template in scope. Nothing is
   written until you apply.
4. **ctrl+s**, **F2** or **enter** in the Reply-To field applies;
   **escape** closes without changing anything. After applying, **u** in
   the list undoes the change.
"""

    BINDINGS = [
        Binding(
            "ctrl+s",
            "apply",
            "Apply",
            key_display="^s/F2",
            tooltip="Write the changes listed, in one transaction.",
            priority=True,
            id="bulk.apply",
        ),
        Binding(
            "f2",
            "apply",
            "Apply",
            tooltip="Write the changes listed, in one transaction.",
            show=False,
            priority=True,
            id="bulk.apply_f2",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without changing anything.",
            id="bulk.cancel",
        ),
    ]

    class PreviewReady(Message):
        """A dry run finished for `request`."""

        def __init__(self, request: BulkUpdateRequest, result: BulkResult) -> None:
            super().__init__()
            self.request = request
            self.result = result

    def __init__(
        self,
        rows: list[TemplateRow],
        selected: frozenset[TemplateKind],
        preview: Callable[[BulkUpdateRequest], BulkResult],
    ) -> None:
        super().__init__()
        self.rows = rows
        self.selected = selected
        self._preview = preview
        self._parser = ReplyToParser()
        self._timer: Timer | None = None
        self.request: BulkUpdateRequest | None = None
        self.previewed: BulkUpdateRequest | None = None
        self.result: BulkResult | None = None

    def compose(self) -> ComposeResult:
        counts = self._counts()
        with Vertical(id="dialog") as dialog:
            dialog.border_title = "Set one Reply-To on many templates"
            with Horizontal(id="reply-to-row"):
                yield Label("Reply-To", classes="field-label")
                yield Input(
                    placeholder=EXAMPLE_REPLY_TO,
                    id="reply-to",
                    compact=True,
                )
            yield Static("", id="status")
            with RadioSet(id="scope"):
                yield MarkedRadioButton(
                    f"All ({counts['all']})",
                    value=not self.selected,
                    id="scope-all",
                )
                yield MarkedRadioButton(
                    f"Selected ({counts['selected']})",
                    value=bool(self.selected),
                    disabled=not self.selected,
                    id="scope-selected",
                )
                yield MarkedRadioButton(f"Sales ({counts['sales']})", id="scope-sales")
                yield MarkedRadioButton(
                    f"Purchases ({counts['purchases']})", id="scope-purchases"
                )
            yield DataTable(id="changes", cursor_type="row", show_cursor=False)
            yield Static("", id="summary")
            with Horizontal(id="buttons"):
                yield Button(
                    "Apply (^s/F2)",
                    id="apply",
                    variant="primary",
                    disabled=True,
                    compact=True,
                )
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer()

    def _counts(self) -> dict[str, int]:
        kinds = [row.kind for row in self.rows]
        return {
            "all": len(kinds),
            "selected": len(self.selected),
            "sales": sum(kind.group is Group.SALES for kind in kinds),
            "purchases": sum(kind.group is Group.PURCHASES for kind in kinds),
        }

    def on_mount(self) -> None:
        self.query_one("#reply-to", Input).focus()
        self._inputs_changed()

    # Reading the inputs

    def _scope(self) -> tuple[str, Scope]:
        pressed = self.query_one("#scope", RadioSet).pressed_button
        name = (pressed.id or "scope-all").removeprefix("scope-") if pressed else "all"
        if name == "selected" and self.selected:
            return name, Scope.of_kinds(self.selected)
        if name == "sales":
            return name, Scope.group(Group.SALES)
        if name == "purchases":
            return name, Scope.group(Group.PURCHASES)
        return "all", Scope.all()

    def _read_request(self) -> BulkUpdateRequest | None:
        status = self.query_one("#status", Static)
        text = self.query_one("#reply-to", Input).value
        mailboxes, error = self._parser.parse(text)
        if mailboxes is None:
            status.update(f"✗ Invalid Reply-To: {error}")
            status.add_class("-invalid")
            return None

        status.remove_class("-invalid")
        if mailboxes:
            count = len(mailboxes)
            status.update(
                f"✓ {count} address{'es' if count != 1 else ''}: "
                f"{format_reply_to(mailboxes)}"
            )
        else:
            status.update(
                "Empty: the templates in scope lose their Reply-To, "
                "so replies go to the From address."
            )
        name, scope = self._scope()
        return BulkUpdateRequest(mailboxes, scope, name)

    @on(Input.Changed, "#reply-to")
    @on(RadioSet.Changed, "#scope")
    def _inputs_changed(self) -> None:
        self.request = self._read_request()
        self._show_ready()
        if self._timer is not None:
            self._timer.stop()
        if self.request is None:
            self._show_changes(None)
            return
        self._timer = self.set_timer(PREVIEW_DELAY, self._start_preview)

    def _start_preview(self) -> None:
        if self.request is not None:
            self.run_preview(self.request)

    # The dry run

    @work(thread=True, exclusive=True, group="dry-run", exit_on_error=False)
    def run_preview(self, request: BulkUpdateRequest) -> None:
        """Ask what applying `request` would change, writing nothing."""
        self.post_message(self.PreviewReady(request, self._preview(request)))

    @on(PreviewReady)
    def _preview_ready(self, event: PreviewReady) -> None:
        if event.request != self.request:
            return
        self.previewed = event.request
        self.result = event.result
        self._show_changes(event.result)
        self._show_ready()

    def _show_changes(self, result: BulkResult | None) -> None:
        table = self.query_one("#changes", DataTable)
        summary = self.query_one("#summary", Static)
        # Columns are added again, sized to the new rows (see fit_width).
        table.clear(columns=True)
        updates = result.updates if result is not None else []
        olds = [format_reply_to(update.old) or "none" for update in updates]
        news = [format_reply_to(update.new) or "none" for update in updates]
        table.add_column("Template", width=18, key="kind")
        table.add_column(
            "Reply-To now", width=fit_width("Reply-To now", olds), key="old"
        )
        table.add_column(
            "New Reply-To", width=fit_width("New Reply-To", news), key="new"
        )
        if result is None:
            summary.update("Fix the Reply-To to see the changes.")
            return
        for update, old, new in zip(updates, olds, news, strict=True):
            table.add_row(
                update.kind.label,
                Text(old, style="italic" if not update.old else ""),
                Text(new, style="italic" if not update.new else ""),
                key=update.kind.value,
            )
        changing = len(result.updates)
        same = len(result.unchanged)
        summary.update(
            f"{changing} template{'s' if changing != 1 else ''} will change; "
            f"{same} already {'have' if same != 1 else 'has'} this Reply-To. "
            "Nothing is written until you apply."
        )

    def _ready(self) -> bool:
        return (
            self.request is not None
            and self.previewed == self.request
            and self.result is not None
            and bool(self.result.updates)
        )

    def _show_ready(self) -> None:
        self.query_one("#apply", Button).disabled = not self._ready()

    # Finishing

    @on(Input.Submitted, "#reply-to")
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        """Return the request shown, once its dry run is on screen."""
        if self.request is None:
            self.notify("Not applied: the Reply-To is invalid.", severity="error")
            return
        if not self._ready():
            reason = (
                "nothing would change"
                if self.previewed == self.request
                else "the list of changes is still being read"
            )
            self.notify(f"Not applied: {reason}.", severity="warning")
            return
        self.dismiss(self.request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
