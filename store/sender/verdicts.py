"""Pure judgements of one answer against the record a sender should publish.

Each function reads one `Answer` for the record's own name and returns a
`Verdict`. Comparisons follow what a careful person would accept: TXT
strings are joined with no separator, names ignore letter case and a
trailing dot, DKIM keys compare by their tags, and DMARC records are parsed.
"""

from itertools import permutations

from store.dns.answers import RECORDS, Answer
from store.dns.dkim_record import parse_dkim_record, same_public_key
from store.dns.dmarc import alignment_advice, is_dmarc_record, parse_dmarc
from store.dns.tags import RecordSyntaxError
from store.sender.records import RecordSpec
from store.sender.results import MISSING, OK, WRONG_PLACE, WRONG_VALUE, Verdict

# Maximum number of separate TXT records tried in every order to rebuild a key.
MAX_SPLIT_RECORDS = 5


def absent(spec: RecordSpec, answer: Answer) -> Verdict:
    """Return the verdict for a name with no record of the type checked."""
    if answer.outcome == RECORDS:
        raise ValueError("absent() needs a negative answer")
    if answer.outcome == "nodata":
        message = (
            f"{spec.name} exists but has no {spec.rtype} record; "
            f"add the {spec.rtype} record shown."
        )
    else:
        message = f"No {spec.rtype} record at {spec.name}; publish the record shown."
    return Verdict(MISSING, message)


def ownership_verdict(spec: RecordSpec, answer: Answer) -> Verdict:
    """Judge the ownership TXT record: any record there equal to the token."""
    if answer.outcome != RECORDS:
        return absent(spec, answer)
    values = answer.values
    if spec.value in (value.strip() for value in values):
        return Verdict(OK, "The ownership token is published.", values)
    token = spec.value.partition("=")[2]
    if any(token in value for value in values):
        return Verdict(
            WRONG_VALUE,
            f"The TXT record at {spec.name} contains the token but not exactly "
            f"{spec.value!r}; publish the value exactly as shown.",
            values,
        )
    return Verdict(
        WRONG_VALUE,
        f"No TXT record at {spec.name} holds this sender's token; "
        f"add one with the value {spec.value!r}.",
        values,
    )


def dkim_verdict(spec: RecordSpec, answer: Answer, public_key: str) -> Verdict:
    """Judge the DKIM key record by its tags against the issued public key."""
    if answer.outcome != RECORDS:
        return absent(spec, answer)
    values = answer.values
    if len(values) == 1:
        return _single_dkim_verdict(spec, values[0], public_key, values)

    if split_key_matches(values, public_key):
        return Verdict(
            WRONG_PLACE,
            f"The key is split over {len(values)} separate TXT records at "
            f"{spec.name}; replace them with one TXT record made of the strings "
            "shown.",
            values,
            spec.name,
        )
    matching = [value for value in values if _dkim_key_matches(value, public_key)]
    if matching:
        return Verdict(
            WRONG_VALUE,
            f"{len(values)} TXT records at {spec.name} and verifiers may pick "
            "any one; delete all but the key shown.",
            values,
        )
    return Verdict(
        WRONG_VALUE,
        f"None of the {len(values)} TXT records at {spec.name} is the key "
        "Mailroom issued; replace them with the record shown.",
        values,
    )


