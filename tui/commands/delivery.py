"""`mailroom send` and `mailroom outbox`: send document email, read the outbox.

The SMTP client and the DKIM code are imported inside the commands that use
them, because importing them took about 0.2 s (`python -X importtime`, 2-core
test machine) that every other `mailroom` command would pay at start-up.
"""

import asyncio
import json
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from store.delivery.outbox import (
    attempt_as_dict,
    get_attempts,
    get_message,
    list_outbox,
    message_as_dict,
    message_headers,
    parse_state,
    retry,
)
from store.delivery.policy import (
    DEFAULT_CONNECTIONS,
    DEFAULT_LEASE_SECONDS,
    RetryPolicy,
)
from store.delivery.tables import OutboxState
from store.errors import InvalidInput
from store.kinds import TemplateKind
from store.models import format_utc
from tui.commands.common import CliState, emit, json_option, pass_state, table
from tui.commands.templates import KIND

if TYPE_CHECKING:
    from store.delivery.engine import DeliveryEngine
    from store.delivery.service import DeliveryResult


@click.command()
@click.option(
    "--tenant", "slug", required=True, metavar="SLUG", help="The tenant's slug."
)
@click.argument("kind", type=KIND)
@click.option("--to", "to", required=True, metavar="ADDRESS", help="The recipient.")
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "JSON file with the document's render context. Each top-level key "
        "(company, counterparty, document, user) replaces the sample data's "
        "whole; keys left out keep their sample values, so give at least "
        "document and counterparty for a real send."
    ),
)
@click.option(
    "--attach",
    "attach_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File to attach; repeat for several. The type is guessed from the name.",
)
@click.option(
    "--queue-only",
    is_flag=True,
    help="Only queue the message; `mailroom outbox run` delivers it later.",
)
@json_option
@pass_state
def send(
    state: CliState,
    slug: str,
    kind: TemplateKind,
    to: str,
    data_file: Path | None,
    attach_files: tuple[Path, ...],
    queue_only: bool,
    as_json: bool,
) -> None:
    """Send a tenant's document email of KIND to one recipient.

    The message is rendered from the tenant's template, stored in the
    outbox, and then delivered to the SMTP relay before the command exits.
    Exit code 0 means the relay accepted it (or, with --queue-only, that it
    was queued); 1 means it was not delivered, with the reason on stderr.
    """
    from store.delivery.compose import load_attachment
    from store.delivery.relay import relay_config
    from store.delivery.service import deliver, queue_document

    data = _read_data(data_file) if data_file else None
    attachments = [load_attachment(path) for path in attach_files]
    relay = None if queue_only else relay_config(state.settings.smtp)
    outbox_id = queue_document(
        state.db,
        state.settings,
        slug,
        kind,
        to,
        actor=state.user,
        data=data,
        attachments=attachments,
    )
    if relay is None:
        entry = get_message(state.db, outbox_id)
        emit(
            message_as_dict(entry),
            as_json,
            lambda row: (
                f"queued outbox message {row['id']} to {to} "
                f"({row['message_id']}); deliver it with: mailroom outbox run --once"
            ),
        )
        return

    result = asyncio.run(deliver(state.db, relay, outbox_id))
    emit(result.as_dict(), as_json, lambda _: _plain_result(result, to))
    if not result.accepted:
        click.echo(f"error: {_failure_text(result)}", err=True)
        raise click.exceptions.Exit(1)


def _read_data(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"data file {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(
            f"data file {path} must contain a JSON object with keys such as document"
        )
    return data


def _plain_result(result: "DeliveryResult", to: str) -> str:
    if result.accepted:
        return (
            f"sent outbox message {result.outbox_id} to {to} ({result.message_id}); "
            f"the relay replied: {result.detail}"
        )
    return ""


def _failure_text(result: "DeliveryResult") -> str:
    text = f"outbox message {result.outbox_id} was not delivered ({result.state})"
    if result.detail:
        text += f": {result.detail}"
    if result.state == OutboxState.DEFERRED and result.next_attempt_at:
        text += (
            f"; it is retried from {format_utc(result.next_attempt_at)} "
            "by `mailroom outbox run`"
        )
    return text


@click.group()
def outbox() -> None:
    """Read the outbox and deliver what is due."""


