"""`mailroom reply-to`: set one Reply-To on many templates, and undo it."""

import click

from store.addresses import parse_reply_to
from store.bulk import BulkResult, Scope, set_reply_to, undo_reply_to
from store.kinds import Group, TemplateKind
from tui.commands.common import CliState, emit, json_option, pass_state, table
from tui.commands.templates import KIND


@click.group("reply-to")
def reply_to() -> None:
    """Set the same Reply-To on several templates at once, or undo it."""


@reply_to.command("set")
@click.option(
    "--tenant", "slug", required=True, metavar="SLUG", help="The tenant's slug."
)
@click.argument("addresses", metavar="LIST")
@click.option("--all", "all_kinds", is_flag=True, help="Every template of the tenant.")
@click.option(
    "--kind",
    "kinds",
    type=KIND,
    multiple=True,
    help="One template kind; repeat for several.",
)
@click.option(
    "--group",
    type=click.Choice([group.value for group in Group]),
    help="Every sales or every purchases template.",
)
@click.option("--dry-run", is_flag=True, help="Show the changes without writing them.")
@json_option
@pass_state
def set_command(
    state: CliState,
    slug: str,
    addresses: str,
    all_kinds: bool,
    kinds: tuple[TemplateKind, ...],
    group: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Set Reply-To LIST on the chosen templates, in one transaction.

    LIST is comma-separated, such as "Accounts <accounts@a.example>, b@a.example";
    an empty LIST ("") removes Reply-To, so replies go to the From address.
    """
    scope = _scope(all_kinds, kinds, group)
    result = set_reply_to(
        state.db, slug, parse_reply_to(addresses), scope, state.user, dry_run
    )
    emit(_result_as_dict(result), as_json, _plain)


def _scope(
    all_kinds: bool, kinds: tuple[TemplateKind, ...], group: str | None
) -> Scope:
    chosen = sum([all_kinds, bool(kinds), group is not None])
    if chosen != 1:
        raise click.UsageError(
            "choose exactly one scope: --all, --kind K (repeatable) "
            "or --group sales|purchases"
        )
    if all_kinds:
        return Scope.all()
    if group is not None:
        return Scope.group(Group(group))
    return Scope.of_kinds(kinds)


@reply_to.command("undo")
@click.option(
    "--tenant", "slug", required=True, metavar="SLUG", help="The tenant's slug."
)
@click.argument("change_id")
@json_option
@pass_state
def undo_command(state: CliState, slug: str, change_id: str, as_json: bool) -> None:
    """Restore the Reply-To values that bulk change CHANGE_ID replaced."""
    result = undo_reply_to(state.db, slug, change_id, state.user)
    emit(_result_as_dict(result), as_json, lambda data: _plain(data, undo=True))


def _result_as_dict(result: BulkResult) -> dict:
    return {
        "change_id": result.change_id,
        "dry_run": result.dry_run,
        "changes": [update.as_dict() for update in result.updates],
        "unchanged": [kind.value for kind in result.unchanged],
    }


def _plain(data: dict, undo: bool = False) -> str:
    if not data["changes"]:
        return "nothing to change: the chosen templates already have this Reply-To"
    cells = [
        [change["kind"], change["old"] or "(none)", change["new"] or "(none)"]
        for change in data["changes"]
    ]
    lines = [table(cells, ["KIND", "OLD", "NEW"]), ""]
    count = len(data["changes"])
    if data["dry_run"]:
        lines.append(f"dry run: {count} templates would change; nothing was written")
    elif undo:
        lines.append(f"undid change {data['change_id']}: {count} templates restored")
    else:
        lines.append(
            f"changed {count} templates; undo with: "
            f"mailroom reply-to undo --tenant SLUG {data['change_id']}"
        )
    return "\n".join(lines)


COMMANDS = [reply_to]
