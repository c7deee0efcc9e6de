"""Sender verification against Knot DNS on loopback, records changed by RFC 2136.

Knot serves as both the configured resolver and, through the glue record of
ns1.example.test, the zones' authoritative server. Each test uses its own
subdomain, so tests share one Knot process without seeing each other's records.
"""

from datetime import timedelta

import pytest
from sqlmodel import select

from store.db import Database
from store.dns.dkim_record import dkim_record_value
from store.dns.txt import split_txt
from store.models import AuditEvent, SenderIdentity
from store.sender.keys import generate_dkim_key
from store.sender.records import (
    BOUNCE,
    DKIM,
    DMARC,
    OWNERSHIP,
    SPF,
    RecordSpec,
)
from store.sender.service import request_sender, sender_history, show_sender
from store.sender.states import ACTIVE, DEGRADED, FAILED, PENDING_DNS, VERIFIED
from store.sender.tables import SenderRecordCheck
from store.sender.verify import VerificationReport, verify_sender
from store.settings import Settings
from tests.factories import OWNER, make_tenant
from tests.peers.knot import KnotServer

pytestmark = pytest.mark.knot

REQUIRED = (OWNERSHIP, DKIM, BOUNCE, DMARC)


@pytest.fixture
def settings(knot: KnotServer) -> Settings:
    """Settings whose DNS queries all go to the Knot server."""
    return Settings(dns=knot.dns_settings())


@pytest.fixture
def domain(knot: KnotServer) -> str:
    """A subdomain of example.test used by this test alone."""
    return knot.new_domain()


@pytest.fixture
def records(db: Database, settings: Settings, domain: str) -> dict[str, RecordSpec]:
    """Tenant "acme" with info@<domain> requested; its records by purpose."""
    make_tenant(db)
    view = request_sender(db, settings, "acme", f"info@{domain}", OWNER)
    return {row.spec.purpose: row.spec for row in view.records}


async def verify(db: Database, settings: Settings) -> VerificationReport:
    """Verify tenant "acme" as a support engineer would."""
    return await verify_sender(db, settings, "acme", "support@platform.example")


def statuses(report: VerificationReport) -> dict[str, str]:
    """Each record's status by purpose."""
    return {result.purpose: result.status for result in report.results}


def result(report: VerificationReport, purpose: str):
    """The result of one record."""
    return next(item for item in report.results if item.purpose == purpose)


def publish_required(knot: KnotServer, records: dict[str, RecordSpec]) -> None:
    """Publish every required record exactly as issued."""
    for purpose in REQUIRED:
        knot.publish(records[purpose])


# The whole path


async def test_nothing_published_is_all_missing(db, settings, records) -> None:
    report = await verify(db, settings)

    assert statuses(report) == {
        OWNERSHIP: "missing",
        DKIM: "missing",
        BOUNCE: "missing",
        DMARC: "missing",
        SPF: "missing",
    }
    assert report.state_after == PENDING_DNS


async def test_records_published_one_by_one(db, settings, knot, records) -> None:
    for published, purpose in enumerate(REQUIRED[:-1], start=1):
        knot.publish(records[purpose])

        report = await verify(db, settings)

        assert statuses(report)[purpose] == "ok", result(report, purpose).message
        assert report.state_after == PENDING_DNS, f"after {published} records"

    knot.publish(records[DMARC])
    report = await verify(db, settings)

    assert [step.to_state for step in report.steps] == [VERIFIED, ACTIVE]
    assert report.self_test is not None
    assert report.self_test.passed, report.self_test.message


async def test_active_sender_sends_from_custom_address(
    db, settings, knot, records, domain
) -> None:
    publish_required(knot, records)
    await verify(db, settings)

    view = show_sender(db, settings, "acme")

    assert view.state == ACTIVE
    assert view.effective.is_custom
    assert view.effective.address == f"info@{domain}"
    assert view.effective.envelope_from == f"bounces@bounces.{domain}"


async def test_dkim_key_is_served_as_split_strings(db, settings, knot, records) -> None:
    knot.publish(records[DKIM])

    report = await verify(db, settings)

    dkim = result(report, DKIM)
    assert dkim.status == "ok"
    assert len(dkim.answers[0].records[0].strings) == len(records[DKIM].strings)
    assert len(records[DKIM].strings) > 1


async def test_result_keeps_server_ttl_and_both_answers(
    db, settings, knot, records
) -> None:
    knot.publish(records[OWNERSHIP])

    ownership = result(await verify(db, settings), OWNERSHIP)

    assert ownership.server == f"127.0.0.1#{knot.port} (authoritative)"
    assert ownership.ttl == 60
    assert [answer.role for answer in ownership.answers] == [
        "authoritative",
        "recursive",
    ]
    assert ownership.found == (records[OWNERSHIP].value,)


