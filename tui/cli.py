"""The `mailroom` command: opens the terminal app, or runs one operation.

Every subcommand prints plain errors on stderr and exits 0 on success, 1 when
the operation failed and 2 on a usage error; those that print data take
`--json` for scripts.
"""

import getpass
import os

import click

from tui.commands.common import CliState, MailroomGroup


def default_user() -> str:
    """Return the acting person: `MAILROOM_USER`, else the login name."""
    return os.environ.get("MAILROOM_USER") or getpass.getuser()


@click.group(cls=MailroomGroup, invoke_without_command=True)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help=(
        "Database URL (default: MAILROOM_DATABASE_URL, the settings file, "
        "or SQLite in the user's data folder)."
    ),
)
@click.option(
    "--user",
    metavar="EMAIL",
    help=(
        "The acting person recorded in the audit log "
        "(default: MAILROOM_USER, else the login name)."
    ),
)
@click.option(
    "--tenant",
    "tenant_slug",
    metavar="SLUG",
    help="Open the terminal app on this tenant, skipping the tenant picker.",
)
@click.version_option(package_name="mailroom")
@click.pass_context
def cli(
    ctx: click.Context,
    database_url: str | None,
    user: str | None,
    tenant_slug: str | None,
) -> None:
    """Mailroom: document email templates, Reply-To and the sender, per company."""
    ctx.obj = CliState(database_url=database_url, user=user or default_user())
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        open_app(ctx.obj, tenant_slug)


def open_app(state: CliState, tenant_slug: str | None) -> None:
    """Open the terminal app, or print the help where it cannot run."""
    try:
        from tui.app import run_app
    except ImportError:
        click.echo(cli.get_help(click.get_current_context()))
        return
    run_app(state, tenant_slug)


def main() -> None:
    """Run the command line; the console script's entry point."""
    cli(prog_name="mailroom")


if __name__ == "__main__":
    main()
