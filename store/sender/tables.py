"""Tables of the sender history: check runs, record results and transitions.

`store/models.py` imports this module at its end, so the tables register on
`SQLModel.metadata` wherever the models are imported (Alembic included).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from store.models import UTCDateTime, utc_now


class SenderCheckRun(SQLModel, table=True):
    """One verification of a tenant's custom sender: every record, checked once."""

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    address: str = Field(max_length=320)
    actor: str = Field(max_length=320)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    finished_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    state_before: str = Field(max_length=20)
    state_after: str = Field(max_length=20)
    # "passed", the reason the DKIM self-test failed, or None when it did not run.
    self_test: str | None = Field(default=None, max_length=500)
    summary: str = Field(default="", max_length=300)


class SenderRecordCheck(SQLModel, table=True):
    """The result of checking one DNS record in a check run."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(
        foreign_key="sendercheckrun.id", index=True, ondelete="CASCADE", max_length=32
    )
    purpose: str = Field(max_length=20)
    rtype: str = Field(max_length=10)
    name: str = Field(max_length=300)
    expected: str
    required: bool
    status: str = Field(max_length=20)
    # The values found, TXT strings joined: the basis of the status.
    found: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    found_name: str | None = Field(default=None, max_length=300)
    server: str = Field(default="", max_length=200)
    ttl: int | None = None
    checked_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    message: str
    # Every answer seen, authoritative and recursive: `Answer.as_dict()` values.
    answers: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class SenderTransition(SQLModel, table=True):
    """A change of a sender's state, with the reason and who caused it."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    run_id: str | None = Field(
        default=None,
        foreign_key="sendercheckrun.id",
        ondelete="SET NULL",
        max_length=32,
    )
    address: str | None = Field(default=None, max_length=320)
    from_state: str = Field(max_length=20)
    to_state: str = Field(max_length=20)
    reason: str
    actor: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
