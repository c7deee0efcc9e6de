"""`mailroom tenants`: list and create company profiles."""

import click

from store.tenants import create_tenant, list_tenants, tenant_as_dict
from tui.commands.common import CliState, emit, json_option, pass_state, table


@click.group()
def tenants() -> None:
    """List and create tenants (company profiles)."""


@tenants.command("list")
@click.option(
    "--search",
    metavar="TEXT",
    help="Keep tenants whose slug, name or primary user contains TEXT.",
)
@json_option
@pass_state
def list_command(state: CliState, search: str | None, as_json: bool) -> None:
    """List tenants by slug."""
    with state.db.read() as session:
        rows = [tenant_as_dict(tenant) for tenant in list_tenants(session, search)]
    emit(rows, as_json, _plain_list)


def _plain_list(rows: list[dict]) -> str:
    if not rows:
        return (
            "no tenants; create one with `mailroom tenants create` or `mailroom demo`"
        )
    cells = [[row["slug"], row["name"], row["primary_user"]] for row in rows]
    return table(cells, ["SLUG", "NAME", "PRIMARY USER"])


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The company name customers see.")
@click.option(
    "--primary-user",
    required=True,
    metavar="EMAIL",
    help="Email of the profile's primary user.",
)
@json_option
@pass_state
def create_command(
    state: CliState, slug: str, name: str, primary_user: str, as_json: bool
) -> None:
    """Create a tenant with one default template of every kind."""
    tenant = create_tenant(state.db, slug, name, primary_user, state.user)
    emit(
        tenant_as_dict(tenant),
        as_json,
        lambda row: f"created tenant {row['slug']} ({row['name']})",
    )


COMMANDS = [tenants]
