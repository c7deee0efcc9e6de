"""Custom senders with fixed keys, tokens, times and check results, for the
terminal app's snapshot tests.

A request issues a random ownership token and a new RSA key, and a check
stamps the current time and the answering server's port, so none of them
can appear in a snapshot as the store makes them. `fix_request_secrets`
makes the request issue a fixed key (tests/data/snapshot_dkim_key.pem, made
for these tests and used nowhere else) and a fixed token. `store_check`
stores a check run through the store's own verdicts, state plan and writer,
with the DNS answers given here in place of live lookups.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text
from sqlmodel import Session

from store.db import Database
from store.dns.answers import AUTHORITATIVE, NXDOMAIN, RECORDS, Answer, Record
from store.dns.txt import split_txt
from store.sender import service
from store.sender.checks import spf_verdict
from store.sender.keys import DkimKeyPair
from store.sender.records import BOUNCE, DKIM, DMARC, OWNERSHIP, SPF, RecordSpec
from store.sender.results import RecordResult, Verdict
from store.sender.selftest import SelfTestResult
from store.sender.states import plan_steps, wants_self_test
from store.sender.verdicts import (
    bounce_verdict,
    dkim_verdict,
    dmarc_verdict,
    ownership_verdict,
)
from store.sender.verify import (
    VerificationReport,
    load_snapshot,
    store_report,
    summarize,
)
from store.settings import Settings
from tests.tui_conftest import DEMO_SLUG, DEMO_USER, FIXED_TIME

KEY_FILE = Path(__file__).parent / "data" / "snapshot_dkim_key.pem"
# As long as the tokens `secrets.token_urlsafe(24)` makes.
FIXED_TOKEN = "Sn4pShotT0kenF1xedF0rTests00000A"
# Where the answers given to `store_check` claim to come from (TEST-NET-1).
FIXED_SERVER = "192.0.2.53#53 (authoritative)"
FIXED_TTL = 3600
REQUESTED_AT = FIXED_TIME
CHECKED_AT = FIXED_TIME + timedelta(minutes=20)


def fixed_key() -> DkimKeyPair:
    """Return the test key pair kept in `KEY_FILE`."""
    pem = KEY_FILE.read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    public_der = key.public_key().public_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return DkimKeyPair(
        private_pem=pem, public_key=base64.b64encode(public_der).decode("ascii")
    )


def fix_request_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `request_sender` issue the fixed key and token."""
    monkeypatch.setattr(service, "generate_dkim_key", fixed_key)
    monkeypatch.setattr(
        service, "secrets", SimpleNamespace(token_urlsafe=lambda size: FIXED_TOKEN)
    )


def request_fixed(
    db: Database, settings: Settings, address: str, slug: str = DEMO_SLUG
) -> None:
    """Request `address` as the primary user, then date it `REQUESTED_AT`.

    Call `fix_request_secrets` first, or the key and token are random.
    """
    service.request_sender(db, settings, slug, address, DEMO_USER)
    stamp = _stamp(REQUESTED_AT)
    with db.write() as session:
        tenant_id = _tenant_id(session, slug)
        session.execute(
            text(
                "UPDATE senderidentity SET state_changed_at = :at, requested_at = :at "
                "WHERE tenant_id = :id"
            ),
            {"at": stamp, "id": tenant_id},
        )
        session.execute(
            text("UPDATE sendertransition SET created_at = :at WHERE tenant_id = :id"),
            {"at": stamp, "id": tenant_id},
        )


def _stamp(moment: datetime) -> str:
    # The store keeps UTC times in SQLite as ISO text without an offset.
    return moment.replace(tzinfo=None).isoformat(sep=" ")


def _tenant_id(session: Session, slug: str) -> int:
    query = text("SELECT id FROM tenant WHERE slug = :slug")
    return int(session.execute(query, {"slug": slug}).scalar_one())


def txt_answer(spec: RecordSpec, *values: str) -> Answer:
    """Return an authoritative answer holding one TXT record per value."""
    records = tuple(Record(text=value, strings=split_txt(value)) for value in values)
    return _answer(spec, records)


