"""The DNS records a custom sender must publish, built from its request.

For `info@example.com`, with names relative to `example.com` and labels and
hosts from the platform settings:

| purpose   | type  | name                    | value                            |
|-----------|-------|-------------------------|----------------------------------|
| ownership | TXT   | `<ownership label>`     | `mailroom-verify=<token>`        |
| dkim      | TXT   | `<selector>._domainkey` | `v=DKIM1; k=rsa; p=<public key>` |
| bounce    | CNAME | `<bounce label>`        | `<bounce host>.`                 |
| dmarc     | TXT   | `_dmarc`                | any valid DMARC record           |
| spf       | TXT   | the apex                | none required; advice only       |

`v=DMARC1; p=none;` is the suggested DMARC record.
"""

from dataclasses import dataclass

from store.dns.dkim_record import dkim_record_value
from store.dns.txt import split_txt
from store.errors import InvalidInput
from store.models import SenderIdentity
from store.settings import PlatformSettings

OWNERSHIP = "ownership"
DKIM = "dkim"
BOUNCE = "bounce"
DMARC = "dmarc"
SPF = "spf"
PURPOSES = (OWNERSHIP, DKIM, BOUNCE, DMARC, SPF)

TITLES = {
    OWNERSHIP: "ownership",
    DKIM: "DKIM key",
    BOUNCE: "bounces (SPF alignment)",
    DMARC: "DMARC",
    SPF: "SPF at the apex",
}

TOKEN_PREFIX = "mailroom-verify="
SUGGESTED_DMARC = "v=DMARC1; p=none;"


@dataclass(frozen=True)
class RecordSpec:
    """One record the tenant publishes: where, what, and whether it is required."""

    purpose: str
    rtype: str
    # Absolute name, A-labels, lowercase, no trailing dot.
    name: str
    # The name relative to the domain, as most DNS hosts ask for it; "@" is the apex.
    label: str
    # The expected value (for DMARC a suggestion; empty for SPF).
    value: str
    required: bool
    # A TXT value as strings of at most 255 characters; empty for a CNAME.
    strings: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The purpose as people read it."""
        return TITLES[self.purpose]

    def as_dict(self) -> dict[str, object]:
        """Return the record as JSON-ready values."""
        return {
            "purpose": self.purpose,
            "title": self.title,
            "type": self.rtype,
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "strings": list(self.strings),
            "required": self.required,
        }


def ownership_value(token: str) -> str:
    """Return the ownership TXT value for a token."""
    return f"{TOKEN_PREFIX}{token}"


def build_records(
    domain: str,
    token: str,
    selector: str,
    public_key: str,
    platform: PlatformSettings,
) -> list[RecordSpec]:
    """Return every record for `domain`, required ones first."""
    dkim_value = dkim_record_value(public_key)
    bounce_target = platform.bounce_host.rstrip(".").lower() + "."
    dkim_label = f"{selector}._domainkey"
    return [
        _txt(OWNERSHIP, domain, platform.ownership_label, ownership_value(token)),
        _txt(DKIM, domain, dkim_label, dkim_value),
        RecordSpec(
            purpose=BOUNCE,
            rtype="CNAME",
            name=f"{platform.bounce_label}.{domain}",
            label=platform.bounce_label,
            value=bounce_target,
            required=True,
        ),
        _txt(DMARC, domain, "_dmarc", SUGGESTED_DMARC),
        RecordSpec(
            purpose=SPF, rtype="TXT", name=domain, label="@", value="", required=False
        ),
    ]


def _txt(purpose: str, domain: str, label: str, value: str) -> RecordSpec:
    return RecordSpec(
        purpose=purpose,
        rtype="TXT",
        name=f"{label}.{domain}",
        label=label,
        value=value,
        required=True,
        strings=split_txt(value),
    )


def records_for(
    identity: SenderIdentity, platform: PlatformSettings
) -> list[RecordSpec]:
    """Return the records of a requested sender, or raise if none was requested."""
    if (
        identity.domain is None
        or identity.ownership_token is None
        or identity.dkim_selector is None
        or identity.dkim_public_key is None
    ):
        raise InvalidInput(
            "no custom From address has been requested for this tenant; "
            "request one with `mailroom sender request`"
        )
    return build_records(
        identity.domain,
        identity.ownership_token,
        identity.dkim_selector,
        identity.dkim_public_key,
        platform,
    )
