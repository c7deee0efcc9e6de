"""The editor's draft: checked and rendered on every edit, turned into a preview.

Nothing here touches the database or the screen, so it runs on the UI thread
at each keystroke: rendering a default template takes well under a
millisecond (see `bench/preview_bench.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from store.addresses import Mailbox, format_mailbox, has_line_break, parse_reply_to
from store.errors import InvalidInput
from store.render import RenderError, RenderResult, render_message
from store.sender.effective import EffectiveSender
from tui.widgets.preview import PreviewContent, PreviewHeader

FIELD_LABELS = {
    "subject": "Subject",
    "text_body": "Text body",
    "html_body": "HTML body",
}


@dataclass(frozen=True)
class Draft:
    """The editor's fields as typed."""

    subject: str
    reply_to: str
    text_body: str
    html_body: str
    enabled: bool


@dataclass(frozen=True)
class DraftCheck:
    """A draft's Reply-To parsed and its template rendered with sample data."""

    reply_to: list[Mailbox] | None
    reply_to_error: str | None
    subject_error: str | None
    result: RenderResult

    @property
    def problems(self) -> list[str]:
        """Why the draft cannot be saved, one sentence each; empty if it can."""
        problems = [describe_error(error) for error in self.result.errors]
        if self.subject_error:
            problems.insert(0, self.subject_error)
        if self.reply_to_error:
            problems.insert(0, f"Reply-To is invalid: {self.reply_to_error}")
        return problems

    def error_line(self, field: str) -> int | None:
        """Return the line of the first render error in `field`, if it has one."""
        for error in self.result.errors:
            if error.field == field and error.line:
                return error.line
        return None


def describe_error(error: RenderError) -> str:
    """Write a render error as the editor shows it, with its field and line."""
    field = FIELD_LABELS.get(error.field, error.field)
    where = f" line {error.line}" if error.line else ""
    return f"{field}{where}: {error.message}"


class ReplyToParser:
    """Parses Reply-To text, remembering the last result.

    Every keystroke in a body re-checks the whole draft, and validating
    addresses is the slowest part of that, so an unchanged Reply-To is not
    parsed again.
    """

    def __init__(self) -> None:
        self._text: str | None = None
        self._answer: tuple[list[Mailbox] | None, str | None] = (None, None)

    def parse(self, text: str) -> tuple[list[Mailbox] | None, str | None]:
        """Return the mailboxes and no error, or no mailboxes and the error."""
        if text != self._text:
            try:
                self._answer = (parse_reply_to(text), None)
            except InvalidInput as error:
                self._answer = (None, error.message)
            self._text = text
        return self._answer


def check_draft(
    draft: Draft, context: dict[str, Any], parser: ReplyToParser
) -> DraftCheck:
    """Parse the draft's Reply-To and render it against `context`."""
    reply_to, reply_to_error = parser.parse(draft.reply_to)
    subject_error = None
    if has_line_break(draft.subject):
        subject_error = "Subject contains a line break; a subject is one line"
    result = render_message(
        draft.subject, draft.text_body, draft.html_body or None, context
    )
    return DraftCheck(reply_to, reply_to_error, subject_error, result)


def build_preview(
    check: DraftCheck,
    sender: EffectiveSender,
    context: dict[str, Any],
    part: str,
) -> PreviewContent:
    """Lay out the message as the customer gets it, with `part` as its body."""
    result = check.result
    headers = [
        PreviewHeader(
            "From",
            f"{sender.display_name} <{sender.address}>",
            "company address" if sender.is_custom else "platform address",
        ),
        _reply_to_header(check, sender),
        PreviewHeader("To", _counterparty(context)),
        PreviewHeader("Subject", _subject(check)),
    ]
    field, label = (
        ("html_body", "HTML part") if part == "html" else ("text_body", "Text part")
    )
    body = result.html_body if part == "html" else result.text_body
    if check.error_line(field) is not None or any(
        error.field == field for error in result.errors
    ):
        label = f"The {label.lower()} does not render; fix the errors above."
    elif body is None:
        label = "No HTML part: the message is sent as plain text."
    return PreviewContent(
        headers, label, body or "", [describe_error(e) for e in result.errors]
    )


def _subject(check: DraftCheck) -> str:
    subject = check.result.subject
    if check.subject_error or subject is None:
        return "(does not render)"
    return subject


def _reply_to_header(check: DraftCheck, sender: EffectiveSender) -> PreviewHeader:
    if check.reply_to_error:
        return PreviewHeader(
            "Reply-To", f"invalid: {check.reply_to_error}", problem=True
        )
    if not check.reply_to:
        return PreviewHeader(
            "Reply-To", "none", f"replies go to the From address {sender.address}"
        )
    return PreviewHeader(
        "Reply-To", ", ".join(format_mailbox(box) for box in check.reply_to)
    )


def _counterparty(context: dict[str, Any]) -> str:
    party = context.get("counterparty")
    # The person the message is addressed to, else the company itself.
    name = _field(party, "contact_name") or _field(party, "name")
    email = _field(party, "email")
    if name and email:
        return f"{name} <{email}>"
    return str(email or name or "the document's counterparty")


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)
