"""Outbox tables: each message with its delivery state, and every attempt.

A message is stored whole (the raw bytes, DKIM signature included) before any
network I/O, so a retry or a resend after a crash sends exactly the same
bytes with the same Message-ID.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from store.models import UTCDateTime, utc_now


class OutboxState(StrEnum):
    """The delivery state of a message.

    queued -> sending -> sent; a temporary failure makes it deferred (due
    again at `next_attempt_at`), a permanent one or too many attempts make it
    failed. A message left in sending by a crashed process is due again when
    its `lease_until` has passed.
    """

    QUEUED = "queued"
    SENDING = "sending"
    DEFERRED = "deferred"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """A composed message waiting for, in, or done with delivery."""

    __table_args__ = (Index("ix_outboxmessage_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
    # A test send from the template editor, rendered from an unsaved template.
    is_test: bool = False
    state: str = Field(default=OutboxState.QUEUED.value, max_length=20)
    subject: str
    # The Message-ID header, angle brackets included.
    message_id: str = Field(max_length=255, index=True)
    envelope_from: str = Field(max_length=320)
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # Whether the relay must offer SMTPUTF8 (a non-ASCII mailbox local part).
    smtputf8: bool = False
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int = 0
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set while a process is sending the message; after it passes, another
    # process may claim the message again.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_token: str | None = Field(default=None, max_length=32)
    last_error: str | None = None
    reply_code: int | None = None
    # The relay's reply to DATA when it accepted the message.
    relay_reply: str | None = None
    created_by: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxAttempt(SQLModel, table=True):
    """One delivery attempt of an outbox message and how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(
        foreign_key="outboxmessage.id", index=True, ondelete="CASCADE"
    )
    number: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime = Field(sa_type=UTCDateTime)
    # sent, deferred or failed: the state the attempt left the message in.
    outcome: str = Field(max_length=20)
    reply_code: int | None = None
    detail: str = ""
