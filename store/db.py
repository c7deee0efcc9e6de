"""The database: engine, sessions and schema upgrades on open.

SQLite runs in WAL mode so that readers never wait for a writer, with foreign
keys on and a busy timeout. A unit of work that writes starts with
`BEGIN IMMEDIATE`: it takes the write lock up front, so two processes that
write at once queue on the busy timeout instead of one of them failing with
"database is locked" when it tries to upgrade a read lock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from store.errors import MailroomError
from store.migrations import HEAD_REVISIONS

# How long a writer waits for another process's write to finish.
BUSY_TIMEOUT_SECONDS = 30


class Database:
    """An open, migrated database and the sessions that use it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Open a session for reading; nothing it changes is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Open a session that commits on success and rolls back on error."""
        with Session(self._writer, expire_on_commit=False) as session:
            yield session
            session.commit()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Connect to `url` and bring its schema up to date."""
    engine = make_engine(url)
    if migrate:
        upgrade_if_due(engine)
    return Database(engine)


def make_engine(url: str) -> Engine:
    """Create an engine, configured for concurrent use when it is SQLite."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)

    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(connection: Any, record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself; the sqlite3 module's
    # own implicit transactions cannot take the write lock first.
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def current_revisions(engine: Engine) -> frozenset[str]:
    """Return the schema revisions stamped in the database, if any."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(rows.scalars())
    except (OperationalError, ProgrammingError):
        return frozenset()


def upgrade_if_due(engine: Engine) -> None:
    """Run the migrations that the database has not had yet.

    Alembic is imported only when a migration is due, since importing it
    costs start-up time that most runs do not need.
    """
    if current_revisions(engine) == HEAD_REVISIONS:
        return

    from store.migrations.runner import upgrade

    try:
        upgrade(engine.execution_options(sqlite_begin="IMMEDIATE"))
    except OperationalError as error:
        raise MailroomError(
            f"could not upgrade the database schema: {error.orig}"
        ) from error
