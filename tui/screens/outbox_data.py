"""Reads for the outbox screen: one tenant's messages and one message's detail.

The store's outbox rows are SQLModel objects whose raw bytes are deferred,
so reading an attribute after the session closed may query again or fail.
The workers copy what the screen shows into the frozen dataclasses below, and
the screen never touches an ORM object. The store is imported inside each
function, because this module is imported on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from store.kinds import TemplateKind

if TYPE_CHECKING:
    from store.db import Database

# The values of `store.delivery.tables.OutboxState`, in the order a message
# goes through them. They are repeated here so that this module does not
# import SQLModel, and tests/test_tui_outbox.py checks that the two agree.
STATES = ("queued", "sending", "deferred", "sent", "failed")

# States that `store.delivery.outbox.retry` puts back in the queue.
RETRYABLE_STATES = frozenset({"deferred", "failed"})

# How many messages the screen lists, newest first.
LIST_LIMIT = 100


@dataclass(frozen=True)
class OutboxRow:
    """One outbox message as the list and the detail show it."""

    id: int
    kind: str
    is_test: bool
    state: str
    subject: str
    recipients: tuple[str, ...]
    attempts: int
    last_error: str | None
    reply_code: int | None
    relay_reply: str | None
    next_attempt_at: datetime | None
    message_id: str
    envelope_from: str
    size: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    @property
    def kind_label(self) -> str:
        """The template kind as people read it, such as `Payment reminder`."""
        try:
            return TemplateKind(self.kind).label
        except ValueError:
            return self.kind

    @property
    def to(self) -> str:
        """The recipients, comma-separated."""
        return ", ".join(self.recipients)


@dataclass(frozen=True)
class AttemptRow:
    """One delivery attempt of a message and how it ended."""

    number: int
    started_at: datetime
    outcome: str
    reply_code: int | None
    detail: str


@dataclass(frozen=True)
class MessageDetail:
    """A message with its header fields and every attempt, first one first."""

    row: OutboxRow
    headers: list[tuple[str, str]]
    attempts: list[AttemptRow]


def read_outbox(db: Database, slug: str, state: str | None = None) -> list[OutboxRow]:
    """Read the newest messages of tenant `slug`, in `state` when given.

    Raises `NotFound` for an unknown tenant.
    """
    from store.delivery.outbox import list_outbox

    entries = list_outbox(db, tenant=slug, state=state, limit=LIST_LIMIT)
    return [_row(entry.message) for entry in entries]


def read_message(db: Database, outbox_id: int) -> MessageDetail:
    """Read one message, its decoded header fields and its attempts.

    Raises `NotFound` when the message no longer exists.
    """
    from store.delivery.outbox import get_attempts, get_message, message_headers

    message = get_message(db, outbox_id).message
    attempts = [
        AttemptRow(
            number=attempt.number,
            started_at=attempt.started_at,
            outcome=attempt.outcome,
            reply_code=attempt.reply_code,
            detail=attempt.detail,
        )
        for attempt in get_attempts(db, outbox_id)
    ]
    return MessageDetail(_row(message), message_headers(message.raw), attempts)


def _row(message: Any) -> OutboxRow:
    return OutboxRow(
        id=message.id,
        kind=message.kind,
        is_test=message.is_test,
        state=message.state,
        subject=message.subject,
        recipients=tuple(message.recipients),
        attempts=message.attempts,
        last_error=message.last_error,
        reply_code=message.reply_code,
        relay_reply=message.relay_reply,
        next_attempt_at=message.next_attempt_at,
        message_id=message.message_id,
        envelope_from=message.envelope_from,
        size=message.size,
        created_by=message.created_by,
        created_at=message.created_at,
        updated_at=message.updated_at,
        sent_at=message.sent_at,
    )
