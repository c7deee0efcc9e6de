"""Verifying a custom sender against live DNS and advancing its state.

`verify_sender` reads the sender in one short session and checks every
record concurrently. When the records allow a step towards `active`, it runs
the DKIM self-test. A second short session then stores the run, each
record's result and each transition with their audit events. No session
stays open while DNS answers are awaited. The read runs on the event loop,
since readers in SQLite's WAL mode do not wait for writers. By default the
write runs in a worker thread, because it may wait up to the database's busy
timeout for another writer while the terminal app must stay responsive.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from store import audit
from store.db import Database
from store.dns.lookup import DnsLookup
from store.errors import Conflict, InvalidInput
from store.models import SenderIdentity, Tenant, utc_now
from store.sender.checks import CheckContext, check_records
from store.sender.records import build_records
from store.sender.results import LOOKUP_ERROR, RecordResult
from store.sender.selftest import SelfTestInput, SelfTestResult, run_self_test
from store.sender.service import get_identity
from store.sender.states import (
    DEFAULT,
    CheckOutcome,
    Step,
    is_timed_out,
    plan_steps,
    wants_self_test,
)
from store.sender.tables import SenderCheckRun, SenderRecordCheck, SenderTransition
from store.settings import Settings
from store.tenants import get_tenant


@dataclass(frozen=True)
class SenderSnapshot:
    """The sender as read before its check, to detect changes made meanwhile."""

    tenant_id: int
    slug: str
    state: str
    state_changed_at: datetime
    address: str
    domain: str
    token: str
    selector: str
    public_key: str
    private_pem: str


@dataclass(frozen=True)
class VerificationReport:
    """The outcome of one verification: every record's result and state changes."""

    tenant: str
    address: str
    domain: str
    run_id: str
    state_before: str
    state_after: str
    steps: tuple[Step, ...]
    results: tuple[RecordResult, ...]
    self_test: SelfTestResult | None
    started_at: datetime
    finished_at: datetime

    @property
    def changed(self) -> bool:
        """Whether the run changed the sender's state."""
        return bool(self.steps)

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "tenant": self.tenant,
            "address": self.address,
            "domain": self.domain,
            "run_id": self.run_id,
            "state_before": self.state_before,
            "state": self.state_after,
            "transitions": [
                {"to_state": step.to_state, "reason": step.reason}
                for step in self.steps
            ],
            "self_test": (
                None
                if self.self_test is None
                else {
                    "passed": self.self_test.passed,
                    "message": self.self_test.message,
                }
            ),
            "records": [result.as_dict() for result in self.results],
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


async def verify_sender(
    db: Database,
    settings: Settings,
    slug: str,
    actor: str,
    *,
    write_in_thread: bool = True,
) -> VerificationReport:
    """Check a tenant's custom sender now and advance its state when it can.

    With `write_in_thread` false, the results are stored on the event loop's
    own thread, which blocks the loop for the write (a few milliseconds, or
    up to the busy timeout while another process writes).
    """
    snapshot = load_snapshot(db, slug)
    started_at = utc_now()
    records = build_records(
        snapshot.domain,
        snapshot.token,
        snapshot.selector,
        snapshot.public_key,
        settings.platform,
    )
    context = CheckContext(
        domain=snapshot.domain,
        public_key=snapshot.public_key,
        envelope_domain=f"{settings.platform.bounce_label}.{snapshot.domain}",
    )
    lookup = DnsLookup(settings.dns, domain=snapshot.domain)
    results = await check_records(lookup, records, context)
    outcome = summarize(results)

    self_test = None
    if wants_self_test(snapshot.state, outcome):
        self_test = await run_self_test(
            settings.dns, _self_test_input(snapshot, settings)
        )

    hours = settings.platform.pending_timeout_hours
    timed_out = is_timed_out(
        snapshot.state, snapshot.state_changed_at, utc_now(), hours
    )
    steps = plan_steps(
        snapshot.state,
        outcome,
        self_test.passed if self_test else None,
        timed_out,
        hours,
    )
    report = VerificationReport(
        tenant=slug,
        address=snapshot.address,
        domain=snapshot.domain,
        run_id=uuid.uuid4().hex,
        state_before=snapshot.state,
        state_after=steps[-1].to_state if steps else snapshot.state,
        steps=tuple(steps),
        results=tuple(results),
        self_test=self_test,
        started_at=started_at,
        finished_at=utc_now(),
    )
    if write_in_thread:
        await asyncio.to_thread(store_report, db, snapshot, report, outcome, actor)
    else:
        store_report(db, snapshot, report, outcome, actor)
    return report


def load_snapshot(db: Database, slug: str) -> SenderSnapshot:
    """Read what a check needs, or raise when the tenant has no custom sender."""
    with db.read() as session:
        tenant = get_tenant(session, slug)
        identity = get_identity(session, tenant)
    if (
        identity.state == DEFAULT
        or identity.requested_address is None
        or identity.domain is None
        or identity.ownership_token is None
        or identity.dkim_selector is None
        or identity.dkim_public_key is None
        or identity.dkim_private_key is None
    ):
        raise InvalidInput(
            f"tenant {slug} has no custom From address to verify; request one with "
            f"`mailroom sender request --tenant {slug} ADDRESS`"
        )
    assert tenant.id is not None
    return SenderSnapshot(
        tenant_id=tenant.id,
        slug=slug,
        state=identity.state,
        state_changed_at=identity.state_changed_at,
        address=identity.requested_address,
        domain=identity.domain,
        token=identity.ownership_token,
        selector=identity.dkim_selector,
        public_key=identity.dkim_public_key,
        private_pem=identity.dkim_private_key,
    )


