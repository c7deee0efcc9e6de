"""Plain values for the sender screen and `mailroom sender show`."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.sender.effective import EffectiveSender
from store.sender.records import RecordSpec
from store.sender.results import NOT_CHECKED


@dataclass(frozen=True)
class RecordRow:
    """One record to publish, with the result of its latest check."""

    spec: RecordSpec
    status: str = NOT_CHECKED
    message: str = "Not checked yet; run a verification once the record is published."
    found: tuple[str, ...] = ()
    found_name: str | None = None
    server: str = ""
    ttl: int | None = None
    checked_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the record and its check as JSON-ready values."""
        return {
            **self.spec.as_dict(),
            "status": self.status,
            "message": self.message,
            "found": list(self.found),
            "found_name": self.found_name,
            "server": self.server,
            "ttl": self.ttl,
            "checked_at": self.checked_at,
        }


@dataclass(frozen=True)
class SenderView:
    """A tenant's From address now, its custom address, state and records."""

    tenant: str
    tenant_name: str
    state: str
    state_reason: str
    state_changed_at: datetime
    effective: EffectiveSender
    address: str | None = None
    ascii_address: str | None = None
    domain: str | None = None
    domain_unicode: str | None = None
    requested_by: str | None = None
    requested_at: datetime | None = None
    last_checked_at: datetime | None = None
    records: tuple[RecordRow, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """Return the view as JSON-ready values."""
        return {
            "tenant": self.tenant,
            "state": self.state,
            "state_reason": self.state_reason,
            "state_changed_at": self.state_changed_at,
            "effective_from": self.effective.address,
            "effective_from_name": self.effective.display_name,
            "effective_is_custom": self.effective.is_custom,
            "effective_reason": self.effective.reason,
            "envelope_from": self.effective.envelope_from,
            "custom_address": self.address,
            "custom_address_ascii": self.ascii_address,
            "domain": self.domain,
            "domain_unicode": self.domain_unicode,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at,
            "last_checked_at": self.last_checked_at,
            "records": [row.as_dict() for row in self.records],
        }


@dataclass(frozen=True)
class HistoryEntry:
    """One event in a sender's history: a check run or a state transition."""

    time: datetime
    kind: str
    actor: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-ready values."""
        return {
            "time": self.time,
            "kind": self.kind,
            "actor": self.actor,
            "summary": self.summary,
            "details": self.details,
        }
