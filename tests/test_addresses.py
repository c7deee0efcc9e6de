"""Reply-To parsing: validation, normalisation and round trips."""

import pytest

from store.addresses import format_reply_to, parse_reply_to
from store.errors import InvalidInput


def test_display_name_with_comma_and_accents_round_trips() -> None:
    text = '"Ventes, Zoë Müller" <ventes@acme.example>, accounts@acme.example'

    mailboxes = parse_reply_to(text)

    assert mailboxes == [
        {"name": "Ventes, Zoë Müller", "address": "ventes@acme.example"},
        {"name": "", "address": "accounts@acme.example"},
    ]
    assert parse_reply_to(format_reply_to(mailboxes)) == mailboxes


def test_idn_domain_is_stored_in_unicode_form() -> None:
    mailboxes = parse_reply_to("info@xn--bcher-kva.example")

    assert mailboxes == [{"name": "", "address": "info@bücher.example"}]


def test_domain_letter_case_is_normalised() -> None:
    mailboxes = parse_reply_to("Sales@ACME.Example")

    assert mailboxes[0]["address"] == "sales@acme.example"


def test_empty_text_is_no_addresses() -> None:
    assert parse_reply_to("   ") == []


@pytest.mark.parametrize(
    "text",
    [
        "sales@acme.example\r\nBcc: victim@else.example",
        "sales@acme.example\nBcc: victim@else.example",
        "Sales\u2028Team <sales@acme.example>",
        "sales@acme.example\x85",
        "sales@acme.example\v",
    ],
)
def test_line_breaks_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput, match="line break"):
        parse_reply_to(text)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("not an address", "not an address"),
        ("a@-bad-.example", "a@-bad-.example"),
        ("Bob <bob@acme.example", "Bob <bob@acme.example"),
        ("a@acme.example; b@acme.example", "a@acme.example; b@acme.example"),
    ],
)
def test_invalid_address_names_the_value(text: str, named: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_reply_to(text)

    assert named in caught.value.message


def test_more_than_twenty_addresses_are_rejected() -> None:
    text = ", ".join(f"user{number}@acme.example" for number in range(21))

    with pytest.raises(InvalidInput, match="maximum is 20"):
        parse_reply_to(text)


@pytest.mark.parametrize("text", ["sales@", "<>", "@"])
def test_input_that_breaks_header_parser_is_invalid(text: str) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        parse_reply_to(text)
