"""`mailroom sender`: show, request, verify, cancel and watch custom From addresses."""

import asyncio
import logging
import signal
import sys
from typing import Any

import click

from store.dns.txt import quote_txt
from store.models import format_utc
from store.sender.export import records_csv, records_json, zone_snippet
from store.sender.records import RecordSpec
from store.sender.service import (
    cancel_sender,
    request_sender,
    sender_history,
    sender_records,
    show_sender,
)
from store.sender.verify import verify_sender
from store.sender.watch import (
    DEFAULT_CONCURRENCY,
    DEFAULT_INTERVAL_SECONDS,
    run_pass,
    run_watch,
)
from tui.commands.common import CliState, emit, json_option, pass_state, table

tenant_option = click.option(
    "--tenant", "slug", required=True, metavar="SLUG", help="The tenant's slug."
)

# Characters of a found value shown in plain output; JSON has it whole.
FOUND_PREVIEW = 120


@click.group()
def sender() -> None:
    """Show, request, verify and cancel a tenant's custom From address."""


@sender.command("show")
@tenant_option
@json_option
@pass_state
def show_command(state: CliState, slug: str, as_json: bool) -> None:
    """Show the From address in use, the custom address, its state and records."""
    view = show_sender(state.db, state.settings, slug)
    emit(view.as_dict(), as_json, _plain_view)


@sender.command("request")
@tenant_option
@click.argument("address")
@json_option
@pass_state
def request_command(state: CliState, slug: str, address: str, as_json: bool) -> None:
    """Request ADDRESS as the tenant's From address (primary user only)."""
    view = request_sender(state.db, state.settings, slug, address, state.user)
    emit(view.as_dict(), as_json, _plain_request)


@sender.command("records")
@tenant_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "zone", "csv", "json"]),
    default="table",
    show_default=True,
    help="How to print the records: a table, a zone-file snippet, CSV or JSON.",
)
@json_option
@pass_state
def records_command(
    state: CliState, slug: str, output_format: str, as_json: bool
) -> None:
    """Print the DNS records the tenant must publish."""
    records = sender_records(state.db, state.settings, slug)
    if as_json or output_format == "json":
        click.echo(records_json(records))
    elif output_format == "zone":
        click.echo(zone_snippet(records), nl=False)
    elif output_format == "csv":
        click.echo(records_csv(records), nl=False)
    else:
        click.echo(records_table(records))


@sender.command("verify")
@tenant_option
@json_option
@pass_state
def verify_command(state: CliState, slug: str, as_json: bool) -> None:
    """Check the records in DNS now and advance the state when they allow it.

    Exits 0 whenever the check ran, even when records are missing, because
    the statuses show what to fix.
    """
    report = asyncio.run(verify_sender(state.db, state.settings, slug, state.user))
    emit(report.as_dict(), as_json, _plain_report)


@sender.command("cancel")
@tenant_option
@json_option
@pass_state
def cancel_command(state: CliState, slug: str, as_json: bool) -> None:
    """Cancel the custom From address (primary user only).

    Mail goes from the platform's address again; the issued key is discarded.
    """
    view = cancel_sender(state.db, state.settings, slug, state.user)
    emit(
        view.as_dict(),
        as_json,
        lambda data: (
            f"cancelled the custom From address of {data['tenant']}; "
            f"mail goes from {data['effective_from']}"
        ),
    )


@sender.command("history")
@tenant_option
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(1),
    help="How many entries to show, newest first.",
)
@json_option
@pass_state
def history_command(state: CliState, slug: str, limit: int, as_json: bool) -> None:
    """Show the sender's checks and state transitions, newest first."""
    entries = [entry.as_dict() for entry in sender_history(state.db, slug, limit)]
    emit(entries, as_json, _plain_history)


@sender.command("watch")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=DEFAULT_INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between the starts of two passes.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="How many senders are checked at the same time.",
)
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@json_option
@pass_state
def watch_command(
    state: CliState, interval: float, concurrency: int, once: bool, as_json: bool
) -> None:
    """Re-check pending, verified, active and degraded senders on a schedule.

    Logs every state change and failed check on stderr; stops on Ctrl-C or
    SIGTERM. With --once, runs one pass and prints what it did.
    """
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if once:
        summary = asyncio.run(
            run_pass(state.db, state.settings, state.user, concurrency)
        )
        emit(summary.as_dict(), as_json, _plain_pass)
        return
    asyncio.run(_watch_until_signal(state, interval, concurrency))


