"""Checking a sender's records against live DNS, all records concurrently.

Each record is looked up at the zone's authoritative servers and at the
configured resolver. The authoritative answer decides the status, since it
shows a change as soon as it is published; when those servers cannot be
reached, the resolver's answer is used. Only when neither answers is the
status `lookup_error`, which never counts as `missing`.
"""

import asyncio
from dataclasses import dataclass, replace

from store.dns.answers import RECORDS, Answer
from store.dns.dmarc import is_dmarc_record
from store.dns.lookup import DnsLookup
from store.dns.spf import MAX_LOOKUPS, SpfRecord, is_spf_record, parse_spf
from store.dns.tags import RecordSyntaxError
from store.models import utc_now
from store.sender.domains import public_suffixes
from store.sender.nearby import matches, near_miss_names, wrong_place_message
from store.sender.records import BOUNCE, DKIM, DMARC, OWNERSHIP, SPF, RecordSpec
from store.sender.results import (
    LOOKUP_ERROR,
    MISSING,
    OK,
    WRONG_PLACE,
    WRONG_VALUE,
    RecordResult,
    Verdict,
)
from store.sender.verdicts import (
    bounce_verdict,
    dkim_verdict,
    dmarc_verdict,
    judge_dmarc_record,
    ownership_verdict,
)


@dataclass(frozen=True)
class CheckContext:
    """The expected values that the checks of one sender compare against."""

    domain: str
    public_key: str
    # The envelope sender's domain: the bounce label under the From domain.
    envelope_domain: str


async def check_records(
    lookup: DnsLookup, records: list[RecordSpec], context: CheckContext
) -> list[RecordResult]:
    """Check every record concurrently and return the results in order."""
    return list(
        await asyncio.gather(
            *(check_record(lookup, record, context) for record in records)
        )
    )


async def check_record(
    lookup: DnsLookup, spec: RecordSpec, context: CheckContext
) -> RecordResult:
    """Check one record, looking at near-miss names when it is missing."""
    authoritative, recursive = await lookup.both(spec.name, spec.rtype)
    answers: tuple[Answer, ...] = (authoritative, recursive)
    chosen = recursive if authoritative.failed else authoritative
    if chosen.failed:
        return _result(spec, _lookup_error(authoritative, recursive), chosen, answers)

    verdict = await _judge(lookup, spec, chosen, context)
    if verdict.status == MISSING and spec.purpose != SPF:
        verdict, extra = await _look_elsewhere(lookup, spec, context, verdict)
        answers += extra
    if verdict.status == OK and chosen is authoritative:
        verdict = _with_cache_note(verdict, authoritative, recursive)
    return _result(spec, verdict, chosen, answers)


def _result(
    spec: RecordSpec, verdict: Verdict, chosen: Answer, answers: tuple[Answer, ...]
) -> RecordResult:
    return RecordResult(
        purpose=spec.purpose,
        rtype=spec.rtype,
        name=spec.name,
        expected=spec.value,
        required=spec.required,
        status=verdict.status,
        message=verdict.message,
        checked_at=utc_now(),
        found=verdict.found,
        found_name=verdict.found_name,
        server=f"{chosen.server} ({chosen.role})" if chosen.server else "",
        ttl=chosen.ttl,
        answers=answers,
    )


def _lookup_error(authoritative: Answer, recursive: Answer) -> Verdict:
    return Verdict(
        LOOKUP_ERROR,
        f"The lookup failed, which says nothing about the record: "
        f"{authoritative.error}; the resolver: {recursive.error}.",
    )


async def _judge(
    lookup: DnsLookup, spec: RecordSpec, answer: Answer, context: CheckContext
) -> Verdict:
    if spec.purpose == OWNERSHIP:
        return ownership_verdict(spec, answer)
    if spec.purpose == DKIM:
        return dkim_verdict(spec, answer, context.public_key)
    if spec.purpose == BOUNCE:
        return bounce_verdict(spec, answer)
    if spec.purpose == DMARC:
        return dmarc_verdict(spec, answer, context.envelope_domain, context.domain)
    return await spf_verdict(lookup, answer, context)


def _with_cache_note(
    verdict: Verdict, authoritative: Answer, recursive: Answer
) -> Verdict:
    if recursive.failed or set(recursive.values) == set(authoritative.values):
        return verdict
    seconds = f"{recursive.ttl} s" if recursive.ttl is not None else "its TTL"
    note = (
        f"{verdict.message.rstrip('.')}; the resolver {recursive.server} still "
        f"returns an older answer, which receivers may see for up to {seconds}."
    )
    return replace(verdict, message=note)


