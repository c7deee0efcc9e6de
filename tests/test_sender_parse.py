"""Sender records without DNS: parsing, comparing, judging and exporting."""

import base64
import csv
import io
import json

import dkim
import dns.zone
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from store.dns.answers import RECORDS, Answer, Record
from store.dns.dkim_record import parse_dkim_record, same_public_key
from store.dns.dmarc import alignment_advice, is_dmarc_record, parse_dmarc
from store.dns.spf import parse_spf
from store.dns.tags import RecordSyntaxError, parse_tag_list
from store.dns.txt import quote_txt, split_txt
from store.errors import InvalidInput
from store.sender.domains import parse_custom_address
from store.sender.export import records_csv, records_json, zone_snippet
from store.sender.keys import generate_dkim_key
from store.sender.records import BOUNCE, DKIM, DMARC, OWNERSHIP, build_records
from store.sender.results import MISSING, OK, WRONG_PLACE, WRONG_VALUE
from store.sender.selftest import (
    SelfTestInput,
    relaxed_body,
    relaxed_header,
    sample_message,
    sign,
)
from store.sender.states import (
    ACTIVE,
    DEGRADED,
    FAILED,
    PENDING_DNS,
    VERIFIED,
    CheckOutcome,
    plan_steps,
)
from store.sender.verdicts import (
    bounce_verdict,
    dkim_verdict,
    dmarc_verdict,
    ownership_verdict,
)
from store.settings import PlatformSettings

PLATFORM = PlatformSettings()
OWNER = "owner@acme.example"


@pytest.fixture(scope="module")
def key():
    """One DKIM key pair for the module: generating one takes about 0.1 s."""
    return generate_dkim_key()


@pytest.fixture(scope="module")
def records(key):
    """The records issued for example.test, by purpose."""
    specs = build_records(
        "example.test", "tok123", "mailroom", key.public_key, PLATFORM
    )
    return {spec.purpose: spec for spec in specs}


def txt_answer(name: str, *records: tuple[str, ...]) -> Answer:
    """An authoritative answer holding TXT records, each given as its strings."""
    return Answer(
        name=name,
        rdtype="TXT",
        role="authoritative",
        outcome=RECORDS,
        server="127.0.0.1#53",
        records=tuple(Record("".join(strings), strings) for strings in records),
    )


def negative_answer(name: str, outcome: str = "nxdomain") -> Answer:
    """An authoritative answer with no records."""
    return Answer(name=name, rdtype="TXT", role="authoritative", outcome=outcome)


# Tag lists and TXT strings


def test_tag_list_ignores_spaces_and_trailing_semicolon() -> None:
    tags = parse_tag_list(" v = DKIM1 ;k=rsa; p=AB CD ; ")

    assert tags == {"v": "DKIM1", "k": "rsa", "p": "AB CD"}


def test_tag_list_rejects_duplicate_tag() -> None:
    with pytest.raises(RecordSyntaxError, match="more than once"):
        parse_tag_list("p=none; p=reject")


def test_split_txt_keeps_strings_within_255() -> None:
    value = "x" * 600

    strings = split_txt(value)

    assert [len(text) for text in strings] == [255, 255, 90]
    assert "".join(strings) == value


def test_quote_txt_escapes_quotes_and_backslashes() -> None:
    assert quote_txt(['a"b\\c', "d"]) == '"a\\"b\\\\c" "d"'


# DKIM keys


def test_dkim_value_is_split_into_255_character_strings(records) -> None:
    dkim = records[DKIM]

    assert len(dkim.value) > 255
    assert all(len(text) <= 255 for text in dkim.strings)
    assert "".join(dkim.strings) == dkim.value


def test_dkim_public_key_is_rsa_2048_spki(key) -> None:
    der = base64.b64decode(key.public_key)

    public = serialization.load_der_public_key(der)

    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048


def test_dkim_private_key_is_pkcs1_pem(key) -> None:
    assert key.private_pem.startswith("-----BEGIN RSA PRIVATE KEY-----")


def test_dkim_key_pair_repr_hides_private_key(key) -> None:
    assert "PRIVATE" not in repr(key)


