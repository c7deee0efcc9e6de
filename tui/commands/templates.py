"""`mailroom templates`: list, show, change, render and lint templates."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from store.addresses import format_reply_to, parse_reply_to
from store.errors import InvalidInput
from store.kinds import TemplateKind, parse_kind
from store.models import Template, format_utc
from store.render import render_message, sample_context
from store.templates import (
    TemplateEdit,
    get_template,
    list_templates,
    save_template,
    template_as_dict,
)
from store.tenants import get_tenant
from tui.commands.common import CliState, emit, json_option, pass_state, table

tenant_option = click.option(
    "--tenant", "slug", required=True, metavar="SLUG", help="The tenant's slug."
)


class KindType(click.ParamType):
    """A template kind on the command line, such as `payment_reminder`."""

    name = "KIND"

    def convert(self, value: Any, param: Any, ctx: Any) -> TemplateKind:
        if isinstance(value, TemplateKind):
            return value
        try:
            return parse_kind(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


KIND = KindType()


@click.group()
def templates() -> None:
    """Show, change, render and check a tenant's templates."""


@templates.command("list")
@tenant_option
@json_option
@pass_state
def list_command(state: CliState, slug: str, as_json: bool) -> None:
    """List every template of a tenant with its subject and Reply-To."""
    with state.db.read() as session:
        tenant = get_tenant(session, slug)
        assert tenant.id is not None
        rows = [
            template_as_dict(template)
            for template in list_templates(session, tenant.id)
        ]
    emit(rows, as_json, _plain_list)


def _plain_list(rows: list[dict]) -> str:
    cells = [
        [
            row["kind"],
            row["subject"],
            row["reply_to_text"] or "(none)",
            "yes" if row["enabled"] else "no",
            str(row["version"]),
            f"{format_utc(row['updated_at'])} by {row['updated_by']}",
        ]
        for row in rows
    ]
    return table(
        cells, ["KIND", "SUBJECT", "REPLY-TO", "ENABLED", "VERSION", "LAST CHANGE"]
    )


@templates.command("show")
@tenant_option
@click.argument("kind", type=KIND)
@json_option
@pass_state
def show_command(state: CliState, slug: str, kind: TemplateKind, as_json: bool) -> None:
    """Show one template whole."""
    with state.db.read() as session:
        template = get_template(session, get_tenant(session, slug), kind)
    emit(template_as_dict(template), as_json, _plain_show)


def _plain_show(row: dict) -> str:
    lines = [
        f"Kind:     {row['kind']} ({row['group']})",
        f"Subject:  {row['subject']}",
        f"Reply-To: {row['reply_to_text'] or '(none: replies go to the From address)'}",
        f"Enabled:  {'yes' if row['enabled'] else 'no'}",
        f"Version:  {row['version']}, changed {format_utc(row['updated_at'])} "
        f"by {row['updated_by']}",
        "",
        row["text_body"],
    ]
    if row["html_body"]:
        lines += ["", "--- HTML body ---", row["html_body"]]
    return "\n".join(lines)