async def test_removed_record_degrades_sender(db, settings, knot, records) -> None:
    publish_required(knot, records)
    await verify(db, settings)
    knot.delete(records[DKIM].name, "TXT")

    report = await verify(db, settings)
    view = show_sender(db, settings, "acme")

    assert report.state_after == DEGRADED
    assert "dkim missing" in report.steps[0].reason
    assert view.effective.address == settings.platform.default_from
    assert not view.effective.is_custom


async def test_restored_record_reactivates_sender(db, settings, knot, records) -> None:
    publish_required(knot, records)
    await verify(db, settings)
    knot.delete(records[BOUNCE].name, "CNAME")
    await verify(db, settings)
    knot.publish(records[BOUNCE])

    report = await verify(db, settings)

    assert [step.to_state for step in report.steps] == [ACTIVE]
    assert show_sender(db, settings, "acme").effective.is_custom


async def test_pending_too_long_fails(db, settings, records) -> None:
    with db.write() as session:
        identity = session.exec(select(SenderIdentity)).one()
        identity.state_changed_at -= timedelta(hours=73)
        session.add(identity)

    report = await verify(db, settings)

    assert report.state_after == FAILED
    assert "72 hours" in report.steps[0].reason


async def test_checks_and_transitions_are_stored_and_audited(
    db, settings, knot, records
) -> None:
    publish_required(knot, records)
    report = await verify(db, settings)

    with db.read() as session:
        stored = session.exec(
            select(SenderRecordCheck).where(SenderRecordCheck.run_id == report.run_id)
        ).all()
        actions = [event.action for event in session.exec(select(AuditEvent))]
    history = sender_history(db, "acme")

    assert len(stored) == 5
    assert actions.count("sender.check") == 1
    assert actions.count("sender.transition") == 2
    assert [entry.kind for entry in history[:3]] == [
        "transition",
        "transition",
        "check",
    ]


# Wrong values and wrong places


async def test_wrong_ownership_value(db, settings, knot, records) -> None:
    knot.add_txt(records[OWNERSHIP].name, "mailroom-verify=someone-elses-token")

    ownership = result(await verify(db, settings), OWNERSHIP)

    assert ownership.status == "wrong_value"
    assert ownership.found == ("mailroom-verify=someone-elses-token",)
    assert "holds this sender's token" in ownership.message


async def test_dmarc_with_domain_appended_twice(db, settings, knot, records, domain):
    doubled = f"_dmarc.{domain}.{domain}"
    knot.add_txt(doubled, "v=DMARC1; p=none;")

    dmarc = result(await verify(db, settings), DMARC)

    assert dmarc.status == "wrong_place"
    assert dmarc.found_name == doubled
    assert "enter the name as _dmarc only" in dmarc.message


async def test_ownership_token_at_apex(db, settings, knot, records, domain) -> None:
    knot.add_txt(domain, records[OWNERSHIP].value)

    ownership = result(await verify(db, settings), OWNERSHIP)

    assert ownership.status == "wrong_place"
    assert ownership.found_name == domain


async def test_dkim_key_split_over_two_records(db, settings, knot, records) -> None:
    value = records[DKIM].value
    knot.add_txt(records[DKIM].name, value[:250])
    knot.add_txt(records[DKIM].name, value[250:])

    dkim = result(await verify(db, settings), DKIM)

    assert dkim.status == "wrong_place"
    assert dkim.found_name == records[DKIM].name
    assert "split over 2 separate TXT records" in dkim.message


async def test_dkim_key_of_another_sender(db, settings, knot, records) -> None:
    other = dkim_record_value(generate_dkim_key().public_key)
    knot.add_txt(records[DKIM].name, *split_txt(other))

    dkim = result(await verify(db, settings), DKIM)

    assert dkim.status == "wrong_value"


async def test_two_dmarc_records(db, settings, knot, records) -> None:
    knot.add_txt(records[DMARC].name, "v=DMARC1; p=none;")
    knot.add_txt(records[DMARC].name, "v=DMARC1; p=reject;")

    dmarc = result(await verify(db, settings), DMARC)

    assert dmarc.status == "wrong_value"
    assert "2 DMARC records" in dmarc.message


async def test_dmarc_syntax_error(db, settings, knot, records) -> None:
    knot.add_txt(records[DMARC].name, "v=DMARC1; p=rejct;")

    dmarc = result(await verify(db, settings), DMARC)

    assert dmarc.status == "wrong_value"
    assert "p=rejct is not valid" in dmarc.message


