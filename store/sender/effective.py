"""The From address in effect for a tenant right now, and why."""

from dataclasses import dataclass

from store.models import SenderIdentity, Tenant
from store.settings import PlatformSettings

# States in which mail goes from the company's own address.
CUSTOM_FROM_STATES = frozenset({"active"})


@dataclass(frozen=True)
class EffectiveSender:
    """The From a message gets now, the envelope sender, and the reason."""

    address: str
    display_name: str
    is_custom: bool
    reason: str
    envelope_from: str


def effective_sender(
    tenant: Tenant, identity: SenderIdentity | None, platform: PlatformSettings
) -> EffectiveSender:
    """Decide the From address for `tenant` from its sender state."""
    if (
        identity is not None
        and identity.state in CUSTOM_FROM_STATES
        and identity.requested_address
    ):
        address = identity.requested_address
        # The envelope needs the ASCII (A-label) form of an IDN domain.
        domain = identity.domain or address.rpartition("@")[2]
        return EffectiveSender(
            address=address,
            display_name=tenant.name,
            is_custom=True,
            reason=f"the company's own address is active; DNS for {domain} checks out",
            envelope_from=f"bounces@{platform.bounce_label}.{domain}",
        )

    return EffectiveSender(
        address=platform.default_from,
        display_name=tenant.name,
        is_custom=False,
        reason=_platform_reason(identity),
        envelope_from=f"bounces@{platform.bounce_host}",
    )


def _platform_reason(identity: SenderIdentity | None) -> str:
    state = identity.state if identity is not None else "default"
    reasons = {
        "default": "no custom From address has been requested",
        "pending_dns": "the custom address waits for its DNS records to be published",
        "verified": "the DNS records check out; the DKIM self-test has not passed yet",
        "degraded": (
            "a re-check of the custom address failed; "
            "the platform address is used until it passes"
        ),
        "failed": (
            "the custom address failed verification; "
            "fix its DNS records and verify again, or request it again"
        ),
    }
    return reasons.get(state, f"the sender is in state {state}")
