"""The outbox: storing messages, claiming due ones, recording what happened.

A process claims messages in one write transaction: it sets them to
`sending` with a lease (`lease_until`, `lease_token`) and counts the attempt.
If it dies, the lease runs out and another process claims them again. The
stored bytes go out unchanged, so a message that the relay had already
accepted arrives twice with the same Message-ID. That is the only way to get
a duplicate.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import HeaderParser
from email.policy import default as default_policy
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import defer
from sqlmodel import Session, col

from store import audit
from store.db import Database
from store.delivery.policy import DEFAULT_LEASE_SECONDS
from store.delivery.tables import OutboxAttempt, OutboxMessage, OutboxState
from store.errors import Conflict, InvalidInput, NotFound
from store.models import Tenant, UTCDateTime, format_utc, utc_now
from store.tenants import get_tenant

if TYPE_CHECKING:
    # Only for annotations: compose imports the DKIM code, which is slow to
    # import and not needed to read or claim the outbox.
    from store.delivery.compose import ComposedMessage

_messages = OutboxMessage.__table__  # type: ignore[attr-defined]
_attempts = OutboxAttempt.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this process has claimed for one delivery attempt."""

    id: int
    message_id: str
    envelope_from: str
    recipients: list[str]
    raw: bytes
    smtputf8: bool
    # The number of this attempt, counting from 1.
    attempt: int
    lease_token: str


@dataclass(frozen=True)
class DeliveryOutcome:
    """The result of one attempt, to be written back to the outbox."""

    outbox_id: int
    lease_token: str
    attempt: int
    state: OutboxState
    started_at: datetime
    finished_at: datetime
    detail: str
    reply_code: int | None = None
    relay_reply: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class OutboxEntry:
    """An outbox message with the slug of its tenant, for listings."""

    message: OutboxMessage
    tenant_slug: str


def parse_state(text: str) -> OutboxState:
    """Return the state named by `text`, or raise `InvalidInput`."""
    try:
        return OutboxState(text.strip().lower())
    except ValueError:
        known = ", ".join(state.value for state in OutboxState)
        raise InvalidInput(
            f"unknown outbox state {text!r}; expected one of: {known}"
        ) from None


