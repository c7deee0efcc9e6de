"""The audit log: who did what to which tenant, when, before and after."""

from typing import Any

from sqlmodel import Session, col, select

from store.models import AuditEvent


def record(
    session: Session,
    *,
    tenant_id: int | None,
    actor: str,
    action: str,
    target: str = "",
    before: Any = None,
    after: Any = None,
    change_id: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session's transaction.

    The event commits or rolls back with the change it describes, so the log
    never claims a change that did not happen.
    """
    event = AuditEvent(
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        change_id=change_id,
    )
    session.add(event)
    return event


def events_for(session: Session, tenant_id: int, limit: int = 200) -> list[AuditEvent]:
    """Return a tenant's most recent audit events, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))