def test_dkim_comparison_ignores_whitespace_in_key(key) -> None:
    spaced = " ".join(split_txt(key.public_key, 60))

    assert same_public_key(spaced, key.public_key)


def test_dkim_comparison_accepts_pkcs1_form(key) -> None:
    public = serialization.load_der_public_key(base64.b64decode(key.public_key))
    pkcs1 = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )

    assert same_public_key(base64.b64encode(pkcs1).decode(), key.public_key)


def test_dkim_record_without_version_defaults_to_rsa(key) -> None:
    record = parse_dkim_record(f"p={key.public_key}")

    assert record.key_type == "rsa"
    assert record.version is None


def test_dkim_record_with_wrong_version_is_invalid(key) -> None:
    with pytest.raises(RecordSyntaxError, match="DKIM1"):
        parse_dkim_record(f"v=DKIM2; p={key.public_key}")


def test_dkim_verdict_ok_with_reordered_tags(records, key) -> None:
    spec = records[DKIM]
    answer = txt_answer(spec.name, (f"p={key.public_key}; k=rsa",))

    assert dkim_verdict(spec, answer, key.public_key).status == OK


def test_dkim_verdict_other_key_is_wrong_value(records, key) -> None:
    spec = records[DKIM]
    other = generate_dkim_key().public_key
    answer = txt_answer(spec.name, (f"v=DKIM1; k=rsa; p={other}",))

    verdict = dkim_verdict(spec, answer, key.public_key)

    assert verdict.status == WRONG_VALUE
    assert "not the one Mailroom issued" in verdict.message


def test_dkim_verdict_key_split_over_records_is_wrong_place(records, key) -> None:
    spec = records[DKIM]
    first, second = spec.value[:200], spec.value[200:]
    answer = txt_answer(spec.name, (second,), (first,))

    verdict = dkim_verdict(spec, answer, key.public_key)

    assert verdict.status == WRONG_PLACE
    assert verdict.found_name == spec.name
    assert "split over 2 separate TXT records" in verdict.message


def test_dkim_verdict_revoked_key_is_wrong_value(records, key) -> None:
    spec = records[DKIM]
    answer = txt_answer(spec.name, ("v=DKIM1; k=rsa; p=",))

    verdict = dkim_verdict(spec, answer, key.public_key)

    assert verdict.status == WRONG_VALUE
    assert "revokes" in verdict.message


# Ownership and bounce


def test_ownership_any_matching_record_is_ok(records) -> None:
    spec = records[OWNERSHIP]
    answer = txt_answer(spec.name, ("google-site-verification=x",), (spec.value,))

    assert ownership_verdict(spec, answer).status == OK


def test_ownership_token_without_prefix_is_wrong_value(records) -> None:
    spec = records[OWNERSHIP]
    answer = txt_answer(spec.name, ("tok123",))

    verdict = ownership_verdict(spec, answer)

    assert verdict.status == WRONG_VALUE
    assert "not exactly" in verdict.message


def test_ownership_absent_is_missing(records) -> None:
    spec = records[OWNERSHIP]

    assert ownership_verdict(spec, negative_answer(spec.name)).status == MISSING


def test_bounce_target_ignores_case_and_final_dot(records) -> None:
    spec = records[BOUNCE]
    answer = Answer(
        name=spec.name,
        rdtype="CNAME",
        role="authoritative",
        outcome=RECORDS,
        records=(Record("BOUNCES.Platform.Example"),),
    )

    assert bounce_verdict(spec, answer).status == OK


# DMARC


def test_dmarc_record_must_start_with_exact_version() -> None:
    assert is_dmarc_record("v=DMARC1; p=none")
    assert not is_dmarc_record("v=dmarc1; p=none")
    assert not is_dmarc_record("p=none; v=DMARC1")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("v=DMARC1; p=rejct", "p=rejct is not valid"),
        ("v=DMARC1;", "p= policy tag is missing"),
        ("v=DMARC1; p=none; pct=150", "pct=150"),
        ("v=DMARC1; p=none; rua=dmarc@example.test", "not a URI"),
        ("v=DMARC1; p=none aspf=s", "separate tags with ';'"),
        ("v=DMARC1; p=none; adkim=x", "adkim=x is not valid"),
    ],
)
def test_dmarc_syntax_errors(text: str, problem: str) -> None:
    with pytest.raises(RecordSyntaxError, match=problem):
        parse_dmarc(text)


