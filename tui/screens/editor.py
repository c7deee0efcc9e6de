"""The template editor: subject, Reply-To and bodies beside a live preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import (
    Checkbox,
    Footer,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from store.addresses import format_reply_to
from store.errors import Conflict
from store.kinds import TemplateKind
from store.render import sample_context, variables_for
from store.templates import TemplateEdit, save_template
from tui.modals.confirm import LeaveChoice, UnsavedChangesModal
from tui.modals.conflict import ConflictChoice, ConflictModal
from tui.screens.base import MailroomScreen
from tui.screens.editor_draft import (
    Draft,
    DraftCheck,
    ReplyToParser,
    build_preview,
    check_draft,
)
from tui.screens.editor_send import DraftTestSender
from tui.screens.tenant_data import EditableTemplate, read_template
from tui.widgets.body_editor import BodyEditor
from tui.widgets.preview import MessagePreview
from tui.widgets.toggles import MarkedCheckbox
from tui.widgets.variables import VariablesPanel


@dataclass(frozen=True)
class EditorResult:
    """The editor's result: the kind and the version it saved last."""

    kind: TemplateKind
    version: int | None


class EditorScreen(MailroomScreen[EditorResult]):
    """One template's fields beside the message its customer would get."""

    CSS_PATH = "editor.tcss"

    HELP = """\
## Template editor

On the left is the template, on the right the message as the customer gets
it, rendered with this kind's sample data after every edit.

- **ctrl+s** or **F2** saves. Some terminals swallow ctrl+s (XON/XOFF flow
  control); F2 always reaches Mailroom. Saving is rejected while the template
  does not render or the Reply-To is invalid, and a notification gives the
  reason.
- **F8** moves the cursor to the line of the first render error; that line
  is underlined and the body's title names it.
- **F3** switches the right side between the preview and the variables of
  this kind; **enter** on a variable inserts it at the body's cursor.
- **F4** switches between the text body and the HTML body.
- **F5** sends the draft as it is now, unsaved changes included, to one
  address as a test, and notifies what the relay replied. It is rejected,
  like saving, while the draft does not render or the Reply-To is invalid.
- **escape** goes back to the list, asking first if there are unsaved
  changes.
- **tab** and **shift+tab** move between the fields.

Reply-To takes addresses the way a mail header does:
`Sales <sales@a.example>, b@a.example`. Leave it empty to have replies go to
the From address. If someone else saves this template while you edit it,
saving shows what they changed and lets you reload theirs or overwrite it.
"""

    BINDINGS = [
        Binding(
            "ctrl+s",
            "save",
            "Save",
            key_display="^s/F2",
            tooltip="Save the template (F2 works where ctrl+s does not).",
            priority=True,
            id="editor.save",
        ),
        Binding(
            "f2",
            "save",
            "Save",
            tooltip="Save the template.",
            show=False,
            priority=True,
            id="editor.save_f2",
        ),
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="Go back to the template list, asking first if unsaved.",
            id="editor.back",
        ),
        Binding(
            "f8",
            "go_to_error",
            "Go to error",
            tooltip="Move the cursor to the line of the first render error.",
            id="editor.go_to_error",
        ),
        Binding(
            "f3",
            "toggle_side",
            "Variables",
            tooltip="Switch between the preview and the variables of this kind.",
            id="editor.toggle_side",
        ),
        Binding(
            "f5",
            "test_send",
            "Test send",
            tooltip="Send the draft, unsaved changes included, to one address.",
            id="editor.test_send",
        ),
        Binding(
            "f4",
            "toggle_body",
            "Text/HTML",
            tooltip="Switch between the text body and the HTML body.",
            show=False,
            id="editor.toggle_body",
        ),
    ]

    dirty: reactive[bool] = reactive(False, init=False)
    """Whether the fields differ from the template as last loaded or saved."""

    has_errors: reactive[bool] = reactive(False, init=False)
    """Whether the draft fails to render or has an invalid Reply-To."""

    class Loaded(Message):
        """A worker read the template and the tenant's sender."""

        def __init__(self, template: EditableTemplate) -> None:
            super().__init__()
            self.template = template

    class Saved(Message):
        """A worker saved the draft as a new version."""

        def __init__(self, template: EditableTemplate, leave: bool) -> None:
            super().__init__()
            self.template = template
            self.leave = leave

    class ConflictFound(Message):
        """A save was refused because someone saved a newer version first."""

        def __init__(self, theirs: EditableTemplate, message: str) -> None:
            super().__init__()
            self.theirs = theirs
            self.message = message

    def __init__(self, slug: str, kind: TemplateKind) -> None:
        super().__init__()
        self.slug = slug
        self.kind = kind
        self.saved: EditableTemplate | None = None
        self.check: DraftCheck | None = None
        self.context: dict[str, Any] = {}
        self._parser = ReplyToParser()
        self._saved_draft: Draft | None = None
        self._test_sender = DraftTestSender(self)

    def compose(self) -> ComposeResult:
        yield Static(f"{self.kind.label} template, loading…", id="title")
        with Horizontal(id="panes"):
            with Vertical(id="form"):
                with Horizontal(classes="field"):
                    yield Label("Subject", classes="field-label")
                    yield Input(id="subject", compact=True, select_on_focus=False)
                with Horizontal(classes="field"):
                    yield Label("Reply-To", classes="field-label")
                    yield Input(
                        id="reply-to",
                        compact=True,
                        select_on_focus=False,
                        placeholder="none: replies go to the From address",
                    )
                yield Static("", id="reply-to-error", classes="error-text")
                yield MarkedCheckbox("Enabled", id="enabled", compact=True)
                with TabbedContent(id="bodies"):
                    with TabPane("Text body", id="text-tab"):
                        yield BodyEditor(
                            title="Text body",
                            on_edit=self.refresh_preview,
                            id="text-body",
                        )
                    with TabPane("HTML body", id="html-tab"):
                        yield BodyEditor(
                            title="HTML body",
                            on_edit=self.refresh_preview,
                            id="html-body",
                        )
                yield Static("", id="errors", classes="error-text")
            with TabbedContent(id="side"):
                with TabPane("Preview", id="preview-tab"):
                    yield MessagePreview(id="preview")
                with TabPane("Variables", id="variables-tab"):
                    yield VariablesPanel(id="variables")
        yield Footer()

    # Typed access to the parts

    @property
    def subject_input(self) -> Input:
        """The subject field."""
        return self.query_one("#subject", Input)

    @property
    def reply_to_input(self) -> Input:
        """The Reply-To field."""
        return self.query_one("#reply-to", Input)

    @property
    def text_body(self) -> BodyEditor:
        """The text body editor."""
        return self.query_one("#text-body", BodyEditor)

    @property
    def html_body(self) -> BodyEditor:
        """The HTML body editor."""
        return self.query_one("#html-body", BodyEditor)

    @property
    def preview(self) -> MessagePreview:
        """The rendered message."""
        return self.query_one("#preview", MessagePreview)

    def draft(self) -> Draft:
        """Return the fields as they are now."""
        return Draft(
            subject=self.subject_input.value,
            reply_to=self.reply_to_input.value,
            text_body=self.text_body.text,
            html_body=self.html_body.text,
            enabled=self.query_one("#enabled", Checkbox).value,
        )

    # Loading

    def on_mount(self) -> None:
        self.query_one("#form").disabled = True
        self.load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        """Read the template and the sender in effect for the tenant."""
        template = read_template(
            self.app.database.get(), self.slug, self.kind, self.app.settings.platform
        )
        self.post_message(self.Loaded(template))

    @on(Loaded)
    def fill_fields(self, event: Loaded) -> None:
        template = event.template
        self.context = sample_context(
            self.kind, company_name=template.sender.tenant_name
        )
        self._fill(template)
        self.query_one("#form").disabled = False
        self.subject_input.focus()
        self.query_one("#variables", VariablesPanel).show_variables(
            [
                (v.name, v.type, str(v.sample), v.description)
                for v in variables_for(self.kind)
            ]
        )

    def _fill(self, template: EditableTemplate) -> None:
        self.saved = template
        with self.prevent(Input.Changed, TextArea.Changed, Checkbox.Changed):
            self.subject_input.value = template.subject
            self.reply_to_input.value = format_reply_to(template.reply_to)
            self.text_body.load_text(template.text_body)
            self.html_body.load_text(template.html_body)
            self.query_one("#enabled", Checkbox).value = template.enabled
        self._saved_draft = self.draft()
        self._show_title()
        self.refresh_preview()

    def _show_title(self) -> None:
        if self.saved is None:
            return
        saved = self.saved
        state = "unsaved changes" if self.dirty else "saved"
        self.query_one("#title", Static).update(
            f"{self.kind.label} template · {saved.sender.tenant_name} ({self.slug})"
            f" · version {saved.version} · {state}"
        )

    # The live preview

    # The bodies call refresh_preview themselves (see BodyEditor.post_message).
    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(TabbedContent.TabActivated, "#bodies")
    def draft_changed(self) -> None:
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Check and render the draft and show the result, synchronously.

        Rendering a default template takes well under a millisecond, so the
        preview follows each keystroke without a debounce; the benchmark in
        `bench/preview_bench.py` keeps that true.
        """
        if self.saved is None:
            return
        draft = self.draft()
        check = check_draft(draft, self.context, self._parser)
        self.check = check
        part = "html" if self._active_body() is self.html_body else "text"
        self.preview.show(
            build_preview(check, self.saved.sender.effective, self.context, part)
        )
        self._show_problems(check)
        self.dirty = draft != self._saved_draft
        self.has_errors = bool(check.problems)

    def _show_problems(self, check: DraftCheck) -> None:
        reply_error = self.query_one("#reply-to-error", Static)
        reply_error.update(
            f"✗ Reply-To is invalid: {check.reply_to_error}"
            if check.reply_to_error
            else ""
        )
        reply_error.display = check.reply_to_error is not None
        self.reply_to_input.set_class(check.reply_to_error is not None, "-invalid")
        subject_invalid = check.subject_error is not None or any(
            error.field == "subject" for error in check.result.errors
        )
        self.subject_input.set_class(subject_invalid, "-invalid")

        errors = self.query_one("#errors", Static)
        render_problems = [p for p in check.problems if not p.startswith("Reply-To")]
        errors.update("\n".join(f"✗ {problem}" for problem in render_problems))
        errors.display = bool(render_problems)
        self.text_body.error_line = check.error_line("text_body")
        self.html_body.error_line = check.error_line("html_body")

    def watch_dirty(self) -> None:
        self._show_title()

    def watch_has_errors(self) -> None:
        self.refresh_bindings()

    def _active_body(self) -> BodyEditor:
        bodies = self.query_one("#bodies", TabbedContent)
        return self.html_body if bodies.active == "html-tab" else self.text_body

    # Saving

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go_to_error":
            return self.has_errors
        return True

    def action_save(self, leave: bool = False) -> None:
        """Save the draft unless it cannot render or its Reply-To is invalid."""
        if self.saved is None or self.check is None:
            return
        problems = self.check.problems
        if problems:
            self.notify(
                f"Not saved: {problems[0]}.",
                title="Cannot save",
                severity="error",
            )
            return
        if not self.dirty:
            self.notify("Nothing to save: the template is unchanged.")
            if leave:
                self.dismiss(EditorResult(self.kind, self.saved.version))
            return
        self.save(self.draft(), self.saved.version, leave)

    def _edit(self, draft: Draft) -> TemplateEdit:
        assert self.check is not None and self.check.reply_to is not None
        return TemplateEdit(
            subject=draft.subject,
            text_body=draft.text_body,
            html_body=draft.html_body,
            reply_to=self.check.reply_to,
            enabled=draft.enabled,
        )

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save(self, draft: Draft, base_version: int, leave: bool = False) -> None:
        """Save the draft if the template is still at `base_version`."""
        database = self.app.database.get()
        platform = self.app.settings.platform
        try:
            save_template(
                database,
                self.slug,
                self.kind,
                self._edit(draft),
                self.app.user,
                base_version=base_version,
            )
        except Conflict as error:
            theirs = read_template(database, self.slug, self.kind, platform)
            self.post_message(self.ConflictFound(theirs, error.message))
            return
        saved = read_template(database, self.slug, self.kind, platform)
        self.post_message(self.Saved(saved, leave))

    @on(Saved)
    def after_save(self, event: Saved) -> None:
        self.saved = event.template
        self._saved_draft = self.draft()
        self.dirty = False
        self._show_title()
        self.notify(
            f"Saved the {self.kind.label.lower()} template as version "
            f"{event.template.version}.",
            title="Saved",
        )
        if event.leave:
            self.dismiss(EditorResult(self.kind, event.template.version))

    @on(ConflictFound)
    def show_conflict(self, event: ConflictFound) -> None:
        assert self.saved is not None
        modal = ConflictModal(
            kind=self.kind,
            base=self.saved,
            theirs=event.theirs,
            yours=self.draft(),
        )
        self.app.push_screen(
            modal, callback=lambda choice: self._resolve(choice, event.theirs)
        )

    def _resolve(self, choice: ConflictChoice | None, theirs: EditableTemplate) -> None:
        if choice is ConflictChoice.RELOAD:
            self._fill(theirs)
            self.notify(
                f"Loaded version {theirs.version} by {theirs.updated_by}; "
                "your changes were discarded."
            )
        elif choice is ConflictChoice.OVERWRITE:
            self.save(self.draft(), theirs.version)

    def action_test_send(self) -> None:
        """Ask for an address and send the draft there as a test."""
        self._test_sender.start()

    # Moving around

    def action_go_to_error(self) -> None:
        """Move the cursor to the first line a render error points at."""
        for body, tab in ((self.text_body, "text-tab"), (self.html_body, "html-tab")):
            if body.error_line is not None:
                self.query_one("#bodies", TabbedContent).active = tab
                body.go_to_line(body.error_line)
                return
        if self.check is not None and self.check.reply_to_error:
            self.reply_to_input.focus()
        else:
            self.subject_input.focus()

    def action_toggle_side(self) -> None:
        """Switch the right side between the preview and the variables."""
        side = self.query_one("#side", TabbedContent)
        if side.active == "preview-tab":
            side.active = "variables-tab"
            self.query_one("#variables", VariablesPanel).focus()
        else:
            side.active = "preview-tab"

    def action_toggle_body(self) -> None:
        """Switch between the text body and the HTML body."""
        bodies = self.query_one("#bodies", TabbedContent)
        bodies.active = "html-tab" if bodies.active == "text-tab" else "text-tab"
        self._active_body().focus()

    @on(VariablesPanel.InsertRequested)
    def insert_variable(self, event: VariablesPanel.InsertRequested) -> None:
        body = self._active_body()
        body.insert(event.snippet)
        body.focus()

    def action_back(self) -> None:
        """Leave for the list, asking first when there are unsaved changes."""
        if self.saved is None or not self.dirty:
            self.dismiss(
                EditorResult(self.kind, self.saved.version if self.saved else None)
            )
            return
        self.app.push_screen(
            UnsavedChangesModal(f"the {self.kind.label.lower()} template"),
            callback=self._leave,
        )

    def _leave(self, choice: LeaveChoice | None) -> None:
        if choice is LeaveChoice.SAVE:
            self.action_save(leave=True)
        elif choice is LeaveChoice.DISCARD:
            assert self.saved is not None
            self.dismiss(EditorResult(self.kind, self.saved.version))
