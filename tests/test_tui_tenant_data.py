"""The template list's fast read: same rows as the store, no ORM imported."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from store.db import Database
from tests.tui_conftest import DEMO_SLUG
from tui.screens.tenant_data import (
    read_with_sqlite3,
    read_with_store,
    sqlite_path,
)
from tui.widgets.variables import snippet_for


def test_fast_read_matches_store(demo_db: Database, database_url: str) -> None:
    path = sqlite_path(database_url)
    assert path is not None

    fast = read_with_sqlite3(path, DEMO_SLUG)

    assert fast == read_with_store(demo_db, DEMO_SLUG)


def test_fast_read_imports_no_orm(demo_db: Database, database_url: str) -> None:
    script = (
        "import sys\n"
        "import tui.app, tui.screens.template_list\n"
        "from tui.screens.tenant_data import read_with_sqlite3, sqlite_path\n"
        "data = read_with_sqlite3(sqlite_path(sys.argv[1]), 'demo')\n"
        "loaded = sys.modules\n"
        "print(len(data.rows), 'sqlmodel' in loaded, 'sqlalchemy' in loaded)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script, database_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert output.split() == ["11", "False", "False"]


def test_fast_read_declines_old_schema(demo_db: Database, database_url: str) -> None:
    with demo_db.write() as session:
        # As if one migration had not run yet.
        session.execute(
            text(
                "DELETE FROM alembic_version WHERE version_num = "
                "(SELECT MIN(version_num) FROM alembic_version)"
            )
        )
    path = sqlite_path(database_url)
    assert path is not None

    assert read_with_sqlite3(path, DEMO_SLUG) is None


def test_fast_read_declines_unknown_tenant(
    demo_db: Database, database_url: str
) -> None:
    path = sqlite_path(database_url)
    assert path is not None

    assert read_with_sqlite3(path, "nosuch") is None


def test_fast_read_only_for_sqlite_files() -> None:
    assert sqlite_path("sqlite:////tmp/a.db") == "/tmp/a.db"
    assert sqlite_path("sqlite:///relative.db") == "relative.db"
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("sqlite:////tmp/a.db?mode=ro") is None
    assert sqlite_path("postgresql+psycopg://u@localhost/mailroom") is None


def test_variable_snippets() -> None:
    assert snippet_for("document.number") == "{{ document.number }}"
    assert snippet_for("document.lines[].amount") == (
        "{% for item in document.lines %}{{ item.amount }}\n{% endfor %}"
    )
