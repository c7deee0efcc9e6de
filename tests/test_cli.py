"""The command line, run as a subprocess, for each command and bad input."""

import json
from pathlib import Path

import pytest

from tests.cli import mailroom

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def url(database_url: str) -> str:
    """A database holding tenant "acme"."""
    created = mailroom(
        database_url,
        "tenants",
        "create",
        "acme",
        "--name",
        "Acme GmbH",
        "--primary-user",
        "owner@acme.example",
    )
    assert created.code == 0, created.stderr
    return database_url


def test_demo_creates_then_resets(database_url: str) -> None:
    first = mailroom(database_url, "demo")
    second = mailroom(database_url, "demo")

    assert first.code == 0, first.stderr
    assert "created tenant demo" in first.stdout
    assert second.code == 0, second.stderr
    assert "reset the templates" in second.stdout


def test_tenants_list_json_and_search(url: str) -> None:
    mailroom(
        url,
        "tenants",
        "create",
        "globex",
        "--name",
        "Globex",
        "--primary-user",
        "a@globex.example",
    )

    found = mailroom(url, "tenants", "list", "--search", "glob", "--json")

    assert found.code == 0, found.stderr
    assert [row["slug"] for row in found.json()] == ["globex"]


def test_tenants_create_bad_email_exits_1(database_url: str) -> None:
    run = mailroom(
        database_url,
        "tenants",
        "create",
        "acme",
        "--name",
        "Acme",
        "--primary-user",
        "nobody",
    )

    assert run.code == 1
    assert "invalid email address 'nobody'" in run.stderr
    assert run.stdout == ""


def test_missing_option_is_usage_error(database_url: str) -> None:
    run = mailroom(database_url, "tenants", "create", "acme")

    assert run.code == 2
    assert "--name" in run.stderr


def test_templates_list_json(url: str) -> None:
    run = mailroom(url, "templates", "list", "--tenant", "acme", "--json")

    assert run.code == 0, run.stderr
    assert len(run.json()) == 11
    assert run.json()[3]["kind"] == "invoice"


def test_templates_show_accepts_dashes(url: str) -> None:
    run = mailroom(
        url, "templates", "show", "--tenant", "acme", "payment-reminder", "--json"
    )

    assert run.code == 0, run.stderr
    assert run.json()["kind"] == "payment_reminder"


def test_unknown_kind_is_usage_error(url: str) -> None:
    run = mailroom(url, "templates", "show", "--tenant", "acme", "invoise")

    assert run.code == 2
    assert "unknown template kind 'invoise'" in run.stderr


def test_unknown_tenant_exits_1(url: str) -> None:
    run = mailroom(url, "templates", "list", "--tenant", "nope")

    assert run.code == 1
    assert "no tenant 'nope'" in run.stderr


def test_templates_set_body_from_stdin_and_reply_to(url: str) -> None:
    run = mailroom(
        url,
        "templates",
        "set",
        "--tenant",
        "acme",
        "invoice",
        "--body-file",
        "-",
        "--reply-to",
        '"Konten, Süd" <konten@acme.example>',
        "--json",
        stdin="Hello {{ counterparty.name }}\n",
    )

    assert run.code == 0, run.stderr
    assert run.json()["text_body"] == "Hello {{ counterparty.name }}\n"
    assert run.json()["reply_to_text"] == '"Konten, Süd" <konten@acme.example>'
    assert run.json()["version"] == 2


def test_templates_set_stale_base_version_exits_1(url: str) -> None:
    mailroom(url, "templates", "set", "--tenant", "acme", "quote", "--subject", "One")

    run = mailroom(
        url,
        "templates",
        "set",
        "--tenant",
        "acme",
        "quote",
        "--subject",
        "Two",
        "--base-version",
        "1",
    )

    assert run.code == 1
    assert "changed by owner@acme.example" in run.stderr