def test_dmarc_defaults_to_relaxed_alignment() -> None:
    record = parse_dmarc("v=DMARC1; p=quarantine; rua=mailto:d@example.test")

    assert record.spf_alignment == "r"
    assert record.dkim_alignment == "r"


def test_dmarc_strict_spf_alignment_gets_advice() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; aspf=s")

    advice = alignment_advice(record, "bounces.example.test", "example.test")

    assert "aspf=s" in advice


def test_dmarc_verdict_two_records_is_wrong_value(records) -> None:
    spec = records[DMARC]
    answer = txt_answer(spec.name, ("v=DMARC1; p=none",), ("v=DMARC1; p=reject",))

    verdict = dmarc_verdict(spec, answer, "bounces.example.test", "example.test")

    assert verdict.status == WRONG_VALUE
    assert "2 DMARC records" in verdict.message


def test_dmarc_verdict_lowercase_version_is_explained(records) -> None:
    spec = records[DMARC]
    answer = txt_answer(spec.name, ("v=dmarc1; p=none",))

    verdict = dmarc_verdict(spec, answer, "bounces.example.test", "example.test")

    assert verdict.status == WRONG_VALUE
    assert "exactly 'v=DMARC1;'" in verdict.message


def test_dmarc_verdict_joins_strings(records) -> None:
    spec = records[DMARC]
    answer = txt_answer(spec.name, ("v=DMARC1; p=", "reject;"))

    verdict = dmarc_verdict(spec, answer, "bounces.example.test", "example.test")

    assert verdict.status == OK
    assert "p=reject" in verdict.message


# SPF


def test_spf_counts_lookup_terms() -> None:
    record = parse_spf("v=spf1 a mx ip4:192.0.2.0/24 include:_spf.example.test ~all")

    assert record.lookup_count() == 3
    assert record.nested_domains() == ("_spf.example.test",)
    assert record.all_qualifier == "~"


def test_spf_redirect_ignored_when_all_present() -> None:
    record = parse_spf("v=spf1 -all redirect=other.example.test")

    assert record.lookup_count() == 0


def test_spf_unknown_mechanism_is_invalid() -> None:
    with pytest.raises(RecordSyntaxError, match="not an SPF mechanism"):
        parse_spf("v=spf1 ipv4:192.0.2.1 -all")


# Requested addresses


def test_address_keeps_both_idn_forms() -> None:
    custom = parse_custom_address("Info@Bücher.Example", PLATFORM)

    assert custom.domain == "xn--bcher-kva.example"
    assert custom.domain_unicode == "bücher.example"
    assert custom.ascii_address == "info@xn--bcher-kva.example"


