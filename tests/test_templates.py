"""Tenants and templates: creation, saving, version conflicts, audit."""

import pytest
from sqlmodel import select

from store.db import Database
from store.errors import Conflict, InvalidInput
from store.kinds import TemplateKind
from store.models import AuditEvent, Template
from store.templates import TemplateEdit, get_template, list_templates, save_template
from store.tenants import create_tenant, get_tenant, list_tenants
from tests.factories import OWNER, make_tenant


def test_new_tenant_has_one_template_of_each_kind(db: Database) -> None:
    tenant = make_tenant(db)

    with db.read() as session:
        kinds = [template.kind for template in list_templates(session, tenant.id)]

    assert kinds == [kind.value for kind in TemplateKind]


def test_duplicate_slug_is_rejected(db: Database) -> None:
    make_tenant(db)

    with pytest.raises(InvalidInput, match="'acme' already exists"):
        make_tenant(db)


@pytest.mark.parametrize(
    "slug", ["Acme", "-acme", "acme-", "ac me", "", "a" * 64, "acmé"]
)
def test_bad_slug_is_rejected(db: Database, slug: str) -> None:
    with pytest.raises(InvalidInput, match="invalid tenant slug"):
        create_tenant(db, slug, "Acme", OWNER, OWNER)


def test_bad_primary_user_is_rejected_and_nothing_written(db: Database) -> None:
    with pytest.raises(InvalidInput, match="not-an-email"):
        create_tenant(db, "acme", "Acme", "not-an-email", OWNER)

    with db.read() as session:
        assert list_tenants(session) == []


def test_search_matches_slug_name_and_user(db: Database) -> None:
    create_tenant(db, "acme", "Acme GmbH", "owner@acme.example", OWNER)
    create_tenant(db, "globex", "Globex 100% Corp", "boss@globex.example", OWNER)

    with db.read() as session:
        by_name = [t.slug for t in list_tenants(session, "GMBH")]
        by_user = [t.slug for t in list_tenants(session, "boss@")]
        by_percent = [t.slug for t in list_tenants(session, "100%")]
        by_underscore = [t.slug for t in list_tenants(session, "_")]

    assert by_name == ["acme"]
    assert by_user == ["globex"]
    assert by_percent == ["globex"]
    assert by_underscore == []


def test_save_bumps_version_and_audits(db: Database) -> None:
    make_tenant(db)

    saved = save_template(
        db,
        "acme",
        TemplateKind.INVOICE,
        TemplateEdit(subject="Bill {{ document.number }}"),
        actor="clerk@acme.example",
        base_version=1,
    )

    assert saved.version == 2
    with db.read() as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "template.update")
        ).one()
    assert event.actor == "clerk@acme.example"
    assert event.target == "invoice"
    assert event.before["subject"].startswith("Invoice")
    assert event.after["subject"] == "Bill {{ document.number }}"


def test_stale_save_is_a_conflict_naming_the_author(db: Database) -> None:
    make_tenant(db)
    save_template(
        db,
        "acme",
        TemplateKind.QUOTE,
        TemplateEdit(subject="First"),
        "ann@acme.example",
        1,
    )

    with pytest.raises(Conflict) as caught:
        save_template(
            db,
            "acme",
            TemplateKind.QUOTE,
            TemplateEdit(subject="Second"),
            "bob@acme.example",
            1,
        )

    assert "ann@acme.example" in caught.value.message
    assert "version 2" in caught.value.message
    with db.read() as session:
        quote = get_template(session, get_tenant(session, "acme"), TemplateKind.QUOTE)
    assert quote.subject == "First"


def test_save_that_does_not_render_writes_nothing(db: Database) -> None:
    make_tenant(db)
    edit = TemplateEdit(subject="New subject", text_body="Hello\n\n{% if %}\n")

    with pytest.raises(InvalidInput, match="line 3"):
        save_template(db, "acme", TemplateKind.INVOICE, edit, OWNER)

    with db.read() as session:
        invoice = session.exec(select(Template).where(Template.kind == "invoice")).one()
    assert invoice.version == 1
    assert invoice.subject != "New subject"


def test_subject_with_line_break_is_rejected(db: Database) -> None:
    make_tenant(db)

    with pytest.raises(InvalidInput, match="line break"):
        save_template(
            db,
            "acme",
            TemplateKind.INVOICE,
            TemplateEdit(subject="A\r\nBcc: x@y.example"),
            OWNER,
        )


def test_empty_html_removes_html_body(db: Database) -> None:
    make_tenant(db)
    save_template(
        db,
        "acme",
        TemplateKind.INVOICE,
        TemplateEdit(html_body="<p>{{ company.name }}</p>"),
        OWNER,
    )

    saved = save_template(
        db, "acme", TemplateKind.INVOICE, TemplateEdit(html_body=""), OWNER
    )

    assert saved.html_body is None
    assert saved.version == 3
