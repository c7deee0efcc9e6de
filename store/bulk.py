"""Bulk Reply-To: one address list on many templates at once, and its undo."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from store import audit
from store.addresses import Mailbox, format_reply_to
from store.db import Database
from store.errors import Conflict, InvalidInput, NotFound
from store.kinds import Group, TemplateKind, kinds_in
from store.models import ReplyToChange, Template, Tenant, format_utc, utc_now
from store.templates import list_templates
from store.tenants import get_tenant


@dataclass(frozen=True)
class Scope:
    """The set of templates a bulk update touches: all, a group, or listed kinds."""

    kinds: frozenset[TemplateKind]
    description: str

    @classmethod
    def all(cls) -> "Scope":
        """Return the scope of every template of the tenant."""
        return cls(frozenset(TemplateKind), "all templates")

    @classmethod
    def group(cls, group: Group) -> "Scope":
        """Return the scope of one group, sales or purchases."""
        return cls(frozenset(kinds_in(group)), f"{group.value} templates")

    @classmethod
    def of_kinds(cls, kinds: Iterable[TemplateKind]) -> "Scope":
        """Return the scope of the listed kinds."""
        chosen = frozenset(kinds)
        if not chosen:
            raise InvalidInput("no template kinds chosen; name at least one kind")
        names = ", ".join(kind.value for kind in TemplateKind if kind in chosen)
        return cls(chosen, names)


@dataclass(frozen=True)
class ReplyToUpdate:
    """One template's Reply-To before and after a bulk update."""

    kind: TemplateKind
    old: list[Mailbox]
    new: list[Mailbox]

    def as_dict(self) -> dict[str, str]:
        """Return the change as text, for output and the audit log."""
        return {
            "kind": self.kind.value,
            "old": format_reply_to(self.old),
            "new": format_reply_to(self.new),
        }


@dataclass(frozen=True)
class BulkResult:
    """The changes of a bulk update, or those a dry run would make."""

    change_id: str | None
    updates: list[ReplyToUpdate]
    unchanged: list[TemplateKind]
    dry_run: bool


def set_reply_to(
    db: Database,
    slug: str,
    reply_to: list[Mailbox],
    scope: Scope,
    actor: str,
    dry_run: bool = False,
) -> BulkResult:
    """Set the same Reply-To on every template in `scope`, in one transaction."""
    with db.write() as session:
        tenant = get_tenant(session, slug)
        chosen = [
            t
            for t in list_templates(session, _id(tenant))
            if TemplateKind(t.kind) in scope.kinds
        ]
        changing = [t for t in chosen if t.reply_to != reply_to]
        updates = [
            ReplyToUpdate(TemplateKind(t.kind), t.reply_to, reply_to) for t in changing
        ]
        unchanged = [TemplateKind(t.kind) for t in chosen if t.reply_to == reply_to]
        if dry_run or not changing:
            session.rollback()
            return BulkResult(None, updates, unchanged, dry_run)

        change_id = secrets.token_hex(4)
        entries = [_apply(session, t, reply_to, actor) for t in changing]
        session.add(
            ReplyToChange(
                id=change_id, tenant_id=_id(tenant), actor=actor, entries=entries
            )
        )
        _audit_bulk(
            session,
            tenant,
            actor,
            "reply_to.bulk_set",
            entries,
            change_id,
            scope.description,
        )
    return BulkResult(change_id, updates, unchanged, dry_run=False)


def _apply(
    session: Session, template: Template, reply_to: list[Mailbox], actor: str
) -> dict:
    """Set one template's Reply-To; return the undo entry for it."""
    old = template.reply_to
    template.reply_to = reply_to
    template.version += 1
    template.updated_at = utc_now()
    template.updated_by = actor
    session.add(template)
    return {
        "kind": template.kind,
        "old": old,
        "new": reply_to,
        "version": template.version,
    }


def _audit_bulk(
    session: Session,
    tenant: Tenant,
    actor: str,
    action: str,
    entries: list[dict],
    change_id: str,
    scope: str,
) -> None:
    """Record one audit event per template changed, tied by the change id."""
    for entry in entries:
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=actor,
            action=action,
            target=entry["kind"],
            before={"reply_to": entry["old"]},
            after={"reply_to": entry["new"], "scope": scope},
            change_id=change_id,
        )


def undo_reply_to(db: Database, slug: str, change_id: str, actor: str) -> BulkResult:
    """Restore the Reply-To values that bulk update `change_id` replaced.

    Refused as a whole when any of its templates was changed since, so an
    undo never overwrites a later edit.
    """
    with db.write() as session:
        tenant = get_tenant(session, slug)
        change = session.get(ReplyToChange, change_id)
        if change is None or change.tenant_id != tenant.id:
            raise NotFound(
                f"no Reply-To change {change_id!r} for tenant {slug!r}; "
                "`mailroom audit` lists the change ids"
            )
        if change.undone_at is not None:
            raise InvalidInput(
                f"change {change_id} was undone at {format_utc(change.undone_at)}"
            )

        templates = {t.kind: t for t in list_templates(session, _id(tenant))}
        _refuse_if_changed_since(change, templates)
        undo_entries = [
            _apply(session, templates[e["kind"]], e["old"], actor)
            for e in change.entries
        ]
        change.undone_at = utc_now()
        session.add(change)
        _audit_bulk(
            session, tenant, actor, "reply_to.undo", undo_entries, change_id, "undo"
        )

    updates = [
        ReplyToUpdate(TemplateKind(e["kind"]), e["old"], e["new"]) for e in undo_entries
    ]
    return BulkResult(change_id, updates, [], dry_run=False)


def _refuse_if_changed_since(
    change: ReplyToChange, templates: dict[str, Template]
) -> None:
    changed = [
        templates[entry["kind"]]
        for entry in change.entries
        if templates[entry["kind"]].version != entry["version"]
    ]
    if changed:
        details = "; ".join(
            f"{t.kind} (changed by {t.updated_by} at {format_utc(t.updated_at)})"
            for t in changed
        )
        raise Conflict(
            f"cannot undo change {change.id}: templates changed since: {details}; "
            "set their Reply-To again instead"
        )


def _id(tenant: Tenant) -> int:
    assert tenant.id is not None
    return tenant.id
