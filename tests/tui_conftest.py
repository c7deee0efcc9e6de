"""Fixtures for the terminal app's tests: a demo tenant, the app, no blinking.

Loaded as a pytest plugin from `tests/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from store.db import Database
from store.settings import Settings
from store.tenants import create_tenant
from tui.app import MailroomApp, make_app

DEMO_SLUG = "demo"
DEMO_NAME = "Northwind Trading Ltd"
DEMO_USER = "owner@northwind.example"
APP_USER = "editor@northwind.example"

# Every row of the demo tenant claims this last change, so that snapshots
# do not depend on the day the tests run.
FIXED_TIME = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep text cursors steady so that screenshots do not depend on timing."""
    monkeypatch.setattr(Input.cursor_blink, "_default", False)
    monkeypatch.setattr(TextArea.cursor_blink, "_default", False)


def make_demo_tenant(
    db: Database, slug: str = DEMO_SLUG, name: str = DEMO_NAME
) -> None:
    """Create a tenant with default templates and a fixed last-change time."""
    create_tenant(db, slug, name, DEMO_USER, actor=DEMO_USER)
    stamp = FIXED_TIME.replace(tzinfo=None).isoformat(sep=" ")
    with db.write() as session:
        tenant_id = session.execute(
            text("SELECT id FROM tenant WHERE slug = :slug"), {"slug": slug}
        ).scalar_one()
        session.execute(
            text("UPDATE template SET updated_at = :at WHERE tenant_id = :id"),
            {"at": stamp, "id": tenant_id},
        )
        session.execute(
            text(
                "UPDATE senderidentity SET state_changed_at = :at WHERE tenant_id = :id"
            ),
            {"at": stamp, "id": tenant_id},
        )


@pytest.fixture
def demo_db(db: Database) -> Database:
    """A database holding the demo tenant."""
    make_demo_tenant(db)
    return db


AppFactory = Callable[..., MailroomApp]


@pytest.fixture
def tui_app(demo_db: Database, database_url: str) -> Iterator[AppFactory]:
    """Build the real app on the demo database, by URL as `mailroom` does."""

    def build(tenant: str | None = DEMO_SLUG, by_url: bool = True) -> MailroomApp:
        database = database_url if by_url else demo_db
        return make_app(database, Settings(), APP_USER, tenant)

    yield build


async def settle(pilot: Pilot[object]) -> None:
    """Wait until every worker has finished and the screen has caught up."""
    app = pilot.app
    quiet_rounds = 0
    while quiet_rounds < 3:
        await pilot.pause()
        busy = any(not worker.is_finished for worker in app.workers)
        await app.workers.wait_for_complete()
        quiet_rounds = 0 if busy else quiet_rounds + 1
    await pilot.pause()
