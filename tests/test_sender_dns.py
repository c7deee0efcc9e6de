"""DnsLookup on fake loopback servers: zone cuts, referrals, CNAMEs, query counts.

Two fake servers share one port on 127.0.0.1 and 127.0.0.2: the first serves
the parent zone fake.test (and answers recursive queries), the second a child
zone delegated from it, so that an authoritative lookup has to follow a
referral the way a resolver does.
"""

import pytest

from store.dns.lookup import DnsLookup
from store.settings import DnsSettings
from tests.peers.fake_dns import FakeDnsServer, ZoneResponder

PARENT = """\
$ORIGIN fake.test.
$TTL 60
@       SOA ns1.fake.test. hostmaster.fake.test. 1 3600 900 604800 60
@       NS  ns1.fake.test.
ns1     A   127.0.0.1
ns2     A   127.0.0.2
_dmarc.shop TXT "v=DMARC1; p=none;"
alias.shop  CNAME target.other.test.
_domainkey.shop NS ns2.fake.test.
"""

CHILD = """\
$ORIGIN _domainkey.shop.fake.test.
$TTL 60
@         SOA ns2.fake.test. hostmaster.fake.test. 1 3600 900 604800 60
@         NS  ns2.fake.test.
mailroom  TXT "v=DKIM1; k=rsa; p=AAAA"
"""

OTHER = """\
$ORIGIN other.test.
$TTL 60
@       SOA ns2.fake.test. hostmaster.fake.test. 1 3600 900 604800 60
@       NS  ns2.fake.test.
target  TXT "followed"
"""


class Zones:
    """Routes each query to the zone that contains its name, most specific first."""

    def __init__(self, *zones: tuple[str, str]) -> None:
        self.responders = sorted(
            (ZoneResponder(text, origin) for text, origin in zones),
            key=lambda responder: len(responder.origin),
            reverse=True,
        )

    def __call__(self, query, transport):
        name = query.question[0].name
        for responder in self.responders:
            if name.is_subdomain(responder.origin):
                return responder(query, transport)
        return self.responders[-1](query, transport)


@pytest.fixture
async def servers():
    """The parent zone's server on 127.0.0.1 and the child's on 127.0.0.2."""
    # The server on 127.0.0.1 is also the resolver, so it serves other.test too.
    resolver = Zones((PARENT, "fake.test"), (OTHER, "other.test"))
    child_servers = Zones((CHILD, "_domainkey.shop.fake.test"), (OTHER, "other.test"))
    async with FakeDnsServer(resolver) as parent:
        async with FakeDnsServer(
            child_servers, port=parent.port, host="127.0.0.2"
        ) as child:
            yield parent, child


def lookup_for(port: int, domain: str | None = "shop.fake.test") -> DnsLookup:
    """A lookup that uses the parent server as its resolver."""
    settings = DnsSettings(
        nameservers=("127.0.0.1",), port=port, timeout=0.5, lifetime=2, retries=1
    )
    return DnsLookup(settings, domain=domain)


async def test_referral_to_child_zone_is_followed(servers) -> None:
    parent, _ = servers

    answer = await lookup_for(parent.port).authoritative(
        "mailroom._domainkey.shop.fake.test", "TXT"
    )

    assert answer.values == ("v=DKIM1; k=rsa; p=AAAA",)
    assert answer.server == f"127.0.0.2#{parent.port}"


async def test_cname_into_other_zone_is_followed(servers) -> None:
    parent, _ = servers

    answer = await lookup_for(parent.port).authoritative("alias.shop.fake.test", "TXT")

    assert answer.values == ("followed",)
    assert answer.cname_chain == ("target.other.test",)
    assert answer.owner == "target.other.test"


async def test_records_of_one_domain_share_zone_search(servers) -> None:
    parent, _ = servers
    lookup = lookup_for(parent.port)

    await lookup.authoritative("_dmarc.shop.fake.test", "TXT")
    await lookup.authoritative("_mailroom-verify.shop.fake.test", "TXT")

    soa_queries = [query for query in parent.queries if query[2] == "SOA"]
    assert soa_queries == [("udp", "shop.fake.test.", "SOA")]


async def test_ipv6_addresses_asked_only_without_ipv4(servers) -> None:
    parent, _ = servers

    await lookup_for(parent.port).authoritative("_dmarc.shop.fake.test", "TXT")

    assert not [query for query in parent.queries if query[2] == "AAAA"]


async def test_same_question_is_asked_once(servers) -> None:
    parent, _ = servers
    lookup = lookup_for(parent.port)

    first = await lookup.recursive("_dmarc.shop.fake.test", "TXT")
    second = await lookup.recursive("_dmarc.shop.fake.test", "TXT")

    assert first == second
    assert parent.queries.count(("udp", "_dmarc.shop.fake.test.", "TXT")) == 1


async def test_name_outside_domain_finds_its_own_zone(servers) -> None:
    parent, _ = servers

    answer = await lookup_for(parent.port, domain=None).authoritative(
        "_dmarc.shop.fake.test", "TXT"
    )

    assert answer.values == ("v=DMARC1; p=none;",)
    assert ("udp", "_dmarc.shop.fake.test.", "SOA") in parent.queries


async def test_nxdomain_keeps_negative_ttl(servers) -> None:
    parent, _ = servers

    answer = await lookup_for(parent.port).authoritative("nope.shop.fake.test", "TXT")

    assert answer.outcome == "nxdomain"
    assert answer.ttl == 60