async def test_dmarc_strict_spf_alignment_is_advice(db, settings, knot, records):
    knot.add_txt(records[DMARC].name, "v=DMARC1; p=reject; aspf=s")

    dmarc = result(await verify(db, settings), DMARC)

    assert dmarc.status == "ok"
    assert "aspf=s" in dmarc.message


async def test_bounce_cname_to_wrong_host(db, settings, knot, records) -> None:
    knot.add(records[BOUNCE].name, "CNAME", "bounces.elsewhere.example.")

    bounce = result(await verify(db, settings), BOUNCE)

    assert bounce.status == "wrong_value"
    assert "bounces.elsewhere.example." in bounce.message


async def test_bounce_name_with_other_record_type(db, settings, knot, records):
    knot.add(records[BOUNCE].name, "A", "192.0.2.7")

    bounce = result(await verify(db, settings), BOUNCE)

    assert bounce.status == "missing"
    assert "exists but has no CNAME record" in bounce.message


async def test_organisational_dmarc_covers_subdomain(db, settings, knot) -> None:
    make_tenant(db)
    domain = knot.new_domain("xn--mller-kva.test")
    request_sender(db, settings, "acme", f"info@{domain}", OWNER)
    knot.add_txt("_dmarc.xn--mller-kva.test", "v=DMARC1; p=quarantine;")
    try:
        dmarc = result(await verify(db, settings), DMARC)
    finally:
        knot.delete("_dmarc.xn--mller-kva.test")

    assert dmarc.status == "ok"
    assert dmarc.found_name == "_dmarc.xn--mller-kva.test"


# SPF advice


async def test_spf_with_plus_all(db, settings, knot, records, domain) -> None:
    knot.add_txt(domain, "v=spf1 +all")

    spf = result(await verify(db, settings), SPF)

    assert spf.status == "wrong_value"
    assert "+all" in spf.message


async def test_spf_several_records(db, settings, knot, records, domain) -> None:
    knot.add_txt(domain, "v=spf1 -all")
    knot.add_txt(domain, "v=spf1 mx -all")

    spf = result(await verify(db, settings), SPF)

    assert spf.status == "wrong_value"
    assert "2 SPF records" in spf.message


async def test_spf_too_many_lookups(db, settings, knot, records, domain) -> None:
    includes = " ".join(f"include:spf{number}.{domain}" for number in range(6))
    knot.add_txt(domain, f"v=spf1 {includes} -all")
    for number in range(6):
        knot.add_txt(f"spf{number}.{domain}", "v=spf1 a mx -all")

    spf = result(await verify(db, settings), SPF)

    assert spf.status == "wrong_value"
    assert "18 DNS lookups" in spf.message


async def test_spf_without_all_gets_advice(db, settings, knot, records, domain):
    knot.add_txt(domain, "v=spf1 mx")

    spf = result(await verify(db, settings), SPF)

    assert spf.status == "ok"
    assert "no all mechanism" in spf.message


async def test_bad_spf_never_blocks_activation(db, settings, knot, records, domain):
    publish_required(knot, records)
    knot.add_txt(domain, "v=spf1 +all")

    report = await verify(db, settings)

    assert report.state_after == ACTIVE


# IDN


async def test_idn_domain_end_to_end(db, settings, knot) -> None:
    make_tenant(db)
    ascii_domain = knot.new_domain("xn--mller-kva.test")
    label = ascii_domain.split(".")[0]
    view = request_sender(db, settings, "acme", f"post@{label}.müller.test", OWNER)
    for row in view.records:
        if row.spec.required:
            knot.publish(row.spec)

    report = await verify(db, settings)
    shown = show_sender(db, settings, "acme")

    assert view.domain == ascii_domain
    assert view.domain_unicode == f"{label}.müller.test"
    assert report.state_after == ACTIVE, [r.message for r in report.results]
    assert shown.effective.address == f"post@{label}.müller.test"
    assert shown.effective.envelope_from == f"bounces@bounces.{ascii_domain}"


# DKIM self-test


async def test_self_test_failure_stops_at_verified(db, settings, knot, records):
    publish_required(knot, records)
    with db.write() as session:
        identity = session.exec(select(SenderIdentity)).one()
        identity.dkim_private_key = generate_dkim_key().private_pem
        session.add(identity)

    report = await verify(db, settings)
    view = show_sender(db, settings, "acme")

    assert report.state_after == VERIFIED
    assert report.self_test is not None
    assert not report.self_test.passed
    assert "does not verify" in report.self_test.message
    assert "DKIM self-test failed" in view.state_reason
    assert not view.effective.is_custom
