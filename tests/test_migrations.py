"""Migrations: the chain yields the models' schema and keeps existing data."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers every table)
from store.db import make_engine, open_database
from store.migrations import HEAD_REVISIONS
from store.migrations.runner import alembic_config, upgrade


def test_head_revisions_name_the_newest_scripts(database_url: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(make_engine(database_url)))

    assert HEAD_REVISIONS == frozenset(scripts.get_heads())


def test_migrated_schema_matches_models(database_url: str) -> None:
    database = open_database(database_url)

    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []


def test_upgrade_from_first_migration_keeps_data(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001_initial")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tenant (id, slug, name, primary_user, created_at) "
                "VALUES (1, 'acme', 'Acme GmbH', 'owner@acme.example', "
                "'2026-01-02 03:04:05')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO template (tenant_id, kind, subject, text_body, reply_to, "
                "enabled, version, updated_at, updated_by) VALUES (1, 'invoice', "
                "'Invoice {{ document.number }}', 'Dear customer', "
                '\'[{"name": "Konten, Süd", "address": "a@acme.example"}]\', '
                "1, 7, '2026-01-02 03:04:05', 'owner@acme.example')"
            )
        )
    engine.dispose()

    database = open_database(database_url)

    with database.engine.connect() as connection:
        tenant = connection.execute(text("SELECT slug, name FROM tenant")).one()
        template = connection.execute(
            text("SELECT kind, subject, reply_to, version FROM template")
        ).one()
    assert tuple(tenant) == ("acme", "Acme GmbH")
    assert template.subject == "Invoice {{ document.number }}"
    assert template.version == 7
    assert "Konten, Süd" in template.reply_to
