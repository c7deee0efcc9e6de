"""Requesting, cancelling, showing and tracing a tenant's custom sender.

These functions are synchronous and each opens short sessions on the
`Database`; the checks against DNS live in `store.sender.verify`.
Only the tenant's primary user may request or cancel a custom sender, and
every refusal is written to the audit log before the error is raised.
"""

import secrets

from sqlmodel import Session, col, select

from store import audit
from store.db import Database
from store.errors import Conflict, InvalidInput, PermissionDenied
from store.models import SenderIdentity, Tenant, utc_now
from store.sender.domains import CustomAddress, parse_custom_address, to_unicode
from store.sender.effective import effective_sender
from store.sender.keys import DkimKeyPair, generate_dkim_key
from store.sender.records import RecordSpec, records_for
from store.sender.results import RecordResult
from store.sender.states import DEFAULT, FAILED, PENDING_DNS
from store.sender.tables import SenderCheckRun, SenderRecordCheck, SenderTransition
from store.sender.views import HistoryEntry, RecordRow, SenderView
from store.settings import PlatformSettings, Settings
from store.tenants import get_tenant

# Bytes of randomness in an ownership token (32 URL-safe characters).
TOKEN_BYTES = 24

REQUESTABLE_STATES = (DEFAULT, FAILED)


def is_primary_user(tenant: Tenant, actor: str) -> bool:
    """Return whether `actor` is the tenant's primary user (case-insensitive)."""
    return actor.strip().casefold() == tenant.primary_user.casefold()


def get_identity(session: Session, tenant: Tenant) -> SenderIdentity:
    """Return the tenant's sender identity, adding a default one if it has none."""
    identity = session.exec(
        select(SenderIdentity).where(SenderIdentity.tenant_id == tenant.id)
    ).first()
    if identity is None:
        assert tenant.id is not None
        identity = SenderIdentity(tenant_id=tenant.id)
        session.add(identity)
    return identity


def request_sender(
    db: Database, settings: Settings, slug: str, address: str, actor: str
) -> SenderView:
    """Request a custom From address: issue its token and DKIM key, await DNS."""
    _require_primary_user(db, slug, actor, "sender.request_denied", address)
    custom = parse_custom_address(address, settings.platform)
    key = generate_dkim_key()
    token = secrets.token_urlsafe(TOKEN_BYTES)

    with db.write() as session:
        tenant = get_tenant(session, slug)
        identity = get_identity(session, tenant)
        if identity.state not in REQUESTABLE_STATES:
            raise Conflict(
                f"tenant {slug} already has the custom address "
                f"{identity.requested_address} in state {identity.state}; cancel it "
                f"first with `mailroom sender cancel --tenant {slug}`"
            )
        before = identity.state
        _apply_request(identity, custom, token, key, settings.platform, actor)
        session.add(identity)
        _record_transition(
            session, tenant, identity, before, actor, "sender.request", None
        )
    return show_sender(db, settings, slug)


def _apply_request(
    identity: SenderIdentity,
    custom: CustomAddress,
    token: str,
    key: DkimKeyPair,
    platform: PlatformSettings,
    actor: str,
) -> None:
    now = utc_now()
    identity.state = PENDING_DNS
    identity.state_reason = "records issued; waiting for them to be published"
    identity.state_changed_at = now
    identity.requested_address = custom.address
    identity.domain = custom.domain
    identity.requested_by = actor
    identity.requested_at = now
    identity.ownership_token = token
    # The selector is fixed at request time: the key is published under it.
    identity.dkim_selector = platform.dkim_selector
    identity.dkim_public_key = key.public_key
    identity.dkim_private_key = key.private_pem
    identity.last_checked_at = None
    identity.last_check_run_id = None


def cancel_sender(
    db: Database, settings: Settings, slug: str, actor: str
) -> SenderView:
    """Cancel the custom From address: back to the platform's, keys discarded."""
    _require_primary_user(db, slug, actor, "sender.cancel_denied", "")
    with db.write() as session:
        tenant = get_tenant(session, slug)
        identity = get_identity(session, tenant)
        if identity.state == DEFAULT:
            raise InvalidInput(
                f"tenant {slug} has no custom From address to cancel; "
                "mail already goes from the platform's address"
            )
        before = identity.state
        address = identity.requested_address
        _clear_request(identity, f"cancelled by {actor}")
        session.add(identity)
        _record_transition(
            session, tenant, identity, before, actor, "sender.cancel", address
        )
    return show_sender(db, settings, slug)


def _clear_request(identity: SenderIdentity, reason: str) -> None:
    identity.state = DEFAULT
    identity.state_reason = reason
    identity.state_changed_at = utc_now()
    identity.requested_address = None
    identity.domain = None
    identity.requested_by = None
    identity.requested_at = None
    identity.ownership_token = None
    identity.dkim_selector = None
    identity.dkim_public_key = None
    identity.dkim_private_key = None
    identity.last_checked_at = None
    identity.last_check_run_id = None


def _record_transition(
    session: Session,
    tenant: Tenant,
    identity: SenderIdentity,
    before: str,
    actor: str,
    action: str,
    old_address: str | None,
) -> None:
    assert tenant.id is not None
    address = identity.requested_address or old_address
    session.add(
        SenderTransition(
            tenant_id=tenant.id,
            address=address,
            from_state=before,
            to_state=identity.state,
            reason=identity.state_reason,
            actor=actor,
        )
    )
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action=action,
        target=(address or "")[:200],
        before={"state": before, "address": old_address},
        after={"state": identity.state, "address": identity.requested_address},
    )


