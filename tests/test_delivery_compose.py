"""Composing messages: headers, encodings, attachments and DKIM signatures."""

import base64
from email.message import EmailMessage
from email.parser import Parser
from email.policy import default as default_policy
from pathlib import Path

import dkim
import pytest

from store.delivery.compose import (
    Attachment,
    MessageContent,
    compose_message,
    load_attachment,
    wire_address,
)
from store.delivery.signing import load_dkim_key, sign_message
from store.errors import InvalidInput
from store.sender.effective import EffectiveSender
from store.sender.keys import generate_dkim_key

PLATFORM_SENDER = EffectiveSender(
    address="notification-service@platform.example",
    display_name="Acme GmbH",
    is_custom=False,
    reason="",
    envelope_from="bounces@bounces.platform.example",
)


def parse(raw: bytes) -> EmailMessage:
    # Parsed as text with plain newlines, so bodies read as they were written.
    text = raw.decode("utf-8").replace("\r\n", "\n")
    message = Parser(policy=default_policy).parsestr(text)
    assert isinstance(message, EmailMessage)
    return message


def content(**overrides: object) -> MessageContent:
    values: dict[str, object] = {
        "subject": "Invoice INV-1 from Acme GmbH",
        "text_body": "Dear customer,\n\nyour invoice.\n",
        "reply_to": [{"name": "Accounts", "address": "accounts@acme.example"}],
    }
    values.update(overrides)
    return MessageContent(**values)  # type: ignore[arg-type]


def test_headers_of_default_sender() -> None:
    composed = compose_message(PLATFORM_SENDER, ["buyer@customer.example"], content())
    message = parse(composed.raw)

    assert message["From"] == "Acme GmbH <notification-service@platform.example>"
    assert message["Reply-To"] == "Accounts <accounts@acme.example>"
    assert message["To"] == "buyer@customer.example"
    assert message["Subject"] == "Invoice INV-1 from Acme GmbH"
    assert message["Date"] is not None
    assert message["MIME-Version"] == "1.0"
    assert message["Message-ID"] == composed.message_id
    assert composed.message_id.endswith("@platform.example>")
    assert composed.envelope_from == "bounces@bounces.platform.example"
    assert composed.recipients == ["buyer@customer.example"]
    assert composed.smtputf8 is False


def test_every_line_ends_with_crlf() -> None:
    composed = compose_message(PLATFORM_SENDER, ["b@c.example"], content())

    assert b"\n" not in composed.raw.replace(b"\r\n", b"")


def test_no_reply_to_without_addresses() -> None:
    composed = compose_message(PLATFORM_SENDER, ["b@c.example"], content(reply_to=[]))

    assert parse(composed.raw)["Reply-To"] is None


def test_html_body_becomes_alternative() -> None:
    composed = compose_message(
        PLATFORM_SENDER, ["b@c.example"], content(html_body="<p>Dear customer</p>")
    )
    message = parse(composed.raw)

    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content() == "Dear customer,\n\nyour invoice.\n"
    assert html.get_content().strip() == "<p>Dear customer</p>"


def test_mime_version_only_at_top() -> None:
    composed = compose_message(
        PLATFORM_SENDER,
        ["b@c.example"],
        content(
            html_body="<p>x</p>",
            attachments=(Attachment("a.pdf", b"%PDF", "application/pdf"),),
        ),
    )

    assert composed.raw.count(b"MIME-Version:") == 1


def test_non_ascii_headers_encoded() -> None:
    sender = EffectiveSender(
        "notification-service@platform.example",
        "Müller & Söhne, Köln",
        False,
        "",
        "bounces@bounces.platform.example",
    )
    composed = compose_message(
        sender,
        ["b@c.example"],
        content(
            subject="Rechnung für Zoë – 12 €",
            text_body="Grüße aus Köln\n",
            reply_to=[{"name": "Buchhaltung, Süd", "address": "konten@acme.example"}],
        ),
    )
    message = parse(composed.raw)

    assert composed.raw.isascii()
    assert b"=?utf-8?" in composed.raw
    assert message["Subject"] == "Rechnung für Zoë – 12 €"
    assert message["From"].addresses[0].display_name == "Müller & Söhne, Köln"
    assert message["Reply-To"].addresses[0].display_name == "Buchhaltung, Süd"
    # Base64 text carries CRLF line ends, as RFC 2045 defines canonical text.
    assert message.get_content().replace("\r\n", "\n") == "Grüße aus Köln\n"
    assert composed.smtputf8 is False


