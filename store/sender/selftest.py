"""The DKIM self-test: sign a sample message and verify it against live DNS.

A sender becomes active only after this passes, which proves that the key
published in DNS belongs to the private key Mailroom will sign with. The key
is fetched from the configured resolver, as receivers fetch it, so a fresh
record hidden by a cached negative answer fails the test until the cache
expires.

The sample is signed here with the cryptography package (RFC 6376, relaxed
canonicalization, rsa-sha256), because dkimpy signs in pure Python, about
8 ms per message against well under 1 ms; dkimpy then verifies it, which
also checks this signer. Verification runs in a worker thread, and its DNS
callback hands the key lookup back to the event loop.
"""

import asyncio
import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from store.dns.lookup import DnsLookup
from store.dns.resolver import query_budget
from store.models import utc_now
from store.settings import DnsSettings


@dataclass(frozen=True)
class SelfTestResult:
    """Whether the self-test passed, and why not."""

    passed: bool
    message: str

    def summary(self) -> str:
        """Return "passed" or the reason it failed, as stored with a check run."""
        return "passed" if self.passed else self.message


@dataclass(frozen=True)
class SelfTestInput:
    """The sender details the self-test signs with."""

    address: str
    domain: str
    selector: str
    private_pem: str
    recipient: str


async def run_self_test(settings: DnsSettings, sender: SelfTestInput) -> SelfTestResult:
    """Sign a sample message with the stored key and verify it with dkimpy."""
    loop = asyncio.get_running_loop()
    lookup = DnsLookup(settings)
    lookup_errors: list[str] = []
    wait_seconds = query_budget(settings) + 1

    def fetch_key(name: bytes, timeout: float = 5) -> bytes | None:
        future = asyncio.run_coroutine_threadsafe(
            _key_text(lookup, name.decode("ascii"), lookup_errors), loop
        )
        try:
            return future.result(timeout=wait_seconds)
        except TimeoutError:
            future.cancel()
            lookup_errors.append(f"no key within {wait_seconds:g} s")
            return None

    return await asyncio.to_thread(_sign_and_verify, sender, fetch_key, lookup_errors)


async def _key_text(lookup: DnsLookup, name: str, errors: list[str]) -> bytes | None:
    answer = await lookup.recursive(name.rstrip("."), "TXT")
    if answer.failed:
        errors.append(answer.error)
        return None
    if not answer.records:
        errors.append(f"the resolver returns no TXT record at {name.rstrip('.')}")
        return None
    return answer.records[0].text.encode("utf-8")


def _sign_and_verify(
    sender: SelfTestInput,
    fetch_key: Callable[..., bytes | None],
    lookup_errors: list[str],
) -> SelfTestResult:
    try:
        message = sign(sample_message(sender), sender)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        return SelfTestResult(False, f"DKIM self-test could not sign: {error}")
    try:
        passed = dkim.DKIM(message).verify(dnsfunc=fetch_key)
    except dkim.DKIMException as error:
        return SelfTestResult(False, f"DKIM self-test failed: {error}")
    if passed:
        return SelfTestResult(True, "DKIM self-test passed")
    if lookup_errors:
        return SelfTestResult(
            False, f"DKIM self-test could not fetch the key: {lookup_errors[0]}"
        )
    return SelfTestResult(
        False,
        "DKIM self-test failed: the signature does not verify with the key "
        "the resolver returns",
    )


def sign(message: bytes, sender: SelfTestInput) -> bytes:
    """Return `message` with a DKIM-Signature header (relaxed/relaxed, rsa-sha256)."""
    head, _, body = message.partition(b"\r\n\r\n")
    headers = [line.split(b":", 1) for line in head.split(b"\r\n")]
    signed_names = [name.strip().lower() for name, _ in headers]
    body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest())
    tags = (
        f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={sender.domain}; "
        f"s={sender.selector}; h={':'.join(n.decode() for n in signed_names)}; "
        f"bh={body_hash.decode()}; b="
    )
    signed = b"".join(relaxed_header(name, value) for name, value in headers)
    # The signature header itself is signed with an empty b= and no final CRLF.
    signed += relaxed_header(b"DKIM-Signature", tags.encode()).rstrip(b"\r\n")
    # The signature never leaves this process, so skipping OpenSSL's RSA key
    # consistency check (tens of milliseconds per load) risks nothing: a
    # broken key can only make the self-test fail.
    key = load_pem_private_key(
        sender.private_pem.encode("ascii"),
        password=None,
        unsafe_skip_rsa_key_validation=True,
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the stored DKIM key is not an RSA key")
    signature = base64.b64encode(key.sign(signed, padding.PKCS1v15(), hashes.SHA256()))
    return b"DKIM-Signature: " + tags.encode() + signature + b"\r\n" + message


def relaxed_header(name: bytes, value: bytes) -> bytes:
    """Canonicalize one header the relaxed way (RFC 6376 section 3.4.2)."""
    unfolded = re.sub(rb"\r\n(?=[ \t])", b"", value)
    compact = re.sub(rb"[ \t]+", b" ", unfolded).strip(b" ")
    return name.strip().lower() + b":" + compact + b"\r\n"


def relaxed_body(body: bytes) -> bytes:
    """Canonicalize a body the relaxed way (RFC 6376 section 3.4.4)."""
    lines = [
        re.sub(rb"[ \t]+", b" ", line).rstrip(b" ") for line in body.split(b"\r\n")
    ]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def sample_message(sender: SelfTestInput) -> bytes:
    """Return the message the self-test signs, with CRLF line endings."""
    lines = [
        f"From: {sender.address}",
        f"To: {sender.recipient}",
        "Subject: Mailroom DKIM self-test",
        f"Date: {format_datetime(utc_now())}",
        f"Message-ID: {make_msgid(domain=sender.domain)}",
        "",
        "This message was signed and verified by Mailroom and never sent.",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")
