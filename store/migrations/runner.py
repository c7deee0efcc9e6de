"""Runs the migration chain against an engine, from code rather than a shell."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_FOLDER = Path(__file__).parent


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic configuration that migrates `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the schema of `engine` to `revision`."""
    command.upgrade(alembic_config(engine), revision)