async def _look_elsewhere(
    lookup: DnsLookup, spec: RecordSpec, context: CheckContext, verdict: Verdict
) -> tuple[Verdict, tuple[Answer, ...]]:
    """Look for a missing record at near-miss names and, for DMARC, the parent."""
    misses = near_miss_names(spec, context.domain)
    answers = list(
        await asyncio.gather(
            *(_best_answer(lookup, miss.name, spec.rtype) for miss in misses)
        )
    )
    if spec.purpose == DMARC:
        inherited = await _inherited_dmarc(lookup, context)
        if inherited is not None:
            return inherited

    for miss, answer in zip(misses, answers, strict=True):
        if matches(spec, answer, context.public_key):
            message = wrong_place_message(spec, miss, context.domain)
            found = Verdict(WRONG_PLACE, message, answer.values, miss.name)
            return found, tuple(answers)
    return verdict, ()


async def _best_answer(lookup: DnsLookup, name: str, rtype: str) -> Answer:
    answer = await lookup.authoritative(name, rtype)
    if answer.failed:
        return await lookup.recursive(name, rtype)
    return answer


async def _inherited_dmarc(
    lookup: DnsLookup, context: CheckContext
) -> tuple[Verdict, tuple[Answer, ...]] | None:
    """Return the verdict on the organisational domain's DMARC record, if any.

    Receivers fall back to `_dmarc.<organisational domain>` when a subdomain
    has no record (RFC 7489 section 6.6.3), so such a record also counts.
    """
    organisational = public_suffixes().privatesuffix(context.domain)
    if organisational is None or organisational == context.domain:
        return None
    name = f"_dmarc.{organisational}"
    answer = await _best_answer(lookup, name, "TXT")
    if answer.outcome != RECORDS:
        return None
    records = [value for value in answer.values if is_dmarc_record(value)]
    if len(records) != 1:
        return None
    verdict = judge_dmarc_record(
        records[0], answer.values, context.envelope_domain, context.domain
    )
    if verdict.status != OK:
        return None
    message = (
        f"No record at _dmarc.{context.domain}, but the DMARC record of "
        f"{organisational} applies to it: {verdict.message}"
    )
    return replace(verdict, message=message, found_name=name), (answer,)


async def spf_verdict(
    lookup: DnsLookup, answer: Answer, context: CheckContext
) -> Verdict:
    """Judge the SPF record at the apex; none is required, so this is advice."""
    values = answer.values if answer.outcome == RECORDS else ()
    records = [value for value in values if is_spf_record(value)]
    if not records:
        return Verdict(
            MISSING,
            f"No SPF record at {context.domain}; none is required because mail "
            f"goes out with an envelope sender at {context.envelope_domain}, but "
            "one ending in ~all or -all protects the company's other mail.",
            values,
        )
    if len(records) > 1:
        return Verdict(
            WRONG_VALUE,
            f"{len(records)} SPF records at {context.domain}; receivers treat that "
            "as a permanent error (RFC 7208 section 4.5), so merge them into one.",
            values,
        )
    try:
        record = parse_spf(records[0])
    except RecordSyntaxError as error:
        return Verdict(WRONG_VALUE, f"The SPF record is invalid: {error}.", values)
    return await _judge_spf(lookup, record, context, tuple(records))


async def _judge_spf(
    lookup: DnsLookup, record: SpfRecord, context: CheckContext, found: tuple[str, ...]
) -> Verdict:
    if record.all_qualifier == "+":
        return Verdict(
            WRONG_VALUE,
            f"The SPF record ends in +all, which lets any server send as "
            f"{context.domain}; end it with ~all or -all.",
            found,
        )
    count = await count_spf_lookups(lookup, record)
    if count > MAX_LOOKUPS:
        return Verdict(
            WRONG_VALUE,
            f"The SPF record needs {count} DNS lookups, more than the "
            f"{MAX_LOOKUPS} receivers allow (RFC 7208 section 4.6.4); "
            "remove or flatten includes.",
            found,
        )
    if record.all_qualifier is None and record.redirect is None:
        return Verdict(
            OK,
            "The SPF record has no all mechanism, so other servers get a neutral "
            "result; end it with ~all or -all.",
            found,
        )
    return Verdict(
        OK,
        f"The SPF record is valid and needs {count} of {MAX_LOOKUPS} DNS lookups.",
        found,
    )


async def count_spf_lookups(lookup: DnsLookup, record: SpfRecord) -> int:
    """Count the DNS lookups an SPF check costs, following includes and redirects.

    Stops once the count passes the limit. Includes that cannot be looked up
    add nothing, so the count is a lower bound when some of them fail.
    """
    total = record.lookup_count()
    pending = list(record.nested_domains())
    seen: set[str] = set()
    while pending and total <= MAX_LOOKUPS:
        domains = [domain.lower() for domain in pending if domain.lower() not in seen]
        seen.update(domains)
        answers = await asyncio.gather(
            *(lookup.recursive(domain, "TXT") for domain in domains)
        )
        pending = []
        for answer in answers:
            nested = _first_spf(answer)
            if nested is not None:
                total += nested.lookup_count()
                pending.extend(nested.nested_domains())
    return total


def _first_spf(answer: Answer) -> SpfRecord | None:
    for value in answer.values:
        if is_spf_record(value):
            try:
                return parse_spf(value)
            except RecordSyntaxError:
                return None
    return None