@templates.command("set")
@tenant_option
@click.argument("kind", type=KIND)
@click.option("--subject", help="The new subject (a Jinja2 template, one line).")
@click.option(
    "--body-file",
    type=click.File(encoding="utf-8"),
    help="File with the new text body; - reads standard input.",
)
@click.option(
    "--html-file",
    type=click.File(encoding="utf-8"),
    help="File with the new HTML body; an empty file removes it.",
)
@click.option(
    "--reply-to",
    "reply_to",
    metavar="LIST",
    help=(
        'Reply-To addresses, comma-separated: "Sales <sales@a.example>, '
        'b@a.example"; "" clears it.'
    ),
)
@click.option(
    "--enable/--disable", "enabled", default=None, help="Turn the template on or off."
)
@click.option(
    "--base-version",
    type=int,
    metavar="N",
    help="Refuse the change unless the template is still at version N.",
)
@json_option
@pass_state
def set_command(
    state: CliState,
    slug: str,
    kind: TemplateKind,
    subject: str | None,
    body_file: Any,
    html_file: Any,
    reply_to: str | None,
    enabled: bool | None,
    base_version: int | None,
    as_json: bool,
) -> None:
    """Change a template's subject, bodies, Reply-To or enabled flag."""
    edit = TemplateEdit(
        subject=subject,
        text_body=body_file.read() if body_file else None,
        html_body=html_file.read() if html_file else None,
        reply_to=parse_reply_to(reply_to) if reply_to is not None else None,
        enabled=enabled,
    )
    if not edit.changes():
        raise click.UsageError(
            "nothing to change; give --subject, --body-file, --html-file, "
            "--reply-to or --enable/--disable"
        )
    template = save_template(state.db, slug, kind, edit, state.user, base_version)
    emit(
        template_as_dict(template),
        as_json,
        lambda row: f"saved {row['kind']} as version {row['version']}",
    )


@templates.command("render")
@tenant_option
@click.argument("kind", type=KIND)
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "JSON file whose top-level keys (company, counterparty, document, "
        "user) replace those of the sample data."
    ),
)
@json_option
@pass_state
def render_command(
    state: CliState,
    slug: str,
    kind: TemplateKind,
    data_file: Path | None,
    as_json: bool,
) -> None:
    """Render a template with sample data, or with the data in a file."""
    with state.db.read() as session:
        tenant = get_tenant(session, slug)
        template = get_template(session, tenant, kind)
    context = sample_context(kind, company_name=tenant.name)
    if data_file is not None:
        context.update(_read_data(data_file))

    result = render_message(
        template.subject, template.text_body, template.html_body, context
    )
    errors = [asdict(error) for error in result.errors]
    output = {
        "kind": kind.value,
        "reply_to": format_reply_to(template.reply_to),
        "subject": result.subject,
        "text_body": result.text_body,
        "html_body": result.html_body,
        "errors": errors,
    }
    if errors and not as_json:
        click.echo("\n".join(_error_line(error) for error in errors), err=True)
    else:
        emit(output, as_json, _plain_render)
    if result.errors:
        raise click.exceptions.Exit(1)


def _read_data(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"data file {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(
            f"data file {path} must hold a JSON object with keys such as document"
        )
    return data


def _plain_render(output: dict) -> str:
    lines = [
        f"Subject:  {output['subject']}",
        f"Reply-To: {output['reply_to'] or '(none)'}",
        "",
        output["text_body"],
    ]
    if output["html_body"] is not None:
        lines += ["", "--- HTML body ---", output["html_body"]]
    return "\n".join(lines)


def _error_line(error: dict) -> str:
    where = f" line {error['line']}" if error["line"] else ""
    return f"error: {error['field']}{where}: {error['message']}"


@templates.command("lint")
@tenant_option
@json_option
@pass_state
def lint_command(state: CliState, slug: str, as_json: bool) -> None:
    """Render every template against its sample data and report errors."""
    with state.db.read() as session:
        tenant = get_tenant(session, slug)
        assert tenant.id is not None
        found = list_templates(session, tenant.id)
    rows = [_lint(template, tenant.name) for template in found]
    emit(rows, as_json, _plain_lint)
    if any(row["errors"] for row in rows):
        raise click.exceptions.Exit(1)


def _lint(template: Template, company_name: str) -> dict:
    context = sample_context(TemplateKind(template.kind), company_name=company_name)
    result = render_message(
        template.subject, template.text_body, template.html_body, context
    )
    return {
        "kind": template.kind,
        "errors": [asdict(error) for error in result.errors],
    }


def _plain_lint(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        if not row["errors"]:
            lines.append(f"ok     {row['kind']}")
        for error in row["errors"]:
            lines.append(
                f"error  {row['kind']}: {_error_line(error).removeprefix('error: ')}"
            )
    return "\n".join(lines)


COMMANDS = [templates]