def _single_dkim_verdict(
    spec: RecordSpec, value: str, public_key: str, values: tuple[str, ...]
) -> Verdict:
    try:
        record = parse_dkim_record(value)
    except RecordSyntaxError as error:
        return Verdict(
            WRONG_VALUE,
            f"The DKIM record at {spec.name} is invalid ({error}); "
            "replace it with the record shown.",
            values,
        )
    if record.key_type != "rsa":
        return Verdict(
            WRONG_VALUE,
            f"The DKIM record has k={record.key_type}, but the issued key is RSA; "
            "replace it with the record shown.",
            values,
        )
    if not record.public_key:
        return Verdict(
            WRONG_VALUE,
            "The DKIM record has an empty p=, which revokes the key; "
            "publish the record shown.",
            values,
        )
    if not same_public_key(record.public_key, public_key):
        return Verdict(
            WRONG_VALUE,
            f"The key at {spec.name} is not the one Mailroom issued; "
            "replace it with the record shown, copied whole.",
            values,
        )
    if "y" in record.flags:
        return Verdict(
            OK,
            "The DKIM key is published; t=y marks it as a test key, which some "
            "receivers treat leniently, so remove t=y when mail flows.",
            values,
        )
    return Verdict(OK, "The DKIM key is published.", values)


def _dkim_key_matches(value: str, public_key: str) -> bool:
    try:
        record = parse_dkim_record(value)
    except RecordSyntaxError:
        return False
    return record.key_type == "rsa" and same_public_key(record.public_key, public_key)


def split_key_matches(values: tuple[str, ...], public_key: str) -> bool:
    """Return whether separate TXT records, joined in some order, form the key.

    DNS does not keep the order of the records in a set, so every order is
    tried, up to `MAX_SPLIT_RECORDS` records.
    """
    if not 1 < len(values) <= MAX_SPLIT_RECORDS:
        return False
    return any(
        _dkim_key_matches("".join(order), public_key) for order in permutations(values)
    )


def bounce_verdict(spec: RecordSpec, answer: Answer) -> Verdict:
    """Judge the bounce CNAME: its target, ignoring case and a trailing dot."""
    if answer.outcome != RECORDS:
        return absent(spec, answer)
    values = answer.values
    expected = spec.value.rstrip(".").lower()
    if any(value.rstrip(".").lower() == expected for value in values):
        return Verdict(OK, "The bounce CNAME points to the platform.", values)
    return Verdict(
        WRONG_VALUE,
        f"{spec.name} points to {', '.join(values)}; point it to {spec.value}.",
        values,
    )


def dmarc_verdict(
    spec: RecordSpec, answer: Answer, envelope_domain: str, from_domain: str
) -> Verdict:
    """Judge the DMARC record: exactly one, valid, with alignment advice."""
    if answer.outcome != RECORDS:
        return absent(spec, answer)
    values = answer.values
    records = [value for value in values if is_dmarc_record(value)]
    if len(records) > 1:
        return Verdict(
            WRONG_VALUE,
            f"{len(records)} DMARC records at {spec.name}; receivers ignore DMARC "
            "when there is more than one, so keep only one.",
            values,
        )
    if not records:
        return _not_dmarc_verdict(spec, values)
    return judge_dmarc_record(records[0], values, envelope_domain, from_domain)


def judge_dmarc_record(
    record_text: str, values: tuple[str, ...], envelope_domain: str, from_domain: str
) -> Verdict:
    """Judge one DMARC record that receivers would use."""
    try:
        record = parse_dmarc(record_text)
    except RecordSyntaxError as error:
        return Verdict(
            WRONG_VALUE,
            f"The DMARC record is invalid: {error}.",
            values,
        )
    advice = alignment_advice(record, envelope_domain, from_domain)
    if advice:
        return Verdict(OK, f"The DMARC record is valid, but {advice}.", values)
    return Verdict(OK, f"The DMARC record is valid (p={record.policy}).", values)


def _not_dmarc_verdict(spec: RecordSpec, values: tuple[str, ...]) -> Verdict:
    for value in values:
        if value.strip().lower().startswith("v=dmarc1"):
            return Verdict(
                WRONG_VALUE,
                f"{value!r} is not read as DMARC: it must start with exactly "
                "'v=DMARC1;' (upper case, then a semicolon).",
                values,
            )
    return Verdict(
        WRONG_VALUE,
        f"No TXT record at {spec.name} starts with v=DMARC1; "
        f"publish a DMARC record such as {spec.value!r}.",
        values,
    )