def test_address_in_test_tld_is_registrable() -> None:
    # publicsuffixlist applies the default rule "*" to the reserved .test TLD.
    custom = parse_custom_address("info@example.test", PLATFORM)

    assert custom.domain == "example.test"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("info@co.uk", "public suffix"),
        ("info@test", "public suffix"),
        ("info@github.io", "public suffix"),
        ("info@platform.example", "belongs to the platform"),
        ("info@mail.platform.example", "belongs to the platform"),
        ("not-an-address", "invalid email address"),
        ("a@b.example\nBcc: x@y.example", "line break"),
    ],
)
def test_address_rejected_with_reason(address: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_custom_address(address, PLATFORM)


# State transitions

OK_OUTCOME = CheckOutcome(all_ok=True, inconclusive=False)
BROKEN = CheckOutcome(all_ok=False, inconclusive=False, problems=(("dkim", "missing"),))
UNKNOWN = CheckOutcome(
    all_ok=False, inconclusive=True, problems=(("dkim", "lookup_error"),)
)


def destinations(state, outcome, self_test=None, timed_out=False) -> list[str]:
    """The states a run passes through."""
    steps = plan_steps(state, outcome, self_test, timed_out, 72)
    return [step.to_state for step in steps]


def test_pending_goes_to_active_when_self_test_passes() -> None:
    assert destinations(PENDING_DNS, OK_OUTCOME, True) == [VERIFIED, ACTIVE]


def test_pending_stops_at_verified_when_self_test_fails() -> None:
    assert destinations(PENDING_DNS, OK_OUTCOME, False) == [VERIFIED]


def test_active_degrades_when_record_breaks() -> None:
    assert destinations(ACTIVE, BROKEN) == [DEGRADED]


def test_degraded_returns_to_active() -> None:
    assert destinations(DEGRADED, OK_OUTCOME, True) == [ACTIVE]


def test_verified_falls_back_to_pending() -> None:
    assert destinations(VERIFIED, BROKEN) == [PENDING_DNS]


def test_lookup_errors_change_no_state() -> None:
    assert destinations(ACTIVE, UNKNOWN) == []


def test_pending_times_out_into_failed() -> None:
    assert destinations(PENDING_DNS, BROKEN, timed_out=True) == [FAILED]


def test_degraded_times_out_even_on_lookup_errors() -> None:
    assert destinations(DEGRADED, UNKNOWN, timed_out=True) == [FAILED]


# Export formats


def test_zone_snippet_parses_and_joins_dkim(records) -> None:
    specs = list(records.values())

    zone = dns.zone.from_text(
        zone_snippet(specs),
        origin="example.test.",
        relativize=False,
        check_origin=False,
    )

    dkim = zone.find_rdataset("mailroom._domainkey.example.test.", "TXT")[0]
    assert b"".join(dkim.strings).decode() == records[DKIM].value
    assert len(dkim.strings) == len(records[DKIM].strings)


def test_zone_snippet_has_bounce_cname(records) -> None:
    zone = dns.zone.from_text(
        zone_snippet(list(records.values())),
        origin="example.test.",
        relativize=False,
        check_origin=False,
    )

    cname = zone.find_rdataset("bounces.example.test.", "CNAME")[0]
    assert cname.target.to_text() == "bounces.platform.example."


def test_csv_has_one_row_per_record(records) -> None:
    rows = list(csv.DictReader(io.StringIO(records_csv(list(records.values())))))

    assert [row["purpose"] for row in rows] == list(records)
    assert rows[1]["value"] == records[DKIM].value


def test_json_lists_strings_and_required(records) -> None:
    data = json.loads(records_json(list(records.values())))

    assert data[1]["strings"] == list(records[DKIM].strings)
    assert data[4]["required"] is False


# The self-test's signer, checked by dkimpy


def self_test_input(key, address: str = "info@example.test") -> SelfTestInput:
    """Sender details for signing with `key` under example.test."""
    return SelfTestInput(address, "example.test", "mailroom", key.private_pem, OWNER)


def key_lookup(key):
    """A dkimpy DNS callback that returns the issued key record."""
    record = f"v=DKIM1; k=rsa; p={key.public_key}".encode()
    return lambda name, timeout=5: record


def test_signed_sample_verifies_with_dkimpy(key) -> None:
    sender = self_test_input(key)

    signed = sign(sample_message(sender), sender)

    assert dkim.verify(signed, dnsfunc=key_lookup(key))


def test_signed_sample_with_utf8_address_verifies(key) -> None:
    sender = self_test_input(key, "jürgen@example.test")

    signed = sign(sample_message(sender), sender)

    assert dkim.verify(signed, dnsfunc=key_lookup(key))


def test_changed_header_fails_verification(key) -> None:
    sender = self_test_input(key)
    signed = sign(sample_message(sender), sender)

    tampered = signed.replace(b"Subject: Mailroom", b"Subject: Changed")

    assert not dkim.verify(tampered, dnsfunc=key_lookup(key))


def test_relaxed_body_drops_trailing_blank_lines() -> None:
    assert relaxed_body(b"a  b \r\n\r\n\r\n") == b"a b\r\n"


def test_relaxed_header_unfolds_and_lowercases() -> None:
    assert relaxed_header(b"Subject ", b" a\r\n  b  ") == b"subject:a b\r\n"