async def _watch_until_signal(
    state: CliState, interval: float, concurrency: int
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await run_watch(state.db, state.settings, state.user, stop, interval, concurrency)


def records_table(records: list[RecordSpec]) -> str:
    """Lay out the records as a table, then the DKIM value as TXT strings."""
    rows = [
        [
            record.title,
            record.rtype,
            record.name,
            record.value or "(none required; an existing record is checked)",
            "yes" if record.required else "no",
        ]
        for record in records
    ]
    lines = [table(rows, ["PURPOSE", "TYPE", "NAME", "VALUE", "REQUIRED"])]
    for record in records:
        if len(record.strings) > 1:
            lines.append("")
            lines.append(
                f"{record.title} as TXT strings of at most 255 characters, "
                "for DNS hosts that take them separately:"
            )
            lines.append(quote_txt(record.strings))
    return "\n".join(lines)


def _plain_view(data: dict[str, Any]) -> str:
    lines = [
        f"Tenant:       {data['tenant']}",
        f"From now:     {data['effective_from_name']} <{data['effective_from']}>"
        + (" (custom)" if data["effective_is_custom"] else " (platform)"),
        f"Why:          {data['effective_reason']}",
        f"Custom From:  {_custom_address(data)}",
        f"State:        {data['state']} since {format_utc(data['state_changed_at'])}",
    ]
    if data["state_reason"]:
        lines.append(f"Reason:       {data['state_reason']}")
    checked = data["last_checked_at"]
    lines.append(f"Last check:   {format_utc(checked) if checked else 'never'}")
    if data["records"]:
        lines += ["", _plain_records(data["records"])]
    return "\n".join(lines)


def _custom_address(data: dict[str, Any]) -> str:
    address = data["custom_address"]
    if not address:
        return "(none)"
    if data["custom_address_ascii"] != address:
        return f"{address} (in DNS: {data['custom_address_ascii']})"
    return address


def _plain_records(records: list[dict[str, Any]]) -> str:
    lines = []
    for record in records:
        required = "" if record["required"] else " (advice only)"
        lines.append(
            f"{record['status']:<13}{record['purpose']:<10}{record['type']:<6}"
            f"{record['name']}{required}"
        )
        lines.append(f"{'':13}{record['message']}")
        if record["found"] and record["status"] != "ok":
            found = "; ".join(record["found"])
            if len(found) > FOUND_PREVIEW:
                found = found[:FOUND_PREVIEW] + "..."
            where = f" at {record['found_name']}" if record["found_name"] else ""
            lines.append(f"{'':13}found{where}: {found}")
    return "\n".join(lines)


def _plain_request(data: dict[str, Any]) -> str:
    lines = [
        f"requested {_custom_address(data)} for {data['tenant']}; "
        f"state {data['state']}",
        "",
        "Publish these records at the DNS host of "
        f"{data['domain_unicode'] or data['domain']}:",
    ]
    for record in data["records"]:
        if record["value"]:
            lines.append(f"  {record['type']:<6}{record['name']}")
            lines.append(f"        {record['value']}")
    lines += [
        "",
        f"Then run `mailroom sender verify --tenant {data['tenant']}`. "
        f"`mailroom sender records --tenant {data['tenant']} --format zone` "
        "prints them for a zone file.",
    ]
    return "\n".join(lines)


def _plain_report(data: dict[str, Any]) -> str:
    path = " -> ".join(
        [data["state_before"], *(step["to_state"] for step in data["transitions"])]
    )
    lines = [f"{data['tenant']}: {data['address']}: {path}"]
    for step in data["transitions"]:
        lines.append(f"  -> {step['to_state']}: {step['reason']}")
    if data["self_test"] is not None:
        lines.append(f"  {data['self_test']['message']}")
    lines += ["", _plain_records(data["records"])]
    return "\n".join(lines)


def _plain_history(entries: list[dict[str, Any]]) -> str:
    if not entries:
        return "no sender history"
    rows = [
        [format_utc(entry["time"]), entry["kind"], entry["actor"], entry["summary"]]
        for entry in entries
    ]
    return table(rows, ["TIME", "KIND", "ACTOR", "SUMMARY"])


def _plain_pass(data: dict[str, Any]) -> str:
    lines = [
        f"checked {data['checked']} senders in {data['seconds']} s; "
        f"{len(data['changes'])} changed state, {len(data['errors'])} failed"
    ]
    for change in data["changes"]:
        path = f"{change['from']} -> {change['to']}"
        lines.append(f"  {change['tenant']}: {path} ({change['reason']})")
    for error in data["errors"]:
        lines.append(f"  {error['tenant']}: {error['error']}")
    return "\n".join(lines)


COMMANDS = [sender]
