"""The lookups of one check run, asked of both the recursive resolver and
the zone's authoritative servers.

Authoritative answers show a change the moment the customer publishes it,
while the recursive answer is what mail receivers see until caches expire;
checks keep both. To find the authoritative servers, the zone cut is found by
asking for the SOA of the name and walking up to its parents, the zone's NS
names are resolved to addresses, and those servers are asked with recursion
off.

Every (name, type) is asked at most once per `DnsLookup`, and concurrent
callers share the query in flight, so the records of one domain, checked
concurrently, find their common zone and servers with one set of queries.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver

from store.dns.answers import (
    AUTHORITATIVE,
    ERROR,
    RECORDS,
    RECURSIVE,
    Answer,
    LookupFailed,
    answer_from_response,
    failed_answer,
    name_text,
)
from store.dns.query import ask_authoritative, delegated_zone
from store.dns.resolver import make_resolver, resolver_label
from store.settings import DnsSettings

Result = TypeVar("Result")

# How many CNAMEs an authoritative lookup follows into other zones.
MAX_CNAME_HOPS = 8
# How many delegations a lookup follows below the zone it starts in.
MAX_REFERRALS = 4


class DnsLookup:
    """Cached recursive and authoritative lookups for one check run."""

    def __init__(
        self,
        settings: DnsSettings,
        resolver: dns.asyncresolver.Resolver | None = None,
        domain: str | None = None,
    ) -> None:
        self.settings = settings
        self.resolver = resolver or make_resolver(settings)
        # Names under `domain` start their authoritative lookup at the zone of
        # `domain` and follow referrals from there, so the records of one
        # domain need one zone search, not one each.
        self.domain = to_name(domain) if domain else None
        self._tasks: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    def _once(
        self, key: tuple[Any, ...], factory: Callable[[], Awaitable[Result]]
    ) -> asyncio.Future[Result]:
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(factory())
            self._tasks[key] = task
        return task

    async def both(self, name: str, rdtype: str) -> tuple[Answer, Answer]:
        """Return the authoritative and the recursive answer, asked concurrently."""
        authoritative, recursive = await asyncio.gather(
            self.authoritative(name, rdtype), self.recursive(name, rdtype)
        )
        return authoritative, recursive

    async def recursive(self, name: str, rdtype: str) -> Answer:
        """Return the configured resolver's answer for `name` and `rdtype`."""
        answer, _ = await self._resolve(to_name(name), dns.rdatatype.from_text(rdtype))
        return answer

    async def authoritative(self, name: str, rdtype: str) -> Answer:
        """Return the answer of the zone's own servers, following CNAMEs."""
        code = dns.rdatatype.from_text(rdtype)
        answer, alias_target = await self._authoritative(to_name(name), code)
        for _ in range(MAX_CNAME_HOPS):
            if alias_target is None:
                break
            target_answer, alias_target = await self._authoritative(alias_target, code)
            answer = replace(
                target_answer,
                name=answer.name,
                cname_chain=answer.cname_chain + target_answer.cname_chain,
            )
        return answer

    def _authoritative(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> Awaitable[tuple[Answer, dns.name.Name | None]]:
        return self._once(
            ("authoritative", qname, rdtype),
            lambda: self._ask_zone_servers(qname, rdtype),
        )

    async def _ask_zone_servers(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> tuple[Answer, dns.name.Name | None]:
        """Ask the servers of the zone of `qname`.

        Also returns the CNAME target to look up next when the answer ends in
        an alias to another zone, else None.
        """
        start = qname
        if self.domain is not None and qname.is_subdomain(self.domain):
            start = self.domain
        try:
            zone = await self.zone_of(start)
            response, server = await self._follow_referrals(qname, rdtype, zone)
        except LookupFailed as error:
            return failed_answer(qname, rdtype, AUTHORITATIVE, str(error)), None
        return answer_from_response(response, qname, rdtype, AUTHORITATIVE, server)

    async def _follow_referrals(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, zone: dns.name.Name
    ) -> tuple[dns.message.Message, str]:
        """Ask the servers of `zone`, and of each child zone they delegate to."""
        for _ in range(MAX_REFERRALS):
            addresses = await self.zone_servers(zone)
            response, server = await ask_authoritative(
                qname, rdtype, zone, addresses, self.settings
            )
            child = delegated_zone(response, qname, zone)
            if child is None:
                return response, server
            zone = child
        raise LookupFailed(
            f"more than {MAX_REFERRALS} referrals while looking up {name_text(qname)}"
        )

    async def zone_of(self, name: dns.name.Name) -> dns.name.Name:
        """Return the zone that contains `name`, found by walking up SOA queries.

        A negative answer carries its zone's SOA in the authority section,
        so one query is usually enough.
        """
        return await self._once(("zone", name), lambda: self._find_zone(name))

    async def _find_zone(self, name: dns.name.Name) -> dns.name.Name:
        candidate = name
        while True:
            answer, response = await self._resolve(candidate, dns.rdatatype.SOA)
            if answer.outcome == ERROR:
                raise LookupFailed(
                    f"cannot find the zone of {name_text(name)}: {answer.error}"
                )
            if answer.outcome == RECORDS and answer.owner == name_text(candidate):
                return candidate
            enclosing = _enclosing_soa(response, candidate)
            if enclosing is not None:
                return enclosing
            if candidate == dns.name.root:
                raise LookupFailed(f"no zone found above {name_text(name)}")
            candidate = candidate.parent()

    async def zone_servers(self, zone: dns.name.Name) -> list[str]:
        """Return the addresses of the zone's name servers, IPv4 first."""
        return await self._once(("servers", zone), lambda: self._find_servers(zone))

    async def _find_servers(self, zone: dns.name.Name) -> list[str]:
        answer, _ = await self._resolve(zone, dns.rdatatype.NS)
        if answer.outcome != RECORDS:
            reason = answer.error or f"no NS records ({answer.outcome})"
            raise LookupFailed(
                f"cannot find the name servers of {name_text(zone)}: {reason}"
            )

        hosts = [to_name(value) for value in answer.values]
        # IPv6 addresses are looked up only for name servers without IPv4,
        # which saves a query per check for nearly every zone.
        addresses = await self._addresses(hosts, dns.rdatatype.A)
        if not addresses:
            addresses = await self._addresses(hosts, dns.rdatatype.AAAA)
        if not addresses:
            names = ", ".join(answer.values)
            raise LookupFailed(
                f"cannot find an address for the name servers of "
                f"{name_text(zone)} ({names})"
            )
        return list(dict.fromkeys(addresses))

    async def _addresses(
        self, hosts: list[dns.name.Name], rdtype: dns.rdatatype.RdataType
    ) -> list[str]:
        answers = await asyncio.gather(*(self._resolve(host, rdtype) for host in hosts))
        return [
            address
            for answer, _ in answers
            if answer.outcome == RECORDS
            for address in answer.values
        ]

    def _resolve(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> Awaitable[tuple[Answer, dns.message.Message | None]]:
        return self._once(
            ("recursive", qname, rdtype), lambda: self._ask_resolver(qname, rdtype)
        )

    async def _ask_resolver(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> tuple[Answer, dns.message.Message | None]:
        label = resolver_label(self.resolver)
        try:
            result = await self.resolver.resolve(
                qname, rdtype, raise_on_no_answer=False, search=False
            )
        except dns.resolver.NXDOMAIN as error:
            response = _any_response(error)
            if response is None:
                return failed_answer(
                    qname, rdtype, RECURSIVE, "NXDOMAIN without a response"
                ), None
            answer, _ = answer_from_response(response, qname, rdtype, RECURSIVE, label)
            return answer, response
        except dns.resolver.LifetimeTimeout as error:
            seconds = error.kwargs.get("timeout", self.resolver.lifetime)
            reason = f"{label} did not answer within {seconds:.1f} s"
            return failed_answer(qname, rdtype, RECURSIVE, reason), None
        except dns.resolver.NoNameservers as error:
            reason = _servers_failed(error, label)
            return failed_answer(qname, rdtype, RECURSIVE, reason), None
        except dns.exception.DNSException as error:
            return failed_answer(qname, rdtype, RECURSIVE, f"{label}: {error}"), None

        server = f"{result.nameserver}#{result.port}"
        answer, _ = answer_from_response(
            result.response, qname, rdtype, RECURSIVE, server
        )
        return answer, result.response


def to_name(text: str | dns.name.Name) -> dns.name.Name:
    """Parse an absolute domain name, IDN U-labels converted to A-labels."""
    if isinstance(text, dns.name.Name):
        return text
    return dns.name.from_text(text.rstrip(".") + ".")


def _enclosing_soa(
    response: dns.message.Message | None, name: dns.name.Name
) -> dns.name.Name | None:
    if response is None:
        return None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
            return rrset.name
    return None


def _any_response(error: dns.resolver.NXDOMAIN) -> dns.message.Message | None:
    responses = error.responses()
    for response in responses.values():
        return response
    return None


def _servers_failed(error: dns.resolver.NoNameservers, label: str) -> str:
    # dnspython names each server as "Do53:<address>@<port>".
    problems = [
        f"{server.removeprefix('Do53:').replace('@', '#')} answered {problem}"
        for server, *_rest, problem, _response in error.kwargs.get("errors", [])
    ]
    return "; ".join(problems) or f"{label} gave no usable answer"
