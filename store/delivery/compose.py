"""Composing a document email: headers, bodies, attachments and DKIM.

The message is built with the standard library's `EmailMessage`. Bodies get
a 7-bit transfer encoding (quoted-printable or base64 when not ASCII), so no
relay needs 8BITMIME. Non-ASCII subjects and display names become RFC 2047
encoded words, unless a mailbox has a non-ASCII local part: then the whole
message is written for SMTPUTF8 (RFC 6531/6532) with UTF-8 headers, and the
relay must offer that extension. A non-ASCII domain alone needs no SMTPUTF8,
because it is written as its A-label (IDNA), which every relay accepts.
"""

import email.policy
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from store.addresses import Mailbox, has_line_break
from store.delivery.signing import DkimKey, sign_message
from store.errors import InvalidInput
from store.sender.effective import EffectiveSender

# Bodies are encoded while the message is built under this policy, so that a
# non-ASCII text part becomes quoted-printable or base64 rather than 8bit.
_BUILD_POLICY = email.policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class MessageContent:
    """The rendered parts of a message: what the template produced."""

    subject: str
    text_body: str
    html_body: str | None = None
    reply_to: list[Mailbox] = field(default_factory=list)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class ComposedMessage:
    """A finished message as it goes on the wire, with its SMTP envelope."""

    raw: bytes
    message_id: str
    subject: str
    envelope_from: str
    recipients: list[str]
    smtputf8: bool


@dataclass(frozen=True)
class WireAddress:
    """An address in the form it is sent in, and whether it needs SMTPUTF8."""

    address: str
    needs_smtputf8: bool
    # The domain as an A-label, also when `address` keeps it in Unicode.
    ascii_domain: str

    @property
    def local_part(self) -> str:
        """The part before the last @."""
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        """The part after the last @."""
        return self.address.rpartition("@")[2]


@lru_cache(maxsize=4096)
def wire_address(address: str) -> WireAddress:
    """Validate `address` and return the form it is sent in.

    An ASCII local part gets its domain as an A-label (`bücher.example`
    becomes `xn--bcher-kva.example`), so the address needs no SMTPUTF8. A
    non-ASCII local part stays in UTF-8 and needs it.
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
        raise InvalidInput(f"invalid email address {address!r}: {error}") from None
    if result.ascii_email is not None:
        return WireAddress(result.ascii_email, False, result.ascii_domain)
    return WireAddress(result.normalized, True, result.ascii_domain)


def load_attachment(path: Path) -> Attachment:
    """Read a file to attach, guessing its media type from the file name."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            f"cannot read attachment {path}: {error.strerror or error}"
        ) from None
    content_type, encoding = mimetypes.guess_type(path.name)
    # A compressed file such as report.csv.gz is sent as opaque bytes, since
    # its guessed type describes the content before compression.
    if content_type is None or encoding is not None:
        content_type = "application/octet-stream"
    return Attachment(path.name, content, content_type)


def compose_message(
    sender: EffectiveSender,
    recipients: Sequence[str],
    content: MessageContent,
    *,
    dkim_key: DkimKey | None = None,
    now: datetime | None = None,
) -> ComposedMessage:
    """Build the message from `sender` to `recipients`, signed when a key is given.

    Raises `InvalidInput` for an invalid address or a header value (subject,
    display name, file name) that contains a line break.
    """
    if not recipients:
        raise InvalidInput("the message has no recipient; give a To address")
    moment = now or datetime.now(UTC)
    subject = content.subject.strip()
    _check_one_line("subject", subject)
    _check_one_line("company name", sender.display_name)

    from_address = wire_address(sender.address)
    to_addresses = [wire_address(address) for address in recipients]
    reply_to = [
        (mailbox["name"], wire_address(mailbox["address"]))
        for mailbox in content.reply_to
    ]
    for name, _ in reply_to:
        _check_one_line("Reply-To name", name)
    envelope_from = wire_address(sender.envelope_from)
    smtputf8 = any(
        address.needs_smtputf8
        for address in [from_address, envelope_from, *to_addresses]
        + [address for _, address in reply_to]
    )

    message = EmailMessage(policy=_BUILD_POLICY)
    message["From"] = _header_address(sender.display_name, from_address)
    if reply_to:
        message["Reply-To"] = [_header_address(name, addr) for name, addr in reply_to]
    message["To"] = [_header_address("", address) for address in to_addresses]
    message["Subject"] = subject
    message["Date"] = format_datetime(moment.astimezone(UTC))
    message_id = make_msgid(domain=from_address.ascii_domain)
    message["Message-ID"] = message_id
    _add_bodies(message, content)

    policy = email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP
    raw = message.as_bytes(policy=policy)
    if dkim_key is not None:
        raw = sign_message(raw, dkim_key, now=moment.timestamp())

    return ComposedMessage(
        raw=raw,
        message_id=message_id,
        subject=subject,
        envelope_from=envelope_from.address,
        recipients=[address.address for address in to_addresses],
        smtputf8=smtputf8,
    )


def _check_one_line(what: str, value: str) -> None:
    if has_line_break(value):
        raise InvalidInput(
            f"the {what} {value!r} contains a line break; a mail header is one line"
        )


def _header_address(display_name: str, address: WireAddress) -> Address:
    # Built from its parts: the header parser rejects a non-ASCII local part
    # in an addr-spec even when the message is written for SMTPUTF8.
    return Address(
        display_name=display_name, username=address.local_part, domain=address.domain
    )


def _add_bodies(message: EmailMessage, content: MessageContent) -> None:
    message.set_content(content.text_body)
    if content.html_body is not None:
        message.add_alternative(content.html_body, subtype="html")
    for attachment in content.attachments:
        _check_one_line("attachment file name", attachment.filename)
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    # `set_content` gives every part a MIME-Version header, but RFC 2045
    # requires it only at the top of the message.
    for part in message.iter_parts():
        _remove_mime_version(part)


def _remove_mime_version(part: MIMEPart) -> None:
    del part["MIME-Version"]
    if part.is_multipart():
        for child in part.iter_parts():
            _remove_mime_version(child)
