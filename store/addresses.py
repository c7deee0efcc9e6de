"""Reply-To address lists: parsing, validation and normalised storage.

A list is written the way a mail header is ("Sales, EU" <sales@a.example>,
b@a.example) and stored as {"name", "address"} objects, so display names
with commas or non-ASCII letters survive a round trip unchanged.
"""

from email.headerregistry import Address, HeaderRegistry

from email_validator import EmailNotValidError, validate_email

from store.errors import InvalidInput

# Any character that would end or fold a mail header line.
LINE_BREAKS = frozenset("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")

# The most Reply-To addresses one template may carry.
MAX_ADDRESSES = 20

Mailbox = dict[str, str]

_HEADERS = HeaderRegistry()


def has_line_break(text: str) -> bool:
    """Return whether `text` contains any line break character."""
    return any(character in LINE_BREAKS for character in text)


def normalise_address(address: str) -> str:
    """Validate one email address and return its normalised form.

    Syntax and IDN are checked offline; the domain's mail servers are not
    looked up, since that needs the network and belongs to sending.
    """
    if has_line_break(address):
        raise InvalidInput(f"address {address!r} contains a line break; remove it")
    try:
        result = validate_email(
            address.strip(),
            check_deliverability=False,
            test_environment=True,
            allow_smtputf8=True,
        )
    except EmailNotValidError as error:
        raise InvalidInput(
            f"invalid email address {address.strip()!r}: {error}"
        ) from None
    return result.normalized


def parse_reply_to(text: str) -> list[Mailbox]:
    """Parse a header-style list of addresses into normalised mailboxes.

    An empty or blank text is an empty list: replies then go to the From
    address.
    """
    if has_line_break(text):
        raise InvalidInput(
            "Reply-To contains a line break; put the addresses on one line"
        )
    if not text.strip():
        return []

    mailboxes = [_mailbox(name, address, text) for name, address in _split(text)]
    if len(mailboxes) > MAX_ADDRESSES:
        raise InvalidInput(
            f"Reply-To has {len(mailboxes)} addresses; the maximum is {MAX_ADDRESSES}"
        )
    return mailboxes


def _split(text: str) -> list[tuple[str, str]]:
    try:
        header = _HEADERS("Reply-To", text)
    except (IndexError, ValueError):
        # The standard library's header parser raises on some malformed
        # input, such as "sales@" with nothing after the at sign.
        raise InvalidInput(
            f"cannot read {text!r} as a list of addresses; "
            "write each as name@domain, separated by commas"
        ) from None
    if header.defects:
        raise InvalidInput(
            f"cannot read {text!r} as a list of addresses: {header.defects[0]}; "
            "separate addresses with commas and quote names that contain one"
        )
    addresses = header.addresses  # type: ignore[attr-defined]
    return [(address.display_name, address.addr_spec) for address in addresses]


def _mailbox(name: str, address: str, text: str) -> Mailbox:
    if not address:
        raise InvalidInput(
            f"no email address in {name!r} of {text!r}; write it as Name <address>"
        )
    return {"name": name.strip(), "address": normalise_address(address)}


def format_mailbox(mailbox: Mailbox) -> str:
    """Write one mailbox as a person reads it: `Name <address>`.

    Names stay in their own letters (not RFC 2047 encoded words) and are
    quoted when they contain a comma or another special character.
    """
    if not mailbox["name"]:
        return mailbox["address"]
    return str(Address(display_name=mailbox["name"], addr_spec=mailbox["address"]))


def format_reply_to(mailboxes: list[Mailbox]) -> str:
    """Write a list of mailboxes back as one line that `parse_reply_to` reads."""
    return ", ".join(format_mailbox(mailbox) for mailbox in mailboxes)
