"""Fixtures shared by the whole suite: a real SQLite file per test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import Database, open_database

# Fixture modules for real servers on loopback (DNS, SMTP), one per server.
pytest_plugins: list[str] = [
    "tests.peers.smtp",
    "tests.peers.knot",
    "tests.tui_conftest",
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The URL of a fresh SQLite file in the test's own folder."""
    return f"sqlite:///{tmp_path / 'mailroom.db'}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated, empty database."""
    database = open_database(database_url)
    yield database
    database.close()