def _self_test_input(snapshot: SenderSnapshot, settings: Settings) -> SelfTestInput:
    return SelfTestInput(
        address=snapshot.address,
        domain=snapshot.domain,
        selector=snapshot.selector,
        private_pem=snapshot.private_pem,
        recipient=settings.platform.default_from,
    )


def summarize(results: list[RecordResult]) -> CheckOutcome:
    """Return what the results prove about the required records."""
    problems = tuple(
        (result.purpose, result.status)
        for result in results
        if result.required and not result.ok
    )
    return CheckOutcome(
        all_ok=not problems,
        inconclusive=bool(problems)
        and all(status == LOOKUP_ERROR for _, status in problems),
        problems=problems,
    )


def store_report(
    db: Database,
    snapshot: SenderSnapshot,
    report: VerificationReport,
    outcome: CheckOutcome,
    actor: str,
) -> None:
    """Store the run, its results and transitions, and audit them, in one commit.

    NOTE: every run adds a check run, one row per record and an audit event.
    Nothing prunes old runs yet, so a watch every 5 minutes over 1,000
    senders adds about 290,000 check runs a day.
    """
    with db.write() as session:
        identity = _current_identity(session, snapshot)
        session.add(_run_row(report, snapshot.tenant_id, actor))
        session.flush()
        for result in report.results:
            session.add(_result_row(report.run_id, result))
        _apply_steps(session, identity, snapshot, report, actor)
        identity.state_reason = state_reason(report, outcome)
        identity.last_checked_at = report.finished_at
        identity.last_check_run_id = report.run_id
        session.add(identity)
        audit.record(
            session,
            tenant_id=snapshot.tenant_id,
            actor=actor,
            action="sender.check",
            target=snapshot.address[:200],
            before={"state": report.state_before},
            after={
                "state": report.state_after,
                "records": {result.purpose: result.status for result in report.results},
                "self_test": report.self_test.summary() if report.self_test else None,
            },
        )


def _current_identity(session: Session, snapshot: SenderSnapshot) -> SenderIdentity:
    tenant = session.get(Tenant, snapshot.tenant_id)
    if tenant is None:
        raise Conflict(f"tenant {snapshot.slug} was deleted during its sender check")
    identity = get_identity(session, tenant)
    if identity.ownership_token != snapshot.token or identity.state != snapshot.state:
        raise Conflict(
            f"the sender of tenant {snapshot.slug} changed while it was being "
            f"checked (now {identity.state}); nothing was stored, so verify again"
        )
    return identity


def _apply_steps(
    session: Session,
    identity: SenderIdentity,
    snapshot: SenderSnapshot,
    report: VerificationReport,
    actor: str,
) -> None:
    state = snapshot.state
    for step in report.steps:
        session.add(
            SenderTransition(
                tenant_id=snapshot.tenant_id,
                run_id=report.run_id,
                address=snapshot.address,
                from_state=state,
                to_state=step.to_state,
                reason=step.reason,
                actor=actor,
                created_at=report.finished_at,
            )
        )
        audit.record(
            session,
            tenant_id=snapshot.tenant_id,
            actor=actor,
            action="sender.transition",
            target=snapshot.address[:200],
            before={"state": state},
            after={"state": step.to_state, "reason": step.reason},
        )
        state = step.to_state
    if report.steps:
        identity.state = state
        identity.state_changed_at = report.finished_at


def state_reason(report: VerificationReport, outcome: CheckOutcome) -> str:
    """Return the one-sentence reason the sender view shows for the state."""
    if report.steps:
        reason = report.steps[-1].reason
    elif outcome.inconclusive:
        reason = "the last check could not reach DNS; the state is unchanged"
    elif not outcome.all_ok:
        reason = f"waiting for records: {outcome.describe_problems()}"
    else:
        reason = "every required DNS record checks out"
    if report.self_test is not None and not report.self_test.passed:
        reason = f"{reason}; {report.self_test.message}"
    return reason


def _run_row(report: VerificationReport, tenant_id: int, actor: str) -> SenderCheckRun:
    statuses = ", ".join(
        f"{result.purpose} {result.status}" for result in report.results
    )
    return SenderCheckRun(
        id=report.run_id,
        tenant_id=tenant_id,
        address=report.address,
        actor=actor,
        started_at=report.started_at,
        finished_at=report.finished_at,
        state_before=report.state_before,
        state_after=report.state_after,
        self_test=report.self_test.summary()[:500] if report.self_test else None,
        summary=statuses[:300],
    )


def _result_row(run_id: str, result: RecordResult) -> SenderRecordCheck:
    return SenderRecordCheck(
        run_id=run_id,
        purpose=result.purpose,
        rtype=result.rtype,
        name=result.name,
        expected=result.expected,
        required=result.required,
        status=result.status,
        found=list(result.found),
        found_name=result.found_name,
        server=result.server[:200],
        ttl=result.ttl,
        checked_at=result.checked_at,
        message=result.message,
        answers=[answer.as_dict() for answer in result.answers],
    )
