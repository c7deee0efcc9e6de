"""Validation of a requested custom From address and its domain.

The domain must be one a company can own: not a public suffix such as
`co.uk`, registrable under the Public Suffix List, and not the platform's own
domain. DNS works on the ASCII form (A-labels), people read the Unicode form,
so both are kept.

publicsuffixlist applies the list's default rule `*` to unknown top-level
domains, so under the reserved `.test` and `.example` TLDs a name such as
`example.test` counts as registrable, while `test` itself is a public suffix.
"""

from dataclasses import dataclass
from functools import cache

import idna
from email_validator import EmailNotValidError, validate_email
from publicsuffixlist import PublicSuffixList

from store.addresses import has_line_break
from store.errors import InvalidInput
from store.settings import PlatformSettings


@dataclass(frozen=True)
class CustomAddress:
    """A validated custom From address, its domain in both IDN forms."""

    address: str
    local_part: str
    domain: str
    domain_unicode: str

    @property
    def ascii_address(self) -> str:
        """The address with its domain as A-labels, as SMTP envelopes carry it."""
        return f"{self.local_part}@{self.domain}"


@cache
def public_suffixes() -> PublicSuffixList:
    """Return the Public Suffix List shipped with publicsuffixlist, loaded once."""
    return PublicSuffixList()


def to_unicode(domain: str) -> str:
    """Return a domain's Unicode form, or the domain itself if it is not IDN."""
    try:
        return idna.decode(domain)
    except idna.IDNAError:
        return domain


def parse_custom_address(address: str, platform: PlatformSettings) -> CustomAddress:
    """Validate a requested From address, raising `InvalidInput` with the reason."""
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

    domain = result.ascii_domain.lower()
    check_domain(domain, platform)
    return CustomAddress(
        address=result.normalized,
        local_part=result.local_part,
        domain=domain,
        domain_unicode=to_unicode(domain),
    )


def check_domain(domain: str, platform: PlatformSettings) -> None:
    """Raise `InvalidInput` unless a company could own `domain` and publish records."""
    shown = _both_forms(domain)
    for own in _platform_domains(platform):
        if domain == own or domain.endswith("." + own):
            raise InvalidInput(
                f"{shown} belongs to the platform ({own}); a custom From address "
                "must be on the company's own domain"
            )

    suffixes = public_suffixes()
    if suffixes.publicsuffix(domain) == domain:
        raise InvalidInput(
            f"{shown} is a public suffix, under which anyone can register names; "
            f"use a domain the company has registered, such as company.{domain}"
        )
    if suffixes.privatesuffix(domain) is None:
        raise InvalidInput(
            f"{shown} is not a registrable domain; use a domain the company "
            "has registered"
        )


def _platform_domains(platform: PlatformSettings) -> list[str]:
    domains = [platform.domain, platform.default_from.rpartition("@")[2]]
    return [_ascii(domain) for domain in domains if domain]


def _ascii(domain: str) -> str:
    try:
        return idna.encode(domain.rstrip("."), uts46=True).decode().lower()
    except idna.IDNAError:
        return domain.rstrip(".").lower()


def _both_forms(domain: str) -> str:
    unicode_form = to_unicode(domain)
    if unicode_form == domain:
        return domain
    return f"{unicode_form} ({domain})"
