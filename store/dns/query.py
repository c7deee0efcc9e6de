"""Non-recursive queries to a zone's authoritative servers.

Each query goes over UDP and falls back to TCP when the answer is truncated.
Servers are tried in turn, for `retries + 1` rounds, within the lifetime.
A timeout, SERVFAIL, REFUSED or an answer without the AA flag moves on to
the next server. Authoritative servers are asked on the configured DNS port,
which is 53 in production; tests run their servers on another port.
"""

import asyncio

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from store.dns.answers import LookupFailed
from store.settings import DnsSettings

# EDNS payload size recommended by DNS Flag Day 2020: large enough for a
# DKIM key, small enough to avoid IP fragmentation.
EDNS_PAYLOAD = 1232


def make_query(
    qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> dns.message.Message:
    """Build a query with recursion off, as a resolver sends to a zone's server."""
    query = dns.message.make_query(qname, rdtype, use_edns=0, payload=EDNS_PAYLOAD)
    query.flags &= ~dns.flags.RD
    return query


async def ask_authoritative(
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    zone: dns.name.Name,
    addresses: list[str],
    settings: DnsSettings,
) -> tuple[dns.message.Message, str]:
    """Return the first authoritative response from the servers of `zone`.

    A referral to a child zone counts as a response too, and `delegated_zone`
    distinguishes it from an answer. Raises `LookupFailed` with every
    server's failure when none responded.
    """
    failures: list[str] = []
    try:
        async with asyncio.timeout(settings.lifetime):
            for _ in range(settings.retries + 1):
                for address in addresses:
                    response = await _ask_one(
                        qname, rdtype, zone, address, settings, failures
                    )
                    if response is not None:
                        return response, f"{address}#{settings.port}"
    except TimeoutError:
        failures.append(f"no answer within the {settings.lifetime:g} s lifetime")
    name = qname.to_text(omit_final_dot=True)
    raise LookupFailed(
        f"{dns.rdatatype.to_text(rdtype)} lookup of {name} failed: "
        + "; ".join(_dedupe(failures))
    )


async def _ask_one(
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    zone: dns.name.Name,
    address: str,
    settings: DnsSettings,
    failures: list[str],
) -> dns.message.Message | None:
    server = f"{address}#{settings.port}"
    query = make_query(qname, rdtype)
    try:
        response, _ = await dns.asyncquery.udp_with_fallback(
            query, address, timeout=settings.timeout, port=settings.port
        )
    except dns.exception.Timeout:
        failures.append(f"{server} timed out after {settings.timeout:g} s")
        return None
    except OSError as error:
        failures.append(f"{server} unreachable: {error.strerror or error}")
        return None
    except dns.exception.DNSException as error:
        failures.append(f"{server} sent an invalid response: {error}")
        return None

    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        failures.append(f"{server} answered {dns.rcode.to_text(rcode)}")
        return None
    if (
        not response.flags & dns.flags.AA
        and delegated_zone(response, qname, zone) is None
    ):
        failures.append(
            f"{server} is not authoritative for {zone.to_text(omit_final_dot=True)}"
        )
        return None
    return response


def delegated_zone(
    response: dns.message.Message, qname: dns.name.Name, zone: dns.name.Name
) -> dns.name.Name | None:
    """Return the child zone a referral delegates `qname` to, or None.

    A referral has no AA flag and no answer, and carries NS records in its
    authority section for a zone below `zone` that contains `qname`.
    """
    if response.flags & dns.flags.AA or response.answer:
        return None
    for rrset in response.authority:
        if (
            rrset.rdtype == dns.rdatatype.NS
            and rrset.name != zone
            and rrset.name.is_subdomain(zone)
            and qname.is_subdomain(rrset.name)
        ):
            return rrset.name
    return None


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
