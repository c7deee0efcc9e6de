"""Tenants: creating a company profile with its templates, finding one."""

import re
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from store import audit
from store.addresses import has_line_break, normalise_address
from store.db import Database
from store.defaults import DEFAULT_TEMPLATES
from store.errors import InvalidInput, NotFound
from store.kinds import TemplateKind
from store.models import SenderIdentity, Template, Tenant

# A slug is a DNS-label-like name: it appears in URLs and command lines.
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def validate_slug(slug: str) -> str:
    """Return `slug` if it is usable, else raise with the rule it breaks."""
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(
            f"invalid tenant slug {slug!r}: use 1 to 63 lowercase letters, digits "
            "and hyphens, starting and ending with a letter or digit"
        )
    return slug


def validate_name(name: str) -> str:
    """Return the company name stripped, or raise if it is empty or multi-line."""
    stripped = name.strip()
    if not stripped:
        raise InvalidInput("the company name is empty; give the name customers know")
    if has_line_break(stripped):
        raise InvalidInput(f"company name {name!r} contains a line break; remove it")
    if len(stripped) > 200:
        raise InvalidInput(
            f"company name is {len(stripped)} characters; the maximum is 200"
        )
    return stripped


def create_tenant(
    db: Database, slug: str, name: str, primary_user: str, actor: str
) -> Tenant:
    """Create a tenant with one default template of every kind."""
    slug = validate_slug(slug)
    name = validate_name(name)
    primary_user = normalise_address(primary_user)

    with db.write() as session:
        if find_tenant(session, slug) is not None:
            raise InvalidInput(f"tenant {slug!r} already exists; choose another slug")
        tenant = Tenant(slug=slug, name=name, primary_user=primary_user)
        session.add(tenant)
        session.flush()
        assert tenant.id is not None
        add_default_templates(session, tenant.id, actor)
        session.add(SenderIdentity(tenant_id=tenant.id))
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="tenant.create",
            target=slug,
            after={"slug": slug, "name": name, "primary_user": primary_user},
        )
    return tenant


def add_default_templates(session: Session, tenant_id: int, actor: str) -> None:
    """Add the default template of every kind to a new tenant."""
    for kind in TemplateKind:
        default = DEFAULT_TEMPLATES[kind]
        session.add(
            Template(
                tenant_id=tenant_id,
                kind=kind.value,
                subject=default.subject,
                text_body=default.text_body,
                updated_by=actor,
            )
        )


def find_tenant(session: Session, slug: str) -> Tenant | None:
    """Return the tenant with this slug, or None."""
    return session.exec(select(Tenant).where(Tenant.slug == slug)).first()


def get_tenant(session: Session, slug: str) -> Tenant:
    """Return the tenant with this slug, or raise `NotFound`."""
    tenant = find_tenant(session, slug)
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}; `mailroom tenants list` shows the slugs")
    return tenant


def list_tenants(
    session: Session, search: str | None = None, limit: int | None = None
) -> list[Tenant]:
    """Return tenants in slug order, filtered by text in slug, name or user."""
    dialect = session.get_bind().dialect.name
    return list(session.exec(search_query(search, limit, dialect)))


def search_query(
    search: str | None = None, limit: int | None = None, dialect: str = "sqlite"
) -> SelectOfScalar[Tenant]:
    """Build the query behind `list_tenants`, case-insensitive on `search`."""
    query = select(Tenant).order_by(col(Tenant.slug))
    if search:
        pattern = "%" + _escape_like(search.strip()) + "%"
        columns = [col(Tenant.slug), col(Tenant.name), col(Tenant.primary_user)]
        query = query.where(
            or_(*(_contains(column, pattern, dialect) for column in columns))
        )
    if limit is not None:
        query = query.limit(limit)
    return query


def _contains(column: Any, pattern: str, dialect: str) -> Any:
    # SQLite's LIKE already ignores ASCII letter case, and its lower() maps
    # no other letters, so wrapping both sides in lower() (what ilike does
    # there) only costs time: about half of a 10,000-tenant search.
    if dialect == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tenant_as_dict(tenant: Tenant) -> dict[str, object]:
    """Return the tenant's public fields for JSON output."""
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "primary_user": tenant.primary_user,
        "created_at": tenant.created_at,
    }
