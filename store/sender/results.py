"""Record check statuses and the result of checking one record."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.dns.answers import Answer

NOT_CHECKED = "not_checked"
OK = "ok"
MISSING = "missing"
WRONG_VALUE = "wrong_value"
WRONG_PLACE = "wrong_place"
LOOKUP_ERROR = "lookup_error"

STATUSES = (NOT_CHECKED, OK, MISSING, WRONG_VALUE, WRONG_PLACE, LOOKUP_ERROR)


@dataclass(frozen=True)
class Verdict:
    """A check's conclusion about one record, before it is dated and stored."""

    status: str
    message: str
    found: tuple[str, ...] = ()
    # Where the record was found when that is not its own name (WRONG_PLACE),
    # or the name whose records were judged (a CNAME target, another
    # domain's DMARC record).
    found_name: str | None = None


@dataclass(frozen=True)
class RecordResult:
    """The result of checking one record, with what was expected and found."""

    purpose: str
    rtype: str
    name: str
    expected: str
    required: bool
    status: str
    message: str
    checked_at: datetime
    found: tuple[str, ...] = ()
    found_name: str | None = None
    server: str = ""
    ttl: int | None = None
    answers: tuple[Answer, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the record checks out."""
        return self.status == OK

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values."""
        return {
            "purpose": self.purpose,
            "type": self.rtype,
            "name": self.name,
            "expected": self.expected,
            "required": self.required,
            "status": self.status,
            "message": self.message,
            "found": list(self.found),
            "found_name": self.found_name,
            "server": self.server,
            "ttl": self.ttl,
            "checked_at": self.checked_at,
            "answers": [answer.as_dict() for answer in self.answers],
        }