def enqueue(
    session: Session,
    composed: "ComposedMessage",
    *,
    tenant_id: int,
    kind: str,
    actor: str,
    is_test: bool = False,
) -> OutboxMessage:
    """Add a composed message to the session's transaction, due now."""
    now = utc_now()
    message = OutboxMessage(
        tenant_id=tenant_id,
        kind=kind,
        is_test=is_test,
        state=OutboxState.QUEUED.value,
        subject=composed.subject,
        message_id=composed.message_id,
        envelope_from=composed.envelope_from,
        recipients=list(composed.recipients),
        smtputf8=composed.smtputf8,
        raw=composed.raw,
        size=len(composed.raw),
        next_attempt_at=now,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    return message


def _due_queries(now: datetime, limit: int) -> list[Any]:
    """Build one query per way of being due, each served in order by an index.

    One query with OR would make SQLite sort every due row on each claim,
    which grows with the backlog; these each stop after `limit` rows.
    """
    by_state = _messages.c.state
    waiting = [
        select(_messages.c.id, _messages.c.next_attempt_at)
        .where(by_state == state, _messages.c.next_attempt_at <= now)
        .order_by(_messages.c.next_attempt_at)
        for state in (OutboxState.QUEUED, OutboxState.DEFERRED)
    ]
    abandoned = (
        select(_messages.c.id, _messages.c.lease_until)
        .where(by_state == OutboxState.SENDING, _messages.c.lease_until <= now)
        .order_by(_messages.c.lease_until)
    )
    return [
        # PostgreSQL: concurrent claimers skip each other's rows. SQLite has
        # no row locks; its write transaction serialises claimers.
        query.limit(limit).with_for_update(skip_locked=True)
        for query in [*waiting, abandoned]
    ]


def claim_due(
    db: Database,
    *,
    limit: int,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ids: Sequence[int] | None = None,
) -> list[ClaimedMessage]:
    """Claim up to `limit` due messages (of `ids` only, when given), oldest first.

    Due means queued, deferred with `next_attempt_at` passed, or sending with
    the lease run out. The claim counts as an attempt, so a message that
    crashes its process every time still reaches the maximum attempts.
    """
    now = utc_now()
    token = secrets.token_hex(16)

    with db.write() as session:
        candidates: list[tuple[datetime, int]] = []
        for query in _due_queries(now, limit):
            if ids is not None:
                query = query.where(_messages.c.id.in_(list(ids)))
            candidates.extend((due, row_id) for row_id, due in session.execute(query))
        claimed_ids = [row_id for _, row_id in sorted(candidates)[:limit]]
        if not claimed_ids:
            return []
        session.execute(
            update(_messages)
            .where(_messages.c.id.in_(claimed_ids))
            .values(
                state=OutboxState.SENDING.value,
                lease_until=now + timedelta(seconds=lease_seconds),
                lease_token=token,
                attempts=_messages.c.attempts + 1,
                updated_at=now,
            )
        )
        rows = session.execute(
            select(
                _messages.c.id,
                _messages.c.message_id,
                _messages.c.envelope_from,
                _messages.c.recipients,
                _messages.c.raw,
                _messages.c.smtputf8,
                _messages.c.attempts,
            )
            .where(_messages.c.id.in_(claimed_ids))
            .order_by(_messages.c.id)
        ).all()
    return [
        ClaimedMessage(
            id=row.id,
            message_id=row.message_id,
            envelope_from=row.envelope_from,
            recipients=list(row.recipients),
            raw=row.raw,
            smtputf8=row.smtputf8,
            attempt=row.attempts,
            lease_token=token,
        )
        for row in rows
    ]


def record_outcomes(db: Database, outcomes: Sequence[DeliveryOutcome]) -> None:
    """Write the outcomes of several attempts in one transaction.

    `sent` is written even when the lease has run out meanwhile, since the
    relay did accept the message. `deferred` and `failed` are written only
    while this process still holds the lease; otherwise the process that
    claimed the message since then decides.
    """
    sent = [outcome for outcome in outcomes if outcome.state is OutboxState.SENT]
    unsent = [outcome for outcome in outcomes if outcome.state is not OutboxState.SENT]
    with db.write() as session:
        # One statement per kind of outcome, run with many parameter sets:
        # far cheaper than one compiled statement per message.
        if sent:
            session.execute(_SENT_UPDATE, [_sent_parameters(item) for item in sent])
        if unsent:
            session.execute(
                _UNSENT_UPDATE, [_unsent_parameters(item) for item in unsent]
            )
        if outcomes:
            session.execute(
                insert(_attempts), [_attempt_row(item) for item in outcomes]
            )


_SENT_UPDATE = (
    update(_messages)
    .where(
        _messages.c.id == bindparam("p_id"),
        _messages.c.state != OutboxState.SENT,
    )
    .values(
        state=OutboxState.SENT.value,
        lease_until=None,
        lease_token=None,
        next_attempt_at=None,
        reply_code=bindparam("p_code"),
        relay_reply=bindparam("p_reply"),
        # A recipient refused beside accepted ones is worth keeping; an error
        # from an earlier attempt is not.
        last_error=bindparam("p_error"),
        sent_at=bindparam("p_finished", type_=UTCDateTime()),
        updated_at=bindparam("p_finished", type_=UTCDateTime()),
    )
)

_UNSENT_UPDATE = (
    update(_messages)
    .where(
        _messages.c.id == bindparam("p_id"),
        _messages.c.state == OutboxState.SENDING,
        _messages.c.lease_token == bindparam("p_token"),
    )
    .values(
        state=bindparam("p_state"),
        lease_until=None,
        lease_token=None,
        next_attempt_at=bindparam("p_next", type_=UTCDateTime()),
        reply_code=bindparam("p_code"),
        last_error=bindparam("p_error"),
        updated_at=bindparam("p_finished", type_=UTCDateTime()),
    )
)


def _sent_parameters(outcome: DeliveryOutcome) -> dict[str, Any]:
    return {
        "p_id": outcome.outbox_id,
        "p_code": outcome.reply_code,
        "p_reply": outcome.relay_reply,
        "p_error": outcome.detail or None,
        "p_finished": outcome.finished_at,
    }


def _unsent_parameters(outcome: DeliveryOutcome) -> dict[str, Any]:
    return {
        "p_id": outcome.outbox_id,
        "p_token": outcome.lease_token,
        "p_state": outcome.state.value,
        "p_next": outcome.next_attempt_at,
        "p_code": outcome.reply_code,
        "p_error": outcome.detail,
        "p_finished": outcome.finished_at,
    }


def _attempt_row(outcome: DeliveryOutcome) -> dict[str, Any]:
    return {
        "outbox_id": outcome.outbox_id,
        "number": outcome.attempt,
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "outcome": outcome.state.value,
        "reply_code": outcome.reply_code,
        "detail": outcome.detail,
    }


def release(db: Database, claimed: Sequence[ClaimedMessage]) -> None:
    """Return claimed messages that were never tried to the queue, due now.

    The claim's attempt is taken back, because nothing was sent.
    """
    if not claimed:
        return
    now = utc_now()
    with db.write() as session:
        for message in claimed:
            session.execute(
                update(_messages)
                .where(
                    _messages.c.id == message.id,
                    _messages.c.state == OutboxState.SENDING,
                    _messages.c.lease_token == message.lease_token,
                )
                .values(
                    state=OutboxState.QUEUED.value,
                    lease_until=None,
                    lease_token=None,
                    attempts=_messages.c.attempts - 1,
                    next_attempt_at=now,
                    updated_at=now,
                )
            )


def next_due_at(db: Database) -> datetime | None:
    """Return when the next message falls due, or None if none is waiting."""
    with db.read() as session:
        waiting = session.execute(
            select(func.min(_messages.c.next_attempt_at)).where(
                _messages.c.state.in_([OutboxState.QUEUED, OutboxState.DEFERRED])
            )
        ).scalar()
        leased = session.execute(
            select(func.min(_messages.c.lease_until)).where(
                _messages.c.state == OutboxState.SENDING
            )
        ).scalar()
    moments = [moment for moment in (waiting, leased) if moment is not None]
    return min(moments) if moments else None


def list_outbox(
    db: Database,
    tenant: str | None = None,
    state: OutboxState | str | None = None,
    limit: int = 100,
) -> list[OutboxEntry]:
    """Return outbox messages, newest first, without their raw bytes.

    `tenant` is a slug; a slug that does not exist raises `NotFound`.
    """
    # Typed as Any: SQLModel declares the attribute as a plain value.
    raw_attribute: Any = OutboxMessage.raw
    query = (
        select(OutboxMessage, col(Tenant.slug))
        .join(Tenant, col(Tenant.id) == col(OutboxMessage.tenant_id))
        .options(defer(raw_attribute))
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(col(OutboxMessage.state) == parse_state(str(state)).value)
    with db.read() as session:
        if tenant is not None:
            query = query.where(
                col(OutboxMessage.tenant_id) == get_tenant(session, tenant).id
            )
        rows = session.execute(query).all()
    return [OutboxEntry(message, slug) for message, slug in rows]


def get_message(db: Database, outbox_id: int) -> OutboxEntry:
    """Return one outbox message with its raw bytes, or raise `NotFound`."""
    with db.read() as session:
        row = session.execute(
            select(OutboxMessage, col(Tenant.slug))
            .join(Tenant, col(Tenant.id) == col(OutboxMessage.tenant_id))
            .where(col(OutboxMessage.id) == outbox_id)
        ).first()
    if row is None:
        raise NotFound(
            f"no outbox message {outbox_id}; `mailroom outbox list` shows the ids"
        )
    return OutboxEntry(row[0], row[1])


def get_attempts(db: Database, outbox_id: int) -> list[OutboxAttempt]:
    """Return the attempts of one message, first attempt first."""
    with db.read() as session:
        query = (
            select(OutboxAttempt)
            .where(col(OutboxAttempt.outbox_id) == outbox_id)
            .order_by(col(OutboxAttempt.number), col(OutboxAttempt.id))
        )
        return list(session.execute(query).scalars())


def retry(db: Database, outbox_id: int, actor: str) -> OutboxMessage:
    """Put a deferred or failed message back in the queue, due now.

    The message keeps its attempt count, so this grants one more attempt: a
    message that has used all its attempts fails again on the next temporary
    failure. A sent message, or one another process is sending, is refused.
    """
    now = utc_now()
    with db.write() as session:
        message = session.get(OutboxMessage, outbox_id)
        if message is None:
            raise NotFound(
                f"no outbox message {outbox_id}; `mailroom outbox list` shows the ids"
            )
        _check_retryable(message, now)
        before = {"state": message.state, "next_attempt_at": message.next_attempt_at}
        message.state = OutboxState.QUEUED.value
        message.next_attempt_at = now
        message.lease_until = None
        message.lease_token = None
        message.updated_at = now
        session.add(message)
        audit.record(
            session,
            tenant_id=message.tenant_id,
            actor=actor,
            action="outbox.retry",
            target=str(outbox_id),
            before=_jsonable(before),
            after={"state": message.state},
        )
    return message


def _check_retryable(message: OutboxMessage, now: datetime) -> None:
    if message.state == OutboxState.SENT:
        sent = format_utc(message.sent_at) if message.sent_at else "earlier"
        raise Conflict(
            f"outbox message {message.id} was sent {sent} as "
            f"{message.message_id}; sending it again would deliver a duplicate"
        )
    lease = message.lease_until
    if message.state == OutboxState.SENDING and lease is not None and lease > now:
        raise Conflict(
            f"outbox message {message.id} is being sent by another process until "
            f"{format_utc(lease)}; wait for that attempt to end"
        )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def message_headers(raw: bytes) -> list[tuple[str, str]]:
    """Return the header fields of a stored message, decoded for reading."""
    # Decoded as UTF-8 first: a message written for SMTPUTF8 has UTF-8
    # headers, which the bytes parser would turn into surrogate escapes.
    text = raw.decode("utf-8", errors="replace")
    parsed = HeaderParser(policy=default_policy).parsestr(text)
    return [(name, str(value)) for name, value in parsed.items()]


def message_as_dict(entry: OutboxEntry, *, with_raw: bool = False) -> dict[str, Any]:
    """Return an outbox message's fields for JSON output."""
    message = entry.message
    data: dict[str, Any] = {
        "id": message.id,
        "tenant": entry.tenant_slug,
        "kind": message.kind,
        "is_test": message.is_test,
        "state": message.state,
        "subject": message.subject,
        "message_id": message.message_id,
        "envelope_from": message.envelope_from,
        "recipients": message.recipients,
        "smtputf8": message.smtputf8,
        "size": message.size,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "lease_until": message.lease_until,
        "last_error": message.last_error,
        "reply_code": message.reply_code,
        "relay_reply": message.relay_reply,
        "created_by": message.created_by,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "sent_at": message.sent_at,
    }
    if with_raw:
        data["raw"] = message.raw.decode("utf-8", errors="replace")
    return data


def attempt_as_dict(attempt: OutboxAttempt) -> dict[str, Any]:
    """Return one attempt's fields for JSON output."""
    return {
        "number": attempt.number,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "outcome": attempt.outcome,
        "reply_code": attempt.reply_code,
        "detail": attempt.detail,
    }
