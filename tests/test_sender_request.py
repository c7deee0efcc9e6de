"""Requesting and cancelling a custom sender: who may, what is stored and audited."""

import json

import pytest
from sqlalchemy import text
from sqlmodel import select

from store.audit import events_for
from store.db import Database, make_engine, open_database
from store.errors import Conflict, InvalidInput, PermissionDenied
from store.migrations.runner import upgrade
from store.models import AuditEvent, SenderIdentity
from store.sender.records import DKIM, OWNERSHIP
from store.sender.service import (
    cancel_sender,
    request_sender,
    sender_history,
    sender_records,
    show_sender,
)
from store.sender.states import DEFAULT, PENDING_DNS
from store.settings import Settings
from tests.factories import OWNER, make_tenant

SETTINGS = Settings()
STRANGER = "support@platform.example"


@pytest.fixture
def tenant_db(db: Database) -> Database:
    """A database holding tenant "acme" whose primary user is OWNER."""
    make_tenant(db)
    return db


def audit_actions(db: Database) -> list[str]:
    """The audit actions of tenant "acme", oldest first."""
    with db.read() as session:
        tenant_id = session.exec(select(SenderIdentity.tenant_id)).one()
        return [event.action for event in reversed(events_for(session, tenant_id))]


def test_request_moves_to_pending_dns(tenant_db: Database) -> None:
    view = request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    assert view.state == PENDING_DNS
    assert view.address == "info@acme.test"
    assert view.effective.address == SETTINGS.platform.default_from


def test_request_issues_five_unchecked_records(tenant_db: Database) -> None:
    view = request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    assert [row.spec.purpose for row in view.records] == [
        "ownership",
        "dkim",
        "bounce",
        "dmarc",
        "spf",
    ]
    assert {row.status for row in view.records} == {"not_checked"}


def test_request_token_is_random_per_request(tenant_db: Database) -> None:
    first = request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)
    cancel_sender(tenant_db, SETTINGS, "acme", OWNER)
    second = request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    assert first.records[0].spec.value != second.records[0].spec.value
    assert first.records[0].spec.value.startswith("mailroom-verify=")


def test_request_by_other_user_is_denied(tenant_db: Database) -> None:
    with pytest.raises(PermissionDenied, match="only the primary user"):
        request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", STRANGER)


def test_denied_request_is_audited(tenant_db: Database) -> None:
    with pytest.raises(PermissionDenied):
        request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", STRANGER)

    assert audit_actions(tenant_db)[-1] == "sender.request_denied"


def test_denied_request_changes_nothing(tenant_db: Database) -> None:
    with pytest.raises(PermissionDenied):
        request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", STRANGER)

    assert show_sender(tenant_db, SETTINGS, "acme").state == DEFAULT


def test_primary_user_match_ignores_case(tenant_db: Database) -> None:
    view = request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER.upper())

    assert view.state == PENDING_DNS


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("info@co.uk", "public suffix"),
        ("info@platform.example", "belongs to the platform"),
        ("info@bounces.platform.example", "belongs to the platform"),
        ("info@@acme.test", "invalid email address"),
    ],
)
def test_request_rejects_domain(tenant_db: Database, address: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        request_sender(tenant_db, SETTINGS, "acme", address, OWNER)


def test_request_twice_is_conflict(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    with pytest.raises(Conflict, match="cancel it first"):
        request_sender(tenant_db, SETTINGS, "acme", "sales@acme.test", OWNER)


def test_idn_request_shows_both_forms(tenant_db: Database) -> None:
    view = request_sender(tenant_db, SETTINGS, "acme", "info@bücher.test", OWNER)

    assert view.address == "info@bücher.test"
    assert view.ascii_address == "info@xn--bcher-kva.test"
    assert view.domain_unicode == "bücher.test"


def test_idn_records_use_a_labels(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@bücher.test", OWNER)

    records = sender_records(tenant_db, SETTINGS, "acme")

    assert records[0].name == "_mailroom-verify.xn--bcher-kva.test"


def test_private_key_stays_out_of_views_and_audit(tenant_db: Database) -> None:
    view = request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)
    with tenant_db.read() as session:
        identity = session.exec(select(SenderIdentity)).one()
        audit_json = json.dumps(
            [event.after for event in session.exec(select(AuditEvent))]
        )

    assert identity.dkim_private_key is not None
    assert "PRIVATE KEY" not in repr(identity)
    assert "PRIVATE KEY" not in json.dumps(view.as_dict(), default=str)
    assert "PRIVATE KEY" not in audit_json


def test_dkim_record_matches_stored_public_key(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)
    with tenant_db.read() as session:
        identity = session.exec(select(SenderIdentity)).one()

    dkim = sender_records(tenant_db, SETTINGS, "acme")[1]

    assert dkim.purpose == DKIM
    assert dkim.value == f"v=DKIM1; k=rsa; p={identity.dkim_public_key}"


def test_cancel_returns_to_default(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    view = cancel_sender(tenant_db, SETTINGS, "acme", OWNER)

    assert view.state == DEFAULT
    assert view.address is None
    assert view.records == ()


def test_cancel_discards_key(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)
    cancel_sender(tenant_db, SETTINGS, "acme", OWNER)

    with tenant_db.read() as session:
        identity = session.exec(select(SenderIdentity)).one()
    assert identity.dkim_private_key is None
    assert identity.ownership_token is None


def test_cancel_by_other_user_is_denied_and_audited(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    with pytest.raises(PermissionDenied):
        cancel_sender(tenant_db, SETTINGS, "acme", STRANGER)

    assert audit_actions(tenant_db)[-1] == "sender.cancel_denied"
    assert show_sender(tenant_db, SETTINGS, "acme").state == PENDING_DNS


def test_cancel_without_request_is_invalid(tenant_db: Database) -> None:
    with pytest.raises(InvalidInput, match="no custom From address to cancel"):
        cancel_sender(tenant_db, SETTINGS, "acme", OWNER)


def test_records_without_request_is_invalid(tenant_db: Database) -> None:
    with pytest.raises(InvalidInput, match="no custom From address"):
        sender_records(tenant_db, SETTINGS, "acme")


def test_request_and_cancel_are_audited_transitions(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)
    cancel_sender(tenant_db, SETTINGS, "acme", OWNER)

    assert audit_actions(tenant_db)[-2:] == ["sender.request", "sender.cancel"]


def test_history_lists_transitions_newest_first(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)
    cancel_sender(tenant_db, SETTINGS, "acme", OWNER)

    history = sender_history(tenant_db, "acme")

    assert [entry.summary.split(":")[0] for entry in history] == [
        "pending_dns -> default",
        "default -> pending_dns",
    ]


def test_ownership_record_label_from_settings(tenant_db: Database) -> None:
    request_sender(tenant_db, SETTINGS, "acme", "info@acme.test", OWNER)

    ownership = sender_records(tenant_db, SETTINGS, "acme")[0]

    assert ownership.purpose == OWNERSHIP
    assert ownership.label == SETTINGS.platform.ownership_label


def test_upgrade_keeps_sender_identities(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001_initial")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenant (id, slug, name, primary_user, created_at) VALUES "
                "(1, 'acme', 'Acme', 'owner@acme.example', '2026-01-02 03:04:05')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO senderidentity (tenant_id, state, state_changed_at) "
                "VALUES (1, 'default', '2026-01-02 03:04:05')"
            )
        )
    engine.dispose()

    database = open_database(database_url)

    with database.read() as session:
        identity = session.exec(select(SenderIdentity)).one()
    assert identity.state == DEFAULT
    assert identity.state_reason == ""
