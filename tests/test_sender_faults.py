"""DNS faults during verification, played by the fake DNS server on loopback.

Timeouts, SERVFAIL and truncated UDP answers come from `FakeDnsServer`, not
from Knot, because a healthy real server produces none of them on demand.
A lookup that fails says nothing about a record, so it must show as
`lookup_error`, never as `missing`, and must not move a sender's state.
"""

import time

import pytest

from store.db import Database
from store.sender.export import zone_snippet
from store.sender.service import request_sender, sender_records
from store.sender.states import ACTIVE, PENDING_DNS
from store.sender.verify import VerificationReport, verify_sender
from store.settings import DnsSettings, Settings
from tests.factories import OWNER, make_tenant
from tests.peers.fake_dns import (
    TCP,
    FakeDnsServer,
    ZoneResponder,
    failing_names,
    servfail,
    silent,
    truncating,
)

ZONE = "fake.test"
DOMAIN = f"shop.{ZONE}"
ZONE_HEADER = f"""\
$ORIGIN {ZONE}.
$TTL 60
@    SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 900 604800 60
@    NS  ns1.{ZONE}.
ns1  A   127.0.0.1
"""


def settings_for(port: int) -> Settings:
    """Settings that ask the fake server, with short timeouts."""
    return Settings(
        dns=DnsSettings(
            nameservers=("127.0.0.1",), port=port, timeout=0.2, lifetime=0.5, retries=1
        )
    )


@pytest.fixture
async def server():
    """A fake DNS server; tests set its handler once they know the records."""
    async with FakeDnsServer(handler=silent) as fake:
        yield fake


@pytest.fixture
def settings(server: FakeDnsServer) -> Settings:
    """Settings pointing at the fake server."""
    return settings_for(server.port)


@pytest.fixture
def published_zone(db: Database, settings: Settings) -> ZoneResponder:
    """Tenant "acme" with info@shop.fake.test requested, and a zone holding
    every required record as issued."""
    make_tenant(db)
    request_sender(db, settings, "acme", f"info@{DOMAIN}", OWNER)
    required = [
        record for record in sender_records(db, settings, "acme") if record.required
    ]
    return ZoneResponder(ZONE_HEADER + zone_snippet(required), ZONE)


async def verify(db: Database, settings: Settings) -> VerificationReport:
    """Verify tenant "acme"."""
    return await verify_sender(db, settings, "acme", "support@platform.example")


def statuses(report: VerificationReport) -> set[str]:
    """The distinct statuses of a report."""
    return {result.status for result in report.results}


async def test_silent_server_gives_lookup_error(db, settings, published_zone):
    started = time.monotonic()

    report = await verify(db, settings)

    assert statuses(report) == {"lookup_error"}
    assert report.state_after == PENDING_DNS
    assert time.monotonic() - started < 5


async def test_timeout_message_names_the_server(db, settings, server, published_zone):
    report = await verify(db, settings)

    message = report.results[0].message
    assert "says nothing about the record" in message
    assert f"127.0.0.1#{server.port}" in message


async def test_servfail_gives_lookup_error(db, settings, server, published_zone):
    server.handler = servfail

    report = await verify(db, settings)

    assert statuses(report) == {"lookup_error"}
    assert "SERVFAIL" in report.results[0].message


async def test_servfail_on_one_name_blocks_progress(
    db, settings, server, published_zone
) -> None:
    server.handler = failing_names(published_zone, ("_dmarc",), servfail)

    report = await verify(db, settings)
    by_purpose = {result.purpose: result.status for result in report.results}

    assert by_purpose["dmarc"] == "lookup_error"
    assert by_purpose["ownership"] == "ok"
    assert by_purpose["dkim"] == "ok"
    assert report.state_after == PENDING_DNS


async def test_active_sender_survives_timeouts(db, settings, server, published_zone):
    server.handler = published_zone
    first = await verify(db, settings)
    server.handler = silent

    second = await verify(db, settings)

    assert first.state_after == ACTIVE
    assert statuses(second) == {"lookup_error"}
    assert second.state_after == ACTIVE
    assert not second.steps


async def test_truncated_udp_falls_back_to_tcp(db, settings, server, published_zone):
    server.handler = truncating(published_zone)

    report = await verify(db, settings)

    assert report.state_after == ACTIVE, [r.message for r in report.results]
    assert any(transport == TCP for transport, _, _ in server.queries)


async def test_long_dkim_answer_over_plain_udp(db, settings, server, published_zone):
    server.handler = published_zone

    report = await verify(db, settings)

    dkim = next(result for result in report.results if result.purpose == "dkim")
    assert dkim.status == "ok"
