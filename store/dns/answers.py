"""DNS answers as plain values: what one server returned for one name and type.

An `Answer` carries no dnspython objects, so check results can store it as
JSON and show it later exactly as it was seen.
"""

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

AUTHORITATIVE = "authoritative"
RECURSIVE = "recursive"

# Outcomes of a lookup.
RECORDS = "records"
NXDOMAIN = "nxdomain"
NODATA = "nodata"
ERROR = "error"


class LookupFailed(Exception):
    """A lookup that got no usable answer: a timeout, SERVFAIL, REFUSED, no server."""


@dataclass(frozen=True)
class Record:
    """One resource record: its value as text and, for TXT, its strings."""

    text: str
    strings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """One server's answer for a name and type, or the reason there is none."""

    name: str
    rdtype: str
    role: str
    outcome: str
    server: str = ""
    records: tuple[Record, ...] = ()
    # The name the records were found at, after following CNAMEs.
    owner: str = ""
    ttl: int | None = None
    error: str = ""
    cname_chain: tuple[str, ...] = field(default=())

    @property
    def failed(self) -> bool:
        """Whether the lookup got no usable answer."""
        return self.outcome == ERROR

    @property
    def values(self) -> tuple[str, ...]:
        """The records' values: TXT strings joined, CNAME targets, addresses."""
        return tuple(record.text for record in self.records)

    def as_dict(self) -> dict[str, Any]:
        """Return the answer as JSON-ready values."""
        data = asdict(self)
        data["records"] = [
            {"text": record.text, "strings": list(record.strings)}
            for record in self.records
        ]
        data["cname_chain"] = list(self.cname_chain)
        return data


def name_text(name: dns.name.Name) -> str:
    """Write a name as Mailroom shows it: A-labels, lowercase, no trailing dot."""
    return name.to_text(omit_final_dot=True).lower()


def record_from_rdata(rdata: Any) -> Record:
    """Convert one rdata: TXT strings decoded and joined with no separator."""
    if rdata.rdtype == dns.rdatatype.TXT:
        strings = tuple(
            chunk.decode("utf-8", errors="replace") for chunk in rdata.strings
        )
        return Record(text="".join(strings), strings=strings)
    if rdata.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS):
        return Record(text=rdata.target.to_text().lower())
    return Record(text=rdata.to_text())


def records_from_rrset(rrset: dns.rrset.RRset) -> tuple[Record, ...]:
    """Convert every record of an RRset, sorted so that answers compare stably."""
    return tuple(sorted((record_from_rdata(rdata) for rdata in rrset), key=repr))


def follow_cnames(
    response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> tuple[dns.name.Name, dns.rrset.RRset | None, list[dns.name.Name]]:
    """Walk the answer section from `qname` through CNAMEs to `rdtype` records.

    Returns the last name reached, its `rdtype` RRset if the response has it,
    and the CNAME targets passed on the way.
    """
    current = qname
    chain: list[dns.name.Name] = []
    for _ in range(16):
        found = _rrset(response, current, rdtype)
        if found is not None or rdtype == dns.rdatatype.CNAME:
            return current, found, chain
        alias = _rrset(response, current, dns.rdatatype.CNAME)
        if alias is None:
            return current, None, chain
        current = alias[0].target
        chain.append(current)
    return current, None, chain


def _rrset(
    response: dns.message.Message, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> dns.rrset.RRset | None:
    for rrset in response.answer:
        if rrset.name == name and rrset.rdtype == rdtype:
            return rrset
    return None


def answer_from_response(
    response: dns.message.Message,
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    role: str,
    server: str,
) -> tuple[Answer, dns.name.Name | None]:
    """Convert a response into an `Answer`.

    Also returns the CNAME target still to be looked up when the response
    ends in an alias whose target it does not include, else None.
    """
    owner, rrset, chain = follow_cnames(response, qname, rdtype)
    answer = Answer(
        name=name_text(qname),
        rdtype=dns.rdatatype.to_text(rdtype),
        role=role,
        outcome=NODATA,
        server=server,
        owner=name_text(owner),
        ttl=negative_ttl(response),
        cname_chain=tuple(name_text(name) for name in chain),
    )
    if rrset is not None:
        records = records_from_rrset(rrset)
        return replace(answer, outcome=RECORDS, records=records, ttl=rrset.ttl), None
    if response.rcode() == dns.rcode.NXDOMAIN:
        return replace(answer, outcome=NXDOMAIN), None
    return answer, (owner if chain else None)


def negative_ttl(response: dns.message.Message) -> int | None:
    """Return how long a resolver may cache this negative answer (RFC 2308)."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, rrset[0].minimum)
    return None


def failed_answer(
    name: dns.name.Name, rdtype: dns.rdatatype.RdataType, role: str, error: str
) -> Answer:
    """Return the answer of a lookup that failed, with the reason."""
    return Answer(
        name=name_text(name),
        rdtype=dns.rdatatype.to_text(rdtype),
        role=role,
        outcome=ERROR,
        error=error,
    )
