"""Outbox messages with fixed bytes and times, for the terminal app's tests.

Messages composed by the store carry the current date and a random
Message-ID, which snapshots cannot compare, so these are written whole here.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from store.db import Database
from store.delivery.tables import OutboxAttempt, OutboxMessage
from store.tenants import get_tenant
from tests.tui_conftest import DEMO_NAME, DEMO_SLUG, FIXED_TIME

PLATFORM_FROM = "notification-service@platform.example"
ENVELOPE_FROM = "bounces@bounces.platform.example"

REFUSED = "recipient refused: nobody@customer.example: 550 5.1.1 No such user here"
LATER = "SMTP relay 127.0.0.1:25 rejected the message: 451 4.3.0 Try again later"


@dataclass(frozen=True)
class Attempt:
    """One recorded attempt: the state it left the message in, and why."""

    outcome: str
    reply_code: int | None = None
    detail: str = ""


def add_message(
    db: Database,
    number: int,
    state: str,
    *,
    to: str = "buyer@customer.example",
    kind: str = "invoice",
    subject: str = "Invoice INV-2026-0042 from Northwind Trading Ltd",
    attempts: tuple[Attempt, ...] = (),
    is_test: bool = False,
    slug: str = DEMO_SLUG,
) -> int:
    """Store message `number` of the demo tenant in `state` and return its id.

    It was queued `number` minutes after `FIXED_TIME`, and each attempt took
    place one minute after the one before it.
    """
    created = FIXED_TIME + timedelta(minutes=number)
    message_id = f"<test-{number}@platform.example>"
    raw = _raw(to, subject, message_id, created)
    last = attempts[-1] if attempts else None
    updated = created + timedelta(minutes=len(attempts))
    with db.write() as session:
        tenant = get_tenant(session, slug)
        assert tenant.id is not None
        message = OutboxMessage(
            tenant_id=tenant.id,
            kind=kind,
            is_test=is_test,
            state=state,
            subject=subject,
            message_id=message_id,
            envelope_from=ENVELOPE_FROM,
            recipients=[to],
            raw=raw,
            size=len(raw),
            attempts=len(attempts),
            next_attempt_at=_next_attempt(state, created, updated),
            last_error=last.detail if last and state != "sent" else None,
            reply_code=last.reply_code if last else None,
            relay_reply="250 2.0.0 Message accepted" if state == "sent" else None,
            created_by="editor@northwind.example",
            created_at=created,
            updated_at=updated,
            sent_at=updated if state == "sent" else None,
        )
        session.add(message)
        session.flush()
        assert message.id is not None
        for index, attempt in enumerate(attempts, start=1):
            moment = created + timedelta(minutes=index)
            session.add(
                OutboxAttempt(
                    outbox_id=message.id,
                    number=index,
                    started_at=moment,
                    finished_at=moment,
                    outcome=attempt.outcome,
                    reply_code=attempt.reply_code,
                    detail=attempt.detail,
                )
            )
        return message.id


def _next_attempt(state: str, created: datetime, updated: datetime) -> datetime | None:
    if state == "queued":
        return created
    if state == "deferred":
        return updated + timedelta(minutes=30)
    return None


def _raw(to: str, subject: str, message_id: str, created: datetime) -> bytes:
    message = EmailMessage()
    message["From"] = f"{DEMO_NAME} <{PLATFORM_FROM}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 09:30:00 +0000"
    message["Message-ID"] = message_id
    message.set_content(f"Message {message_id}, queued at {created:%H:%M}.\n")
    return message.as_bytes()


def add_three_states(db: Database) -> dict[str, int]:
    """Store one sent, one failed and one deferred message; return their ids."""
    return {
        "sent": add_message(db, 1, "sent", attempts=(Attempt("sent", 250),)),
        "failed": add_message(
            db,
            2,
            "failed",
            to="nobody@customer.example",
            attempts=(Attempt("failed", 550, REFUSED),),
        ),
        "deferred": add_message(
            db,
            3,
            "deferred",
            kind="payment_reminder",
            subject="Reminder: [overdue] INV-2026-0042",
            attempts=(Attempt("deferred", 451, LATER),),
            is_test=True,
        ),
    }
