"""Templates: reading, checking and saving with a version check."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from store import audit
from store.addresses import Mailbox, format_reply_to, has_line_break
from store.db import Database
from store.errors import Conflict, InvalidInput, NotFound
from store.kinds import TemplateKind
from store.models import Template, Tenant, format_utc, utc_now
from store.render import render_message, sample_context
from store.tenants import get_tenant

KIND_ORDER = {kind.value: index for index, kind in enumerate(TemplateKind)}

# Template fields that a save may change.
EDITABLE_FIELDS = ("subject", "text_body", "html_body", "reply_to", "enabled")


@dataclass(frozen=True)
class TemplateEdit:
    """New values for a template; a field left as None keeps its value.

    `html_body` set to an empty string removes the HTML body.
    """

    subject: str | None = None
    text_body: str | None = None
    html_body: str | None = None
    reply_to: list[Mailbox] | None = None
    enabled: bool | None = None

    def changes(self) -> dict[str, Any]:
        """Return the fields this edit sets, with their new values."""
        values = {name: getattr(self, name) for name in EDITABLE_FIELDS}
        changed = {name: value for name, value in values.items() if value is not None}
        if changed.get("html_body") == "":
            changed["html_body"] = None
        return changed


def list_templates(session: Session, tenant_id: int) -> list[Template]:
    """Return a tenant's templates in the order kinds are listed."""
    templates = session.exec(templates_query(tenant_id))
    return sorted(templates, key=lambda template: KIND_ORDER.get(template.kind, 99))


def templates_query(tenant_id: int) -> SelectOfScalar[Template]:
    """Build the query behind `list_templates`."""
    return select(Template).where(Template.tenant_id == tenant_id)


def get_template(session: Session, tenant: Tenant, kind: TemplateKind) -> Template:
    """Return the tenant's template of `kind`, or raise `NotFound`."""
    query = select(Template).where(
        Template.tenant_id == tenant.id, Template.kind == kind.value
    )
    template = session.exec(query).first()
    if template is None:
        raise NotFound(f"tenant {tenant.slug!r} has no {kind.value} template")
    return template


def check_template(template: Template, tenant: Tenant) -> None:
    """Raise `InvalidInput` unless the template renders against its sample data."""
    if has_line_break(template.subject):
        raise InvalidInput("the subject contains a line break; a subject is one line")

    context = sample_context(TemplateKind(template.kind), company_name=tenant.name)
    result = render_message(
        template.subject, template.text_body, template.html_body, context
    )
    if result.errors:
        error = result.errors[0]
        where = f" on line {error.line}" if error.line else ""
        raise InvalidInput(
            f"{template.kind} {error.field.replace('_', ' ')}{where}: {error.message}"
        )


def save_template(
    db: Database,
    slug: str,
    kind: TemplateKind,
    edit: TemplateEdit,
    actor: str,
    base_version: int | None = None,
) -> Template:
    """Apply `edit` to a template, refusing if it changed since `base_version`.

    Without `base_version` the edit applies to whatever version is current
    when the transaction starts, which suits one-shot commands.
    """
    with db.write() as session:
        tenant = get_tenant(session, slug)
        template = get_template(session, tenant, kind)
        if base_version is not None and template.version != base_version:
            raise _conflict(template, base_version)

        before = template_snapshot(template)
        for name, value in edit.changes().items():
            setattr(template, name, value)
        check_template(template, tenant)
        if template_snapshot(template) == before:
            return template

        template.version += 1
        template.updated_at = utc_now()
        template.updated_by = actor
        session.add(template)
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action="template.update",
            target=kind.value,
            before=before,
            after=template_snapshot(template),
        )
    return template


def _conflict(template: Template, base_version: int) -> Conflict:
    return Conflict(
        f"the {template.kind} template was changed by {template.updated_by} at "
        f"{format_utc(template.updated_at)} (version {template.version}, "
        f"you edited version {base_version}); reload it and apply your change again"
    )


def template_snapshot(template: Template) -> dict[str, Any]:
    """Return the editable fields of a template, for the audit log."""
    return {name: getattr(template, name) for name in EDITABLE_FIELDS}


def template_as_dict(template: Template) -> dict[str, Any]:
    """Return a template's fields for JSON output."""
    return {
        "kind": template.kind,
        "group": TemplateKind(template.kind).group.value,
        "subject": template.subject,
        "text_body": template.text_body,
        "html_body": template.html_body,
        "reply_to": template.reply_to,
        "reply_to_text": format_reply_to(template.reply_to),
        "enabled": template.enabled,
        "version": template.version,
        "updated_at": template.updated_at,
        "updated_by": template.updated_by,
    }