def _require_primary_user(
    db: Database, slug: str, actor: str, denied_action: str, address: str
) -> None:
    """Raise `PermissionDenied` unless `actor` is the primary user; audit a refusal."""
    with db.read() as session:
        tenant = get_tenant(session, slug)
    if is_primary_user(tenant, actor):
        return
    with db.write() as session:
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action=denied_action,
            target=address[:200],
            after={"reason": "not the primary user"},
        )
    verb = "request" if denied_action == "sender.request_denied" else "cancel"
    raise PermissionDenied(
        f"only the primary user of tenant {slug} ({tenant.primary_user}) may "
        f"{verb} a custom From address; {actor} is not that user"
    )


def show_sender(db: Database, settings: Settings, slug: str) -> SenderView:
    """Return the From address in use, the custom address, its state and records."""
    with db.read() as session:
        tenant = get_tenant(session, slug)
        identity = get_identity(session, tenant)
        latest = _latest_results(session, identity.last_check_run_id)

    rows: tuple[RecordRow, ...] = ()
    if identity.state != DEFAULT:
        specs = records_for(identity, settings.platform)
        rows = tuple(_row(spec, latest.get(spec.purpose)) for spec in specs)
    return SenderView(
        tenant=tenant.slug,
        tenant_name=tenant.name,
        state=identity.state,
        state_reason=identity.state_reason,
        state_changed_at=identity.state_changed_at,
        effective=effective_sender(tenant, identity, settings.platform),
        address=identity.requested_address,
        ascii_address=_ascii_address(identity),
        domain=identity.domain,
        domain_unicode=to_unicode(identity.domain) if identity.domain else None,
        requested_by=identity.requested_by,
        requested_at=identity.requested_at,
        last_checked_at=identity.last_checked_at,
        records=rows,
    )


def sender_records(db: Database, settings: Settings, slug: str) -> list[RecordSpec]:
    """Return the records the tenant must publish, or raise if none were issued."""
    with db.read() as session:
        tenant = get_tenant(session, slug)
        identity = get_identity(session, tenant)
    return records_for(identity, settings.platform)


def _ascii_address(identity: SenderIdentity) -> str | None:
    if identity.requested_address is None or identity.domain is None:
        return None
    local_part = identity.requested_address.rpartition("@")[0]
    return f"{local_part}@{identity.domain}"


def _latest_results(
    session: Session, run_id: str | None
) -> dict[str, SenderRecordCheck]:
    if run_id is None:
        return {}
    rows = session.exec(
        select(SenderRecordCheck).where(SenderRecordCheck.run_id == run_id)
    )
    return {row.purpose: row for row in rows}


def _row(
    spec: RecordSpec, result: SenderRecordCheck | RecordResult | None
) -> RecordRow:
    if result is None:
        return RecordRow(spec=spec)
    return RecordRow(
        spec=spec,
        status=result.status,
        message=result.message,
        found=tuple(result.found),
        found_name=result.found_name,
        server=result.server,
        ttl=result.ttl,
        checked_at=result.checked_at,
    )


def sender_history(db: Database, slug: str, limit: int = 100) -> list[HistoryEntry]:
    """Return the sender's check runs and transitions, newest first."""
    with db.read() as session:
        tenant = get_tenant(session, slug)
        transitions = session.exec(
            select(SenderTransition)
            .where(SenderTransition.tenant_id == tenant.id)
            .order_by(
                col(SenderTransition.created_at).desc(), col(SenderTransition.id).desc()
            )
            .limit(limit)
        ).all()
        runs = session.exec(
            select(SenderCheckRun)
            .where(SenderCheckRun.tenant_id == tenant.id)
            .order_by(col(SenderCheckRun.started_at).desc())
            .limit(limit)
        ).all()
        # A run's transitions are stamped when it finishes, after it started,
        # and transitions with equal times keep their insertion (id) order.
        keyed = [
            ((row.created_at, 1, row.id or 0), _transition_entry(row))
            for row in transitions
        ]
        keyed += [((run.started_at, 0, 0), _run_entry(session, run)) for run in runs]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in keyed[:limit]]


def _transition_entry(row: SenderTransition) -> HistoryEntry:
    return HistoryEntry(
        time=row.created_at,
        kind="transition",
        actor=row.actor,
        summary=f"{row.from_state} -> {row.to_state}: {row.reason}",
        details={
            "from_state": row.from_state,
            "to_state": row.to_state,
            "reason": row.reason,
            "address": row.address,
            "run_id": row.run_id,
        },
    )


def _run_entry(session: Session, run: SenderCheckRun) -> HistoryEntry:
    checks = session.exec(
        select(SenderRecordCheck)
        .where(SenderRecordCheck.run_id == run.id)
        .order_by(col(SenderRecordCheck.id))
    ).all()
    return HistoryEntry(
        time=run.started_at,
        kind="check",
        actor=run.actor,
        summary=run.summary,
        details={
            "run_id": run.id,
            "address": run.address,
            "state_before": run.state_before,
            "state_after": run.state_after,
            "self_test": run.self_test,
            "records": [
                {
                    "purpose": check.purpose,
                    "name": check.name,
                    "status": check.status,
                    "found": check.found,
                    "message": check.message,
                    "server": check.server,
                    "ttl": check.ttl,
                }
                for check in checks
            ],
        },
    )
