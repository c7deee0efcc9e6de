"""`mailroom audit`: who did what to a tenant, newest first."""

import click

from store.audit import events_for
from store.models import AuditEvent, format_utc
from store.tenants import get_tenant
from tui.commands.common import CliState, emit, json_option, pass_state, table


@click.command()
@click.option(
    "--tenant",
    "slug",
    required=True,
    metavar="SLUG",
    help="The tenant whose log to read.",
)
@click.option(
    "--limit",
    default=200,
    show_default=True,
    type=click.IntRange(1),
    help="How many events to show.",
)
@json_option
@pass_state
def audit(state: CliState, slug: str, limit: int, as_json: bool) -> None:
    """Show a tenant's audit log: actor, time, action, before and after."""
    with state.db.read() as session:
        tenant = get_tenant(session, slug)
        assert tenant.id is not None
        rows = [
            _event_as_dict(event) for event in events_for(session, tenant.id, limit)
        ]
    emit(rows, as_json, _plain)


def _event_as_dict(event: AuditEvent) -> dict:
    return {
        "time": event.created_at,
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "change_id": event.change_id,
        "before": event.before,
        "after": event.after,
    }


def _plain(rows: list[dict]) -> str:
    if not rows:
        return "no audit events"
    cells = [
        [
            format_utc(row["time"]),
            row["actor"],
            row["action"],
            row["target"],
            row["change_id"] or "",
        ]
        for row in rows
    ]
    return table(cells, ["TIME", "ACTOR", "ACTION", "TARGET", "CHANGE"])


COMMANDS = [audit]
