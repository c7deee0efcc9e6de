"""DKIM key pairs: RSA 2048, generated per custom sender."""

import base64
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537


@dataclass(frozen=True)
class DkimKeyPair:
    """A private key as PEM and its public key as a DKIM `p=` value."""

    private_pem: str = field(repr=False)
    public_key: str


def generate_dkim_key() -> DkimKeyPair:
    """Generate an RSA 2048 key pair for DKIM signing.

    The private key is written as PKCS #1 PEM (`BEGIN RSA PRIVATE KEY`),
    because that is the only form dkimpy 1.1 reads. The public key is the
    base64 DER SubjectPublicKeyInfo that RFC 6376 section 3.6.1 puts in `p=`.
    """
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)
    private_pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    public_der = key.public_key().public_bytes(
        encoding=serialization.Encoding.DER,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return DkimKeyPair(
        private_pem=private_pem, public_key=base64.b64encode(public_der).decode("ascii")
    )