@outbox.command("list")
@click.option("--tenant", "slug", metavar="SLUG", help="Only this tenant's messages.")
@click.option(
    "--state",
    "state_name",
    type=click.Choice([state.value for state in OutboxState]),
    help="Only messages in this state.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="Maximum number of messages to list, newest first.",
)
@json_option
@pass_state
def list_command(
    state: CliState,
    slug: str | None,
    state_name: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List outbox messages, newest first."""
    entries = list_outbox(
        state.db,
        tenant=slug,
        state=parse_state(state_name) if state_name else None,
        limit=limit,
    )
    emit([message_as_dict(entry) for entry in entries], as_json, _plain_list)


def _plain_list(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "the outbox is empty"
    cells = [
        [
            str(row["id"]),
            row["tenant"],
            row["kind"] + (" (test)" if row["is_test"] else ""),
            ", ".join(row["recipients"]),
            row["state"],
            str(row["attempts"]),
            format_utc(row["updated_at"]),
            _note(row),
        ]
        for row in rows
    ]
    headers = ["ID", "TENANT", "KIND", "TO", "STATE", "ATTEMPTS", "UPDATED", "NOTE"]
    return table(cells, headers)


def _note(row: dict[str, Any]) -> str:
    if row["state"] == OutboxState.DEFERRED and row["next_attempt_at"]:
        return f"next {format_utc(row['next_attempt_at'])}: {row['last_error']}"
    if row["state"] == OutboxState.FAILED:
        return row["last_error"] or ""
    return row["subject"]


@outbox.command("show")
@click.argument("outbox_id", metavar="ID", type=int)
@click.option("--raw", is_flag=True, help="Print the whole message as it is sent.")
@json_option
@pass_state
def show_command(state: CliState, outbox_id: int, raw: bool, as_json: bool) -> None:
    """Show one message: envelope, headers, attempts and errors."""
    entry = get_message(state.db, outbox_id)
    if raw and not as_json:
        click.echo(entry.message.raw.decode("utf-8", errors="replace"), nl=False)
        return
    data = message_as_dict(entry, with_raw=raw)
    data["headers"] = [
        {"name": name, "value": value}
        for name, value in message_headers(entry.message.raw)
    ]
    data["attempt_log"] = [
        attempt_as_dict(attempt) for attempt in get_attempts(state.db, outbox_id)
    ]
    emit(data, as_json, _plain_show)


def _plain_show(data: dict[str, Any]) -> str:
    lines = [
        f"Outbox message {data['id']} of tenant {data['tenant']}: {data['kind']}"
        + (" (test send)" if data["is_test"] else ""),
        f"State:       {data['state']}, {data['attempts']} attempts",
    ]
    if data["state"] == OutboxState.DEFERRED and data["next_attempt_at"]:
        lines.append(f"Next try:    {format_utc(data['next_attempt_at'])}")
    if data["sent_at"]:
        lines.append(f"Sent:        {format_utc(data['sent_at'])}")
    if data["relay_reply"]:
        lines.append(f"Relay reply: {data['relay_reply']}")
    if data["last_error"]:
        code = f" (reply code {data['reply_code']})" if data["reply_code"] else ""
        lines.append(f"Last error:  {data['last_error']}{code}")
    lines += [
        f"Envelope:    from {data['envelope_from']} to {', '.join(data['recipients'])}"
        + (" (SMTPUTF8)" if data["smtputf8"] else ""),
        f"Size:        {data['size']} bytes",
        f"Queued:      {format_utc(data['created_at'])} by {data['created_by']}",
        "",
        "Headers:",
    ]
    lines += [f"  {header['name']}: {header['value']}" for header in data["headers"]]
    lines += ["", "Attempts:"]
    if not data["attempt_log"]:
        lines.append("  none yet")
    for attempt in data["attempt_log"]:
        code = f" {attempt['reply_code']}" if attempt["reply_code"] else ""
        detail = f": {attempt['detail']}" if attempt["detail"] else ""
        lines.append(
            f"  {attempt['number']}. {format_utc(attempt['started_at'])} "
            f"{attempt['outcome']}{code}{detail}"
        )
    return "\n".join(lines)


@outbox.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Deliver what is due now, then exit; without it, keep running until "
    "SIGTERM or Ctrl-C.",
)
@click.option(
    "--connections",
    type=click.IntRange(min=1, max=64),
    default=DEFAULT_CONNECTIONS,
    show_default=True,
    help="SMTP connections used at once.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=RetryPolicy.max_attempts,
    show_default=True,
    help="Attempts before a temporarily failing message is given up as failed.",
)
@click.option(
    "--lease",
    "lease_seconds",
    type=click.FloatRange(min=1),
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="Seconds a claimed message stays with this process; if it dies, "
    "another process takes the message over after that.",
)
@json_option
@pass_state
def run_command(
    state: CliState,
    once: bool,
    connections: int,
    max_attempts: int,
    lease_seconds: float,
    as_json: bool,
) -> None:
    """Deliver the outbox: every message that is due, over reused connections.

    Temporary failures (4xx, timeouts, dropped connections) are retried with
    growing waits; permanent ones (5xx) fail the message at once. A failed
    login or TLS handshake stops delivery with exit code 1.
    """
    from store.delivery.engine import DeliveryEngine
    from store.delivery.relay import relay_config

    _log_to_stderr()
    engine = DeliveryEngine(
        state.db,
        relay_config(state.settings.smtp),
        connections=connections,
        policy=RetryPolicy(max_attempts=max_attempts),
        lease_seconds=lease_seconds,
    )
    summary = asyncio.run(_run(engine, once))
    emit(
        summary.as_dict(),
        as_json,
        lambda row: (
            f"{row['sent']} sent, {row['deferred']} deferred, {row['failed']} failed"
        ),
    )


async def _run(engine: "DeliveryEngine", once: bool) -> Any:
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, engine.stop)
    return await engine.run(once=once)


def _log_to_stderr() -> None:
    """Send the engine's log (starts, stops, retries, failures) to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("store.delivery")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


@outbox.command("retry")
@click.argument("outbox_id", metavar="ID", type=int)
@json_option
@pass_state
def retry_command(state: CliState, outbox_id: int, as_json: bool) -> None:
    """Queue a deferred or failed message again, due now.

    It keeps its attempt count, so this grants one more attempt.
    """
    retry(state.db, outbox_id, state.user)
    entry = get_message(state.db, outbox_id)
    emit(
        message_as_dict(entry),
        as_json,
        lambda row: (
            f"queued outbox message {row['id']} again; "
            "deliver it with: mailroom outbox run --once"
        ),
    )


COMMANDS = [send, outbox]
