"""Near-miss names: where a record a person meant to publish often ends up.

DNS hosts append the domain to the names people type, so a name entered as
`_dmarc.example.com` lands at `_dmarc.example.com.example.com`. Others put a
record at the apex instead of under its label, or leave out `_domainkey`.
A record found at such a name gets the status `wrong_place`.
"""

from dataclasses import dataclass

from store.dns.answers import RECORDS, Answer
from store.dns.dkim_record import parse_dkim_record, same_public_key
from store.dns.dmarc import is_dmarc_record
from store.dns.tags import RecordSyntaxError
from store.sender.records import BOUNCE, DKIM, DMARC, OWNERSHIP, RecordSpec
from store.sender.verdicts import split_key_matches

DOUBLED = "doubled"
APEX = "apex"
NO_DOMAINKEY = "no_domainkey"


@dataclass(frozen=True)
class NearMiss:
    """A name to look at when a record is missing, and how it went wrong."""

    name: str
    kind: str


def near_miss_names(spec: RecordSpec, domain: str) -> list[NearMiss]:
    """Return the near-miss names of a record, the most likely first."""
    names = [NearMiss(f"{spec.name}.{domain}", DOUBLED)]
    if spec.rtype == "TXT":
        names.append(NearMiss(domain, APEX))
    if spec.purpose == DKIM:
        selector = spec.label.split(".", 1)[0]
        names.append(NearMiss(f"{selector}.{domain}", NO_DOMAINKEY))
    return names


def matches(spec: RecordSpec, answer: Answer, public_key: str) -> bool:
    """Return whether `answer` contains the record `spec` describes."""
    if answer.outcome != RECORDS:
        return False
    values = answer.values
    if spec.purpose == OWNERSHIP:
        token = spec.value.partition("=")[2]
        return any(token in value for value in values)
    if spec.purpose == DKIM:
        return any(_is_key(value, public_key) for value in values) or (
            split_key_matches(values, public_key)
        )
    if spec.purpose == DMARC:
        return any(is_dmarc_record(value) for value in values)
    if spec.purpose == BOUNCE:
        return True
    return False


def _is_key(value: str, public_key: str) -> bool:
    try:
        return same_public_key(parse_dkim_record(value).public_key, public_key)
    except RecordSyntaxError:
        return False


def wrong_place_message(spec: RecordSpec, miss: NearMiss, domain: str) -> str:
    """Return the advice for a record found at a near-miss name."""
    if miss.kind == DOUBLED:
        return (
            f"Found at {miss.name}: the DNS host appends {domain} itself, "
            f"so enter the name as {spec.label} only."
        )
    if miss.kind == APEX:
        return (
            f"Found at the apex {domain} instead of {spec.name}; "
            f"publish it under the name {spec.label}."
        )
    return (
        f"Found at {miss.name}, which lacks the _domainkey label; "
        f"publish it under the name {spec.label}."
    )