def test_idn_domain_goes_as_a_label() -> None:
    composed = compose_message(PLATFORM_SENDER, ["käufer@bücher.example"], content())
    assert composed.smtputf8 is True

    composed = compose_message(PLATFORM_SENDER, ["buyer@bücher.example"], content())

    assert composed.smtputf8 is False
    assert composed.recipients == ["buyer@xn--bcher-kva.example"]
    assert parse(composed.raw)["To"] == "buyer@xn--bcher-kva.example"


def test_non_ascii_local_part_needs_smtputf8() -> None:
    composed = compose_message(PLATFORM_SENDER, ["用户@例子.广告"], content())
    message = parse(composed.raw)

    assert composed.smtputf8 is True
    assert composed.recipients == ["用户@例子.广告"]
    assert message["To"] == "用户@例子.广告"
    # The body stays 7-bit, so only the headers need the extension.
    body = composed.raw.split(b"\r\n\r\n", 1)[1]
    assert body.isascii()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Invoice\r\nBcc: victim@evil.example"),
        ("subject", "Invoice\nX-Injected: 1"),
        ("subject", "Invoice\u2028two"),
    ],
)
def test_line_break_in_subject_rejected(field: str, value: str) -> None:
    with pytest.raises(InvalidInput, match="line break"):
        compose_message(PLATFORM_SENDER, ["b@c.example"], content(**{field: value}))


def test_line_break_in_names_rejected() -> None:
    sender = EffectiveSender(
        "n@platform.example", "Acme\r\nBcc: x@y.example", False, "", "b@p.example"
    )
    with pytest.raises(InvalidInput, match="company name"):
        compose_message(sender, ["b@c.example"], content())

    reply_to = [{"name": "Accounts\nBcc: x@y.example", "address": "a@acme.example"}]
    with pytest.raises(InvalidInput, match="Reply-To name"):
        compose_message(PLATFORM_SENDER, ["b@c.example"], content(reply_to=reply_to))

    attachment = Attachment("a\r\n.pdf", b"x", "application/pdf")
    with pytest.raises(InvalidInput, match="attachment file name"):
        compose_message(
            PLATFORM_SENDER, ["b@c.example"], content(attachments=(attachment,))
        )


def test_invalid_recipient_rejected() -> None:
    with pytest.raises(InvalidInput, match="invalid email address 'not-an-address'"):
        compose_message(PLATFORM_SENDER, ["not-an-address"], content())
    with pytest.raises(InvalidInput, match="line break"):
        compose_message(PLATFORM_SENDER, ["b@c.example\r\nRCPT TO:<x@y>"], content())


def test_attachments_from_files(tmp_path: Path) -> None:
    pdf = tmp_path / "Rechnung 2026-04.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    archive = tmp_path / "report.csv.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00")
    unknown = tmp_path / "data.unknownext"
    unknown.write_bytes(b"\x00\x01")

    attachments = tuple(load_attachment(path) for path in (pdf, archive, unknown))
    composed = compose_message(
        PLATFORM_SENDER, ["b@c.example"], content(attachments=attachments)
    )
    parts = list(parse(composed.raw).iter_attachments())

    assert [part.get_filename() for part in parts] == [
        "Rechnung 2026-04.pdf",
        "report.csv.gz",
        "data.unknownext",
    ]
    assert [part.get_content_type() for part in parts] == [
        "application/pdf",
        "application/octet-stream",
        "application/octet-stream",
    ]
    assert parts[0].get_content() == pdf.read_bytes()


