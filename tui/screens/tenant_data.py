"""Reads for the tenant's screens: template rows, one template, the sender.

Importing SQLModel and SQLAlchemy took about 0.4 s on the project's 2-core
machine (`python -X importtime`), nearly as long as a bare Textual app takes
to paint its first frame as a whole process (about 0.47 s in
bench/startup_bench.py), so the template list's first frame cannot wait for
it. When the database is an SQLite file whose schema is already current, the
list's rows are read with the standard `sqlite3` module, and the store (which
imports SQLModel) opens in a worker after the first paint. Any other
database, or a schema that needs a migration, goes through the store.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from store.kinds import TemplateKind
from store.migrations import HEAD_REVISIONS

if TYPE_CHECKING:
    from store.db import Database
    from store.sender.effective import EffectiveSender
    from store.settings import PlatformSettings

Mailbox = dict[str, str]


@dataclass(frozen=True)
class TemplateRow:
    """One template as the list shows it."""

    kind: TemplateKind
    subject: str
    reply_to: list[Mailbox]
    enabled: bool
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class TenantTemplates:
    """A tenant's name and its templates in kind order."""

    slug: str
    name: str
    rows: list[TemplateRow]


def format_utc(moment: datetime) -> str:
    """Write a timestamp as `2026-12-04 11:30:00 UTC`.

    The same format as `store.models.format_utc`, which imports SQLModel and
    so cannot be used before the first frame.
    """
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def sqlite_path(url: str) -> str | None:
    """Return the file of an `sqlite:///PATH` URL, or None for any other URL."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url.removeprefix(prefix)
    if not path or path == ":memory:":
        return None
    return path


def read_with_sqlite3(path: str, slug: str) -> TenantTemplates | None:
    """Read a tenant's templates straight from an SQLite file.

    Returns None when the file cannot be read this way (missing, locked,
    schema not current, tenant not found), so that the caller falls back to
    the store, which reports the problem in its own words.
    """
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        return _read(connection, slug)
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def _read(connection: sqlite3.Connection, slug: str) -> TenantTemplates | None:
    revisions = {row[0] for row in connection.execute(_REVISIONS)}
    if revisions != HEAD_REVISIONS:
        return None

    tenant = connection.execute(_TENANT, (slug,)).fetchone()
    if tenant is None:
        return None

    tenant_id, name = tenant
    rows = [_row(*values) for values in connection.execute(_TEMPLATES, (tenant_id,))]
    return TenantTemplates(slug, name, sort_rows(rows))


_REVISIONS = "SELECT version_num FROM alembic_version"
_TENANT = "SELECT id, name FROM tenant WHERE slug = ?"
_TEMPLATES = (
    "SELECT kind, subject, reply_to, enabled, version, updated_at, updated_by "
    "FROM template WHERE tenant_id = ?"
)


def _row(
    kind: str,
    subject: str,
    reply_to: str | None,
    enabled: int,
    version: int,
    updated_at: str,
    updated_by: str,
) -> TemplateRow:
    # SQLAlchemy stores DateTime in SQLite as ISO text without an offset, and
    # the store's UTCDateTime column keeps it in UTC.
    moment = datetime.fromisoformat(updated_at).replace(tzinfo=UTC)
    return TemplateRow(
        kind=TemplateKind(kind),
        subject=subject,
        reply_to=json.loads(reply_to) if reply_to else [],
        enabled=bool(enabled),
        version=version,
        updated_at=moment,
        updated_by=updated_by,
    )


def read_with_store(db: Database, slug: str) -> TenantTemplates:
    """Read a tenant's templates through the store; raises `NotFound`."""
    from store.templates import list_templates
    from store.tenants import get_tenant

    with db.read() as session:
        tenant = get_tenant(session, slug)
        assert tenant.id is not None
        templates = list_templates(session, tenant.id)
        rows = [_row_from_model(template) for template in templates]
    return TenantTemplates(slug, tenant.name, sort_rows(rows))


def _row_from_model(template: Any) -> TemplateRow:
    return TemplateRow(
        kind=TemplateKind(template.kind),
        subject=template.subject,
        reply_to=list(template.reply_to or []),
        enabled=template.enabled,
        version=template.version,
        updated_at=template.updated_at,
        updated_by=template.updated_by,
    )


def sort_rows(rows: list[TemplateRow]) -> list[TemplateRow]:
    """Order rows as the kinds are declared: sales first, then purchases."""
    order = {kind: index for index, kind in enumerate(TemplateKind)}
    return sorted(rows, key=lambda row: order[row.kind])


@dataclass(frozen=True)
class SenderSummary:
    """The From in effect for a tenant and the state of its own address."""

    tenant_name: str
    effective: EffectiveSender
    state: str
    requested_address: str | None
    requested_by: str | None
    state_changed_at: datetime | None
    last_checked_at: datetime | None


def read_sender(db: Database, slug: str, platform: PlatformSettings) -> SenderSummary:
    """Read the tenant's sender identity and decide the From in effect now."""
    from sqlmodel import select

    from store.models import SenderIdentity
    from store.sender.effective import effective_sender
    from store.tenants import get_tenant

    with db.read() as session:
        tenant = get_tenant(session, slug)
        query = select(SenderIdentity).where(SenderIdentity.tenant_id == tenant.id)
        identity = session.exec(query).first()
    return SenderSummary(
        tenant_name=tenant.name,
        effective=effective_sender(tenant, identity, platform),
        state=identity.state if identity else "default",
        requested_address=identity.requested_address if identity else None,
        requested_by=identity.requested_by if identity else None,
        state_changed_at=identity.state_changed_at if identity else None,
        last_checked_at=identity.last_checked_at if identity else None,
    )


@dataclass(frozen=True)
class EditableTemplate:
    """One template as saved, with what its editor's preview needs."""

    slug: str
    kind: TemplateKind
    subject: str
    text_body: str
    html_body: str
    reply_to: list[Mailbox]
    enabled: bool
    version: int
    updated_at: datetime
    updated_by: str
    sender: SenderSummary


def read_template(
    db: Database, slug: str, kind: TemplateKind, platform: PlatformSettings
) -> EditableTemplate:
    """Read one template and the tenant's sender; raises `NotFound`."""
    from store.templates import get_template
    from store.tenants import get_tenant

    sender = read_sender(db, slug, platform)
    with db.read() as session:
        template = get_template(session, get_tenant(session, slug), kind)
    return EditableTemplate(
        slug=slug,
        kind=kind,
        subject=template.subject,
        text_body=template.text_body,
        html_body=template.html_body or "",
        reply_to=list(template.reply_to or []),
        enabled=template.enabled,
        version=template.version,
        updated_at=template.updated_at,
        updated_by=template.updated_by,
        sender=sender,
    )
