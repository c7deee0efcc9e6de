"""DKIM key records (RFC 6376 section 3.6.1): parsing and comparing keys.

Keys compare by their tags rather than as whole strings: `v` and `k` keep
their defaults when absent, whitespace inside `p=` is ignored, and two `p=`
values are the same key when they decode to the same RSA public numbers.
"""

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from store.dns.tags import RecordSyntaxError, parse_tag_list

WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class DkimKeyRecord:
    """The tags of a DKIM key record that matter for checking it."""

    version: str | None
    key_type: str
    public_key: str
    flags: tuple[str, ...]
    services: tuple[str, ...]


def dkim_record_value(public_key: str) -> str:
    """Return the TXT value that publishes an RSA public key for DKIM."""
    return f"v=DKIM1; k=rsa; p={public_key}"


def parse_dkim_record(text: str) -> DkimKeyRecord:
    """Parse a DKIM key record, raising `RecordSyntaxError` with the problem."""
    tags = parse_tag_list(text)
    version = tags.get("v")
    if version is not None and version != "DKIM1":
        raise RecordSyntaxError(f"v={version} is not DKIM1")
    if version is not None and next(iter(tags)) != "v":
        raise RecordSyntaxError("the v= tag must come first")
    if "p" not in tags:
        raise RecordSyntaxError("the p= tag with the public key is missing")
    return DkimKeyRecord(
        version=version,
        key_type=tags.get("k", "rsa").lower(),
        public_key=WHITESPACE.sub("", tags["p"]),
        flags=_colon_list(tags.get("t", "")),
        services=_colon_list(tags.get("s", "*")),
    )


def _colon_list(value: str) -> tuple[str, ...]:
    return tuple(item.strip().lower() for item in value.split(":") if item.strip())


def same_public_key(published: str, expected: str) -> bool:
    """Return whether two base64 `p=` values hold the same RSA public key.

    Besides the SubjectPublicKeyInfo that RFC 6376 specifies, the bare
    RSAPublicKey form that some tools publish is accepted when its numbers
    match, since verifiers such as dkimpy accept it too.
    """
    published = WHITESPACE.sub("", published)
    expected = WHITESPACE.sub("", expected)
    if published == expected:
        return True
    first = _rsa_numbers(published)
    return first is not None and first == _rsa_numbers(expected)


def _rsa_numbers(value: str) -> tuple[int, int] | None:
    try:
        der = base64.b64decode(value, validate=True)
        # cryptography reads both SubjectPublicKeyInfo and bare RSAPublicKey DER.
        key = load_der_public_key(der)
    except (binascii.Error, ValueError, TypeError, UnsupportedAlgorithm):
        return None
    if not isinstance(key, rsa.RSAPublicKey):
        return None
    numbers = key.public_numbers()
    return numbers.n, numbers.e
