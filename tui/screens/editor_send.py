"""Test send from the editor: the draft as it is now, to one address, at once.

The send runs in a thread worker with its own event loop, not in an async
worker on the app's loop. `send_test` and the delivery engine read and write
the database on the loop that runs them, and a write may wait up to
`store.db.BUSY_TIMEOUT_SECONDS` (30 s) for another process's write lock,
which would freeze the screen. The delivery modules are imported in that
thread too, so that the aiosmtplib and DKIM imports never hold up a frame.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual.notifications import SeverityLevel
from textual.worker import Worker

from store.addresses import Mailbox, normalise_address
from store.errors import InvalidInput, MailroomError
from store.kinds import TemplateKind
from tui.modals.test_send import TestSendModal
from tui.screens.tenant_data import format_utc

if TYPE_CHECKING:
    from store.delivery.service import DeliveryResult
    from tui.screens.editor import EditorScreen

# Seconds a result stays on screen: a failure carries a relay's reply or a
# setting to fix, which takes longer to read than Textual's default 5 s.
SUCCESS_SECONDS = 6.0
FAILURE_SECONDS = 15.0


@dataclass(frozen=True)
class DraftToSend:
    """The draft's fields as typed and the one recipient of a test send."""

    slug: str
    kind: TemplateKind
    to: str
    subject: str
    text_body: str
    html_body: str | None
    reply_to: list[Mailbox]


@dataclass(frozen=True)
class Notice:
    """A notification to show: its sentence, title, severity and seconds shown."""

    message: str
    title: str
    severity: SeverityLevel
    timeout: float


def default_recipient(user: str) -> str:
    """Return the acting user's address when it is one, else an empty string."""
    try:
        return normalise_address(user)
    except InvalidInput:
        return ""


def describe_result(request: DraftToSend, result: DeliveryResult) -> Notice:
    """Write what became of a test send as one notification."""
    label = request.kind.label.lower()
    to = request.to
    if result.accepted:
        return Notice(
            f"Test {label} sent to {to}: the relay accepted it "
            f"({result.reply_code or 250}).",
            "Test sent",
            "information",
            SUCCESS_SECONDS,
        )

    if result.state == "sending":
        return Notice(
            f"Test {label} to {to}: the relay has not answered yet. The outbox "
            "shows how the attempt ends.",
            "Test send pending",
            "warning",
            FAILURE_SECONDS,
        )
    reason = (result.detail or "the relay gave no reason").rstrip(".")
    code = result.reply_code
    if code is not None and str(code) not in reason:
        reason += f" (reply code {code})"
    if result.state == "deferred":
        retry = ""
        if result.next_attempt_at is not None:
            when = format_utc(result.next_attempt_at)
            retry = f". The outbox tries again from {when}"
        return Notice(
            f"Test {label} to {to} not sent yet: {reason}{retry}.",
            "Test send deferred",
            "warning",
            FAILURE_SECONDS,
        )
    return Notice(
        f"Test {label} to {to} not sent: {reason}.",
        "Test send failed",
        "error",
        FAILURE_SECONDS,
    )


def describe_error(request: DraftToSend, error: MailroomError) -> Notice:
    """Write why a test send was rejected before it reached the relay."""
    return Notice(
        f"Test {request.kind.label.lower()} to {request.to} not sent: "
        f"{error.message.rstrip('.')}.",
        "Test send failed",
        "error",
        FAILURE_SECONDS,
    )


def send_draft(request: DraftToSend, editor: EditorScreen) -> Notice:
    """Send the test and describe the outcome. Runs in a worker thread."""
    from store.delivery.service import send_test

    app = editor.app
    try:
        result = asyncio.run(
            send_test(
                app.database.get(),
                app.settings,
                request.slug,
                request.kind,
                request.to,
                request.subject,
                request.text_body,
                request.html_body,
                request.reply_to,
                actor=app.user,
            )
        )
    except MailroomError as error:
        return describe_error(request, error)
    return describe_result(request, result)


class DraftTestSender:
    """The test send of one editor: the recipient modal, the send, the result."""

    def __init__(self, editor: EditorScreen) -> None:
        self.editor = editor
        self.worker: Worker[None] | None = None

    def start(self) -> None:
        """Open the recipient modal, unless the draft cannot be sent."""
        editor = self.editor
        if editor.saved is None:
            editor.notify("The template is still loading.", severity="warning")
            return
        if not self._draft_sendable():
            return
        if self.worker is not None and not self.worker.is_finished:
            editor.notify(
                "A test send is still running. Wait for its result.",
                severity="warning",
            )
            return

        sender = editor.saved.sender.effective
        description = (
            f"Sends the {editor.kind.label.lower()} template as it is now, unsaved "
            "changes included, rendered with sample data, from "
            f"{sender.display_name} <{sender.address}>. The outbox marks it as "
            "a test."
        )
        modal = TestSendModal(description, default_recipient(editor.app.user))
        editor.app.push_screen(modal, callback=self._confirmed)

    def _draft_sendable(self) -> bool:
        check = self.editor.check
        if check is None:
            return False
        if check.problems:
            self.editor.notify(
                f"Not sent: {check.problems[0]}.",
                title="Cannot send a test",
                severity="error",
            )
            return False
        return True

    def _confirmed(self, address: str | None) -> None:
        editor = self.editor
        if address is None or not self._draft_sendable():
            return
        assert editor.check is not None and editor.check.reply_to is not None
        draft = editor.draft()
        request = DraftToSend(
            slug=editor.slug,
            kind=editor.kind,
            to=address,
            subject=draft.subject,
            text_body=draft.text_body,
            html_body=draft.html_body or None,
            reply_to=editor.check.reply_to,
        )
        editor.notify(f"Sending the test to {address}…", timeout=3)
        self.worker = editor.run_worker(
            partial(self._send, request),
            name="test_send",
            group="test-send",
            description=f"Test send to {address}",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _send(self, request: DraftToSend) -> None:
        notice = send_draft(request, self.editor)
        self.editor.app.call_from_thread(self._report, notice)

    def _report(self, notice: Notice) -> None:
        self.editor.app.notify(
            notice.message,
            title=notice.title,
            severity=notice.severity,
            timeout=notice.timeout,
        )