def test_missing_attachment_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read attachment"):
        load_attachment(tmp_path / "missing.pdf")


def test_wire_address_forms() -> None:
    assert wire_address("a@bücher.example").address == "a@xn--bcher-kva.example"
    assert wire_address("a@bücher.example").needs_smtputf8 is False
    assert wire_address("zoë@example.com").needs_smtputf8 is True
    assert wire_address("zoë@bücher.example").ascii_domain == "xn--bcher-kva.example"


def dkim_record(public_key: str) -> bytes:
    return b"v=DKIM1; k=rsa; p=" + public_key.encode("ascii")


def test_signature_verifies_with_dkimpy() -> None:
    pair = generate_dkim_key()
    key = load_dkim_key("acme.example", "mailroom", pair.private_pem)
    composed = compose_message(
        PLATFORM_SENDER,
        ["b@c.example"],
        content(subject="Grüße", html_body="<p>x</p>"),
        dkim_key=key,
    )
    looked_up: list[bytes] = []

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes:
        looked_up.append(name)
        return dkim_record(pair.public_key)

    assert composed.raw.startswith(b"DKIM-Signature: v=1;")
    assert dkim.verify(composed.raw, dnsfunc=dnsfunc)
    assert looked_up == [b"mailroom._domainkey.acme.example."]


def test_signature_covers_headers_and_body() -> None:
    pair = generate_dkim_key()
    key = load_dkim_key("acme.example", "mailroom", pair.private_pem)
    raw = compose_message(PLATFORM_SENDER, ["b@c.example"], content(), dkim_key=key).raw

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes:
        return dkim_record(pair.public_key)

    changed_subject = raw.replace(b"Invoice INV-1", b"Invoice INV-2")
    changed_body = raw.replace(b"your invoice.", b"your refund.")
    added_reply_to = raw.replace(
        b"\r\nTo:", b"\r\nReply-To: thief@evil.example\r\nTo:", 1
    )
    assert not dkim.verify(changed_subject, dnsfunc=dnsfunc)
    assert not dkim.verify(changed_body, dnsfunc=dnsfunc)
    assert not dkim.verify(added_reply_to, dnsfunc=dnsfunc)


def test_signature_tags() -> None:
    pair = generate_dkim_key()
    key = load_dkim_key("acme.example", "mailroom", pair.private_pem)
    signed = sign_message(
        b"From: a@acme.example\r\n\r\nbody\r\n", key, now=1_800_000_000
    )
    header = parse(signed)["DKIM-Signature"]
    tags = dict(
        item.strip().split("=", 1) for item in " ".join(header.split()).split(";")
    )

    assert tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert tags["d"] == "acme.example"
    assert tags["s"] == "mailroom"
    assert tags["t"] == "1800000000"
    assert tags["h"].replace(" ", "").split(":") == [
        "from",
        "reply-to",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    ]
    assert base64.b64decode(tags["b"].replace(" ", ""))


def test_signed_smtputf8_message_verifies() -> None:
    pair = generate_dkim_key()
    key = load_dkim_key("acme.example", "mailroom", pair.private_pem)
    composed = compose_message(
        PLATFORM_SENDER, ["用户@例子.广告"], content(subject="Grüße"), dkim_key=key
    )

    assert dkim.verify(
        composed.raw, dnsfunc=lambda name, timeout=5: dkim_record(pair.public_key)
    )


def test_key_parsed_once_per_pem() -> None:
    pair = generate_dkim_key()
    first = load_dkim_key("acme.example", "s1", pair.private_pem)
    second = load_dkim_key("other.example", "s2", pair.private_pem)

    assert first.private_key is second.private_key


def test_unusable_key_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="DKIM private key is unusable"):
        load_dkim_key("acme.example", "mailroom", "-----BEGIN NOTHING-----")
    with pytest.raises(InvalidInput, match="A-label"):
        load_dkim_key("bücher.example", "mailroom", generate_dkim_key().private_pem)
