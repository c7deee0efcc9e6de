"""DMARC records (RFC 7489 section 6.3): finding, parsing and advice.

A receiver reads the TXT records at `_dmarc.<domain>`, keeps those that
start with exactly `v=DMARC1`, and applies no DMARC policy unless exactly one
remains. The record must carry a valid `p=` policy.
"""

import re
from dataclasses import dataclass

from store.dns.tags import RecordSyntaxError, parse_tag_list

DMARC_START = re.compile(r"^\s*v\s*=\s*DMARC1\s*(;|$)")
POLICIES = ("none", "quarantine", "reject")
ALIGNMENT_MODES = ("r", "s")
FAILURE_OPTIONS = ("0", "1", "d", "s")
KNOWN_TAGS = frozenset(
    {"v", "p", "sp", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "np"}
)
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# A value that swallowed the next tag because a semicolon is missing.
RUN_ON_TAG = re.compile(r"\s[A-Za-z][A-Za-z0-9_]*\s*=")


@dataclass(frozen=True)
class DmarcRecord:
    """The parsed tags of one DMARC record, with RFC 7489 defaults filled in."""

    policy: str
    subdomain_policy: str | None
    dkim_alignment: str
    spf_alignment: str
    percent: int
    unknown_tags: tuple[str, ...]


def is_dmarc_record(text: str) -> bool:
    """Return whether a TXT value counts as a DMARC record for receivers."""
    return bool(DMARC_START.match(text))


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record, raising `RecordSyntaxError` with the problem."""
    tags = parse_tag_list(text)
    _reject_run_on_tags(tags)
    if "p" not in tags:
        raise RecordSyntaxError("the required p= policy tag is missing")
    policy = _choice(tags, "p", POLICIES)
    subdomain_policy = _choice(tags, "sp", POLICIES) if "sp" in tags else None
    for name in ("rua", "ruf"):
        if name in tags:
            _check_uris(name, tags[name])
    if "fo" in tags:
        _check_failure_options(tags["fo"])
    return DmarcRecord(
        policy=policy,
        subdomain_policy=subdomain_policy,
        dkim_alignment=_choice(tags, "adkim", ALIGNMENT_MODES, default="r"),
        spf_alignment=_choice(tags, "aspf", ALIGNMENT_MODES, default="r"),
        percent=_percent(tags),
        unknown_tags=tuple(name for name in tags if name not in KNOWN_TAGS),
    )


def _reject_run_on_tags(tags: dict[str, str]) -> None:
    for name, value in tags.items():
        if RUN_ON_TAG.search(value):
            raise RecordSyntaxError(
                f"{name}={value} contains more than one tag; separate tags with ';'"
            )


def _choice(
    tags: dict[str, str], name: str, allowed: tuple[str, ...], default: str = ""
) -> str:
    value = tags.get(name, default)
    if value.lower() not in allowed:
        raise RecordSyntaxError(
            f"{name}={value} is not valid; use one of {', '.join(allowed)}"
        )
    return value.lower()


def _percent(tags: dict[str, str]) -> int:
    value = tags.get("pct", "100")
    if not value.isdigit() or not 0 <= int(value) <= 100:
        raise RecordSyntaxError(f"pct={value} is not a whole number from 0 to 100")
    return int(value)


def _check_uris(name: str, value: str) -> None:
    for uri in value.split(","):
        if not URI.match(uri.strip()):
            raise RecordSyntaxError(
                f"{name}= contains {uri.strip()!r}, which is not a URI "
                "such as mailto:dmarc@example.com"
            )


def _check_failure_options(value: str) -> None:
    for option in value.split(":"):
        if option.strip() not in FAILURE_OPTIONS:
            raise RecordSyntaxError(
                f"fo={value} is not valid; use 0, 1, d or s, separated by ':'"
            )


def alignment_advice(
    record: DmarcRecord, envelope_domain: str, from_domain: str
) -> str:
    """Return advice when the policy cannot align SPF for the bounce domain.

    Mail goes out with an envelope sender at `envelope_domain`, a subdomain
    of the From domain, so SPF aligns only in relaxed mode. DMARC still
    passes through the aligned DKIM signature, so this is advice, not an error.
    """
    if record.spf_alignment == "s" and envelope_domain != from_domain:
        return (
            f"aspf=s (strict SPF alignment) never aligns the bounce domain "
            f"{envelope_domain} with {from_domain}, so DMARC rests on DKIM alone; "
            "use aspf=r or drop the tag"
        )
    return ""