def cname_answer(spec: RecordSpec, target: str) -> Answer:
    """Return an authoritative answer holding one CNAME record."""
    return _answer(spec, (Record(text=target),))


def no_answer(spec: RecordSpec) -> Answer:
    """Return an authoritative answer saying the name does not exist."""
    return Answer(
        name=spec.name,
        rdtype=spec.rtype,
        role=AUTHORITATIVE,
        outcome=NXDOMAIN,
        server=FIXED_SERVER.split(" ")[0],
    )


def _answer(spec: RecordSpec, records: tuple[Record, ...]) -> Answer:
    return Answer(
        name=spec.name,
        rdtype=spec.rtype,
        role=AUTHORITATIVE,
        outcome=RECORDS,
        server=FIXED_SERVER.split(" ")[0],
        records=records,
        owner=spec.name,
        ttl=FIXED_TTL,
    )


def published(spec: RecordSpec) -> Answer:
    """Return the answer for a record published exactly as issued."""
    if spec.rtype == "CNAME":
        return cname_answer(spec, spec.value)
    if spec.purpose == SPF:
        return no_answer(spec)
    return txt_answer(spec, spec.value)


def _verdict(spec: RecordSpec, answer: Answer, public_key: str, domain: str) -> Verdict:
    envelope_domain = f"{Settings().platform.bounce_label}.{domain}"
    if spec.purpose == OWNERSHIP:
        return ownership_verdict(spec, answer)
    if spec.purpose == DKIM:
        return dkim_verdict(spec, answer, public_key)
    if spec.purpose == BOUNCE:
        return bounce_verdict(spec, answer)
    if spec.purpose == DMARC:
        return dmarc_verdict(spec, answer, envelope_domain, domain)
    # Without an SPF record there is nothing to look up, so no resolver is needed.
    context = SimpleNamespace(domain=domain, envelope_domain=envelope_domain)
    return asyncio.run(spf_verdict(None, answer, context))  # type: ignore[arg-type]


def store_check(
    db: Database,
    settings: Settings,
    answers: dict[str, Answer],
    slug: str = DEMO_SLUG,
) -> VerificationReport:
    """Judge `answers` (by purpose; absent ones as published) and store the run.

    The DKIM self-test counts as passed whenever the state plan asks for it.
    """
    snapshot = load_snapshot(db, slug)
    specs = service.sender_records(db, settings, slug)
    results = []
    for spec in specs:
        answer = answers.get(spec.purpose) or published(spec)
        verdict = _verdict(spec, answer, snapshot.public_key, snapshot.domain)
        results.append(_result(spec, verdict, answer))

    outcome = summarize(results)
    self_test = None
    if wants_self_test(snapshot.state, outcome):
        self_test = SelfTestResult(passed=True, message="the DKIM self-test passed")
    hours = settings.platform.pending_timeout_hours
    steps = plan_steps(snapshot.state, outcome, True, False, hours)
    report = VerificationReport(
        tenant=slug,
        address=snapshot.address,
        domain=snapshot.domain,
        run_id="0" * 31 + "1",
        state_before=snapshot.state,
        state_after=steps[-1].to_state if steps else snapshot.state,
        steps=tuple(steps),
        results=tuple(results),
        self_test=self_test,
        started_at=CHECKED_AT,
        finished_at=CHECKED_AT,
    )
    store_report(db, snapshot, report, outcome, "support@platform.example")
    return report


def _result(spec: RecordSpec, verdict: Verdict, answer: Answer) -> RecordResult:
    return RecordResult(
        purpose=spec.purpose,
        rtype=spec.rtype,
        name=spec.name,
        expected=spec.value,
        required=spec.required,
        status=verdict.status,
        message=verdict.message,
        checked_at=CHECKED_AT,
        found=verdict.found,
        found_name=verdict.found_name,
        server=FIXED_SERVER,
        ttl=answer.ttl,
        answers=(answer,),
    )
