"""Database tables: tenants, templates, sender identities and the audit log.

Every table is created and upgraded by the Alembic migrations in
`store/migrations`; a test checks that the migrations yield these models.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def format_utc(moment: datetime) -> str:
    """Write a timestamp the way messages show it: `2026-12-04 11:30:00 UTC`."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and read back timezone-aware.

    SQLite keeps no offset, so every value is converted to UTC on the way in
    and marked as UTC on the way out; PostgreSQL gets the same naive column.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Any
    ) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime | None, dialect: Any
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Tenant(SQLModel, table=True):
    """A company profile on the platform."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=63)
    name: str = Field(max_length=200)
    primary_user: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Template(SQLModel, table=True):
    """The message a tenant sends for one document kind."""

    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
    subject: str
    text_body: str
    html_body: str | None = None
    # Normalised Reply-To: a list of {"name": str, "address": str} objects.
    reply_to: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    enabled: bool = True
    version: int = 1
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_by: str = Field(max_length=320)


class SenderIdentity(SQLModel, table=True):
    """The From address a tenant's mail goes out under, and its state."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", unique=True, ondelete="CASCADE")
    state: str = Field(default="default", max_length=20)
    requested_address: str | None = Field(default=None, max_length=320)
    domain: str | None = Field(default=None, max_length=253)
    requested_by: str | None = Field(default=None, max_length=320)
    requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state_changed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Why the sender is in its state, in one sentence for the sender view.
    state_reason: str = Field(default="", max_length=500)
    ownership_token: str | None = Field(default=None, max_length=64)
    dkim_selector: str | None = Field(default=None, max_length=63)
    # Base64 DER SubjectPublicKeyInfo, as published in the DKIM record's p= tag.
    dkim_public_key: str | None = Field(default=None, max_length=1024)
    # PEM RSAPrivateKey (PKCS #1). A secret: never print, log or audit it.
    dkim_private_key: str | None = Field(default=None, repr=False)
    last_check_run_id: str | None = Field(default=None, max_length=32)


class AuditEvent(SQLModel, table=True):
    """Who did what to which tenant, when, with the values before and after."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True)
    actor: str = Field(max_length=320)
    action: str = Field(max_length=60)
    target: str = Field(default="", max_length=200)
    before: Any = Field(default=None, sa_column=Column(JSON))
    after: Any = Field(default=None, sa_column=Column(JSON))
    change_id: str | None = Field(default=None, index=True, max_length=32)
    created_at: datetime = Field(
        default_factory=utc_now, index=True, sa_type=UTCDateTime
    )


class ReplyToChange(SQLModel, table=True):
    """One bulk Reply-To update, kept so that it can be undone."""

    id: str = Field(primary_key=True, max_length=32)
    tenant_id: int = Field(foreign_key="tenant.id", index=True, ondelete="CASCADE")
    actor: str = Field(max_length=320)
    # One entry per template: {"kind", "old", "new", "version"}, where
    # "version" is the template's version right after this change.
    entries: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    undone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# The outbox tables live with the delivery code; importing them here puts
# them on the same metadata, which the migrations compare against.
import store.delivery.tables  # noqa: E402, F401
import store.sender.tables  # noqa: E402, F401  (the sender history, likewise)
