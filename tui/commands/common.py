"""What every subcommand shares: the database, the acting user, output."""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from store.errors import MailroomError
from store.settings import Settings, load_settings

if TYPE_CHECKING:
    from store.db import Database


@dataclass
class CliState:
    """Options given before the subcommand, and what they open lazily."""

    database_url: str | None
    user: str
    _settings: Settings | None = field(default=None, repr=False)
    _database: "Database | None" = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The settings file and environment, read on first use."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def db(self) -> "Database":
        """The database, opened and migrated on first use."""
        if self._database is None:
            from store.db import open_database

            url = self.database_url or self.settings.resolved_database_url()
            self._database = open_database(url)
        return self._database

    def close(self) -> None:
        """Close the database if it was opened."""
        if self._database is not None:
            self._database.close()


class MailroomGroup(click.Group):
    """A command group that turns store errors into a message and exit code 1.

    Its subcommands are imported when named (see `tui.commands`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        from tui.commands import COMMAND_PATHS

        return sorted({*super().list_commands(ctx), *COMMAND_PATHS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        from tui.commands import load_command

        return super().get_command(ctx, name) or load_command(name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailroomError as error:
            click.echo(f"error: {error.message}", err=True)
            sys.exit(1)


pass_state = click.make_pass_decorator(CliState)

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON for scripts."
)


def to_jsonable(value: Any) -> Any:
    """Convert dates, decimals and the like for `json.dumps`."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def emit(data: Any, as_json: bool, plain: Callable[[Any], str]) -> None:
    """Print `data` as JSON or through its plain-text form."""
    if as_json:
        click.echo(json.dumps(data, default=to_jsonable, ensure_ascii=False, indent=2))
    else:
        text = plain(data)
        if text:
            click.echo(text)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Lay out rows as aligned columns under a header line."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, row, strict=True)
        ]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in lines
    )
