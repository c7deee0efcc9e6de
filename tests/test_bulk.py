"""Bulk Reply-To: scopes, dry run, undo and its refusal, audit."""

import pytest
from sqlmodel import select

from store.addresses import parse_reply_to
from store.bulk import Scope, set_reply_to, undo_reply_to
from store.db import Database
from store.errors import Conflict, InvalidInput, NotFound
from store.kinds import Group, TemplateKind
from store.models import AuditEvent, Template
from store.templates import TemplateEdit, save_template
from tests.factories import OWNER, make_tenant

ACCOUNTS = parse_reply_to('"Accounts, Acme" <accounts@acme.example>')


def reply_to_by_kind(db: Database) -> dict[str, list]:
    with db.read() as session:
        return {t.kind: t.reply_to for t in session.exec(select(Template))}


def test_all_sets_every_template(db: Database) -> None:
    make_tenant(db)

    result = set_reply_to(db, "acme", ACCOUNTS, Scope.all(), OWNER)

    assert len(result.updates) == 11
    assert all(value == ACCOUNTS for value in reply_to_by_kind(db).values())


def test_kinds_set_only_those(db: Database) -> None:
    make_tenant(db)
    scope = Scope.of_kinds([TemplateKind.INVOICE, TemplateKind.CREDIT_NOTE])

    set_reply_to(db, "acme", ACCOUNTS, scope, OWNER)

    changed = sorted(kind for kind, value in reply_to_by_kind(db).items() if value)
    assert changed == ["credit_note", "invoice"]


def test_group_purchases_sets_only_purchases(db: Database) -> None:
    make_tenant(db)

    set_reply_to(db, "acme", ACCOUNTS, Scope.group(Group.PURCHASES), OWNER)

    changed = sorted(kind for kind, value in reply_to_by_kind(db).items() if value)
    assert changed == ["purchase_order", "remittance_advice"]


def test_dry_run_lists_changes_and_writes_nothing(db: Database) -> None:
    make_tenant(db)

    result = set_reply_to(
        db, "acme", ACCOUNTS, Scope.group(Group.SALES), OWNER, dry_run=True
    )

    assert [update.kind.value for update in result.updates][:2] == [
        "quote",
        "sales_order",
    ]
    assert len(result.updates) == 9
    assert result.change_id is None
    assert all(value == [] for value in reply_to_by_kind(db).values())


def test_same_value_again_changes_nothing(db: Database) -> None:
    make_tenant(db)
    set_reply_to(db, "acme", ACCOUNTS, Scope.all(), OWNER)

    again = set_reply_to(db, "acme", ACCOUNTS, Scope.all(), OWNER)

    assert again.updates == []
    assert len(again.unchanged) == 11


def test_undo_restores_previous_values(db: Database) -> None:
    make_tenant(db)
    sales = parse_reply_to("sales@acme.example")
    set_reply_to(db, "acme", sales, Scope.of_kinds([TemplateKind.QUOTE]), OWNER)
    change = set_reply_to(db, "acme", ACCOUNTS, Scope.all(), OWNER)

    undo_reply_to(db, "acme", change.change_id, OWNER)

    values = reply_to_by_kind(db)
    assert values["quote"] == sales
    assert values["invoice"] == []


def test_undo_twice_is_rejected(db: Database) -> None:
    make_tenant(db)
    change = set_reply_to(db, "acme", ACCOUNTS, Scope.all(), OWNER)
    undo_reply_to(db, "acme", change.change_id, OWNER)

    with pytest.raises(InvalidInput, match="was undone"):
        undo_reply_to(db, "acme", change.change_id, OWNER)


def test_undo_refused_after_later_edit(db: Database) -> None:
    make_tenant(db)
    change = set_reply_to(db, "acme", ACCOUNTS, Scope.all(), OWNER)
    save_template(
        db,
        "acme",
        TemplateKind.INVOICE,
        TemplateEdit(subject="Changed"),
        "ann@acme.example",
    )

    with pytest.raises(Conflict) as caught:
        undo_reply_to(db, "acme", change.change_id, OWNER)

    assert "invoice (changed by ann@acme.example" in caught.value.message
    assert reply_to_by_kind(db)["quote"] == ACCOUNTS


def test_undo_of_unknown_change_is_not_found(db: Database) -> None:
    make_tenant(db)

    with pytest.raises(NotFound, match="deadbeef"):
        undo_reply_to(db, "acme", "deadbeef", OWNER)


def test_audit_has_every_step(db: Database) -> None:
    make_tenant(db)
    change = set_reply_to(db, "acme", ACCOUNTS, Scope.group(Group.PURCHASES), OWNER)
    undo_reply_to(db, "acme", change.change_id, "ann@acme.example")

    with db.read() as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.change_id == change.change_id)
        ).all()

    actions = sorted((event.action, event.target, event.actor) for event in events)
    assert actions == [
        ("reply_to.bulk_set", "purchase_order", OWNER),
        ("reply_to.bulk_set", "remittance_advice", OWNER),
        ("reply_to.undo", "purchase_order", "ann@acme.example"),
        ("reply_to.undo", "remittance_advice", "ann@acme.example"),
    ]
    assert events[0].after["reply_to"] in (ACCOUNTS, [])