def test_templates_set_invalid_reply_to_exits_1(url: str) -> None:
    run = mailroom(
        url, "templates", "set", "--tenant", "acme", "quote", "--reply-to", "sales@"
    )

    assert run.code == 1
    assert "'sales@'" in run.stderr


def test_templates_set_nothing_is_usage_error(url: str) -> None:
    run = mailroom(url, "templates", "set", "--tenant", "acme", "quote")

    assert run.code == 2
    assert "nothing to change" in run.stderr


def test_templates_render_with_data_file(url: str, tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    counterparty = {"name": "Zoë Ltd", "contact_name": "Zoë", "email": "z@zoe.example"}
    data.write_text(json.dumps({"counterparty": counterparty}))
    mailroom(
        url,
        "templates",
        "set",
        "--tenant",
        "acme",
        "invoice",
        "--body-file",
        "-",
        stdin="For {{ counterparty.name }}",
    )

    run = mailroom(
        url,
        "templates",
        "render",
        "--tenant",
        "acme",
        "invoice",
        "--data",
        str(data),
        "--json",
    )

    assert run.code == 0, run.stderr
    assert run.json()["text_body"] == "For Zoë Ltd"


def test_templates_render_bad_json_exits_1(url: str, tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text("{not json")

    run = mailroom(
        url, "templates", "render", "--tenant", "acme", "invoice", "--data", str(data)
    )

    assert run.code == 1
    assert "is not valid JSON" in run.stderr


def test_templates_lint_passes_on_fresh_tenant(url: str) -> None:
    run = mailroom(url, "templates", "lint", "--tenant", "acme", "--json")

    assert run.code == 0, run.stdout + run.stderr
    assert [row["errors"] for row in run.json()] == [[]] * 11


def test_reply_to_set_dry_run_then_apply_then_undo(url: str) -> None:
    dry = mailroom(
        url,
        "reply-to",
        "set",
        "--tenant",
        "acme",
        "sales@acme.example",
        "--group",
        "sales",
        "--dry-run",
        "--json",
    )
    applied = mailroom(
        url,
        "reply-to",
        "set",
        "--tenant",
        "acme",
        "sales@acme.example",
        "--kind",
        "quote",
        "--kind",
        "sales_order",
        "--json",
    )
    undone = mailroom(
        url, "reply-to", "undo", "--tenant", "acme", applied.json()["change_id"]
    )
    listed = mailroom(url, "templates", "list", "--tenant", "acme", "--json")

    assert dry.code == 0, dry.stderr
    assert len(dry.json()["changes"]) == 9
    assert applied.code == 0, applied.stderr
    assert [c["kind"] for c in applied.json()["changes"]] == ["quote", "sales_order"]
    assert undone.code == 0, undone.stderr
    assert "2 templates restored" in undone.stdout
    assert all(row["reply_to"] == [] for row in listed.json())


def test_reply_to_set_needs_one_scope(url: str) -> None:
    none_given = mailroom(url, "reply-to", "set", "--tenant", "acme", "a@acme.example")
    two_given = mailroom(
        url,
        "reply-to",
        "set",
        "--tenant",
        "acme",
        "a@acme.example",
        "--all",
        "--group",
        "sales",
    )

    assert none_given.code == 2
    assert two_given.code == 2
    assert "exactly one scope" in two_given.stderr


def test_audit_lists_changes(url: str) -> None:
    mailroom(
        url,
        "templates",
        "set",
        "--tenant",
        "acme",
        "quote",
        "--subject",
        "Quote {{ document.number }}",
        user="ann@acme.example",
    )

    run = mailroom(url, "audit", "--tenant", "acme", "--json")

    assert run.code == 0, run.stderr
    assert run.json()[0]["action"] == "template.update"
    assert run.json()[0]["actor"] == "ann@acme.example"
    assert run.json()[-1]["action"] == "tenant.create"


def test_bare_mailroom_help_lists_commands(database_url: str) -> None:
    run = mailroom(database_url, "--help")

    assert run.code == 0
    for command in ("demo", "tenants", "templates", "reply-to", "audit"):
        assert command in run.stdout
