"""Alembic migrations for the Mailroom schema.

The chain may branch where two parts of the schema grow independently, so a
database is up to date when it carries every head. `HEAD_REVISIONS` lets such
a database skip importing Alembic at all; a test checks it against the
migration scripts.
"""

HEAD_REVISIONS = frozenset({"0002_outbox", "0002_sender"})
