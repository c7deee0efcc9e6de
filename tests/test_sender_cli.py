"""`mailroom sender` run as a subprocess against Knot on loopback, with bad input."""

import csv
import io
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import dns.zone
import pytest

from tests.cli import Run, mailroom
from tests.peers.knot import KnotServer

pytestmark = [pytest.mark.knot, pytest.mark.timeout(300)]

OWNER = "owner@acme.example"
STRANGER = "support@platform.example"
RECORD_KEYS = {"purpose", "type", "name", "value", "status", "found", "message"}


@pytest.fixture
def env(knot: KnotServer) -> dict[str, str]:
    """Environment variables that point Mailroom's DNS at Knot."""
    return knot.environment()


@pytest.fixture
def url(database_url: str) -> str:
    """A database holding tenant "acme" whose primary user is OWNER."""
    created = mailroom(
        database_url,
        "tenants",
        "create",
        "acme",
        "--name",
        "Acme GmbH",
        "--primary-user",
        OWNER,
    )
    assert created.code == 0, created.stderr
    return database_url


@pytest.fixture
def domain(knot: KnotServer) -> str:
    """A subdomain of example.test for this test alone."""
    return knot.new_domain()


def sender(url: str, env: dict[str, str], *args: str, user: str = OWNER) -> Run:
    """Run `mailroom sender ARGS...`."""
    return mailroom(url, "sender", *args, user=user, env=env)


@pytest.fixture
def requested(url: str, env: dict[str, str], domain: str) -> list[dict]:
    """info@<domain> requested for "acme"; its records as JSON."""
    run = sender(url, env, "request", "--tenant", "acme", f"info@{domain}", "--json")
    assert run.code == 0, run.stderr
    return run.json()["records"]


def publish_required(knot: KnotServer, records: list[dict]) -> None:
    """Publish the required records from `sender records --json` output."""
    for record in records:
        if record["required"]:
            knot.publish(
                SimpleNamespace(
                    rtype=record["type"],
                    name=record["name"],
                    value=record["value"],
                    strings=tuple(record["strings"]),
                )
            )


# show


def test_show_default_sender_json(url, env) -> None:
    data = sender(url, env, "show", "--tenant", "acme", "--json").json()

    assert data["state"] == "default"
    assert data["effective_from"] == "notification-service@platform.example"
    assert data["records"] == []


def test_show_plain_names_platform_address(url, env) -> None:
    run = sender(url, env, "show", "--tenant", "acme")

    assert run.code == 0, run.stderr
    assert "notification-service@platform.example> (platform)" in run.stdout
    assert "no custom From address has been requested" in run.stdout


def test_show_unknown_tenant_fails(url, env) -> None:
    run = sender(url, env, "show", "--tenant", "nope")

    assert run.code == 1
    assert "no tenant 'nope'" in run.stderr


# request


def test_request_prints_records_to_publish(url, env, domain) -> None:
    run = sender(url, env, "request", "--tenant", "acme", f"info@{domain}")

    assert run.code == 0, run.stderr
    assert "Publish these records" in run.stdout
    assert f"mailroom._domainkey.{domain}" in run.stdout


def test_request_json_records_have_keys(requested) -> None:
    for record in requested:
        assert RECORD_KEYS <= set(record), record["purpose"]


def test_request_json_state_pending(url, env, requested) -> None:
    data = sender(url, env, "show", "--tenant", "acme", "--json").json()

    assert data["state"] == "pending_dns"


def test_request_by_other_user_fails(url, env, domain) -> None:
    run = sender(
        url, env, "request", "--tenant", "acme", f"info@{domain}", user=STRANGER
    )

    assert run.code == 1
    assert "only the primary user" in run.stderr
    assert run.stdout == ""


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("info@@acme.test", "invalid email address"),
        ("info@co.uk", "public suffix"),
        ("info@platform.example", "belongs to the platform"),
    ],
)
def test_request_bad_address_fails(url, env, address: str, message: str) -> None:
    run = sender(url, env, "request", "--tenant", "acme", address)

    assert run.code == 1
    assert message in run.stderr


def test_request_without_address_is_usage_error(url, env) -> None:
    run = sender(url, env, "request", "--tenant", "acme")

    assert run.code == 2
    assert "Missing argument 'ADDRESS'" in run.stderr


def test_request_idn_shows_both_forms(url, env, knot) -> None:
    label = knot.new_domain().split(".")[0]
    run = sender(url, env, "request", "--tenant", "acme", f"info@{label}.müller.test")

    assert run.code == 0, run.stderr
    assert f"info@{label}.müller.test" in run.stdout
    assert f"in DNS: info@{label}.xn--mller-kva.test" in run.stdout


# records


def test_records_table_shows_dkim_strings(url, env, requested) -> None:
    run = sender(url, env, "records", "--tenant", "acme")

    assert run.code == 0, run.stderr
    assert "TXT strings of at most 255 characters" in run.stdout


def test_records_zone_snippet_parses(url, env, requested, domain) -> None:
    run = sender(url, env, "records", "--tenant", "acme", "--format", "zone")

    zone = dns.zone.from_text(
        run.stdout, origin=f"{domain}.", relativize=False, check_origin=False
    )
    dkim = zone.find_rdataset(f"mailroom._domainkey.{domain}.", "TXT")[0]
    assert b"".join(dkim.strings).decode() == requested[1]["value"]


def test_records_csv_has_header_and_rows(url, env, requested) -> None:
    run = sender(url, env, "records", "--tenant", "acme", "--format", "csv")

    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [row["purpose"] for row in rows] == [r["purpose"] for r in requested]


def test_records_json_flag_matches_format_json(url, env, requested) -> None:
    by_flag = sender(url, env, "records", "--tenant", "acme", "--json")
    by_format = sender(url, env, "records", "--tenant", "acme", "--format", "json")

    assert by_flag.json() == by_format.json()
    assert by_flag.json()[1]["strings"] == requested[1]["strings"]


def test_records_unknown_format_is_usage_error(url, env, requested) -> None:
    run = sender(url, env, "records", "--tenant", "acme", "--format", "yaml")

    assert run.code == 2


def test_records_before_request_fails(url, env) -> None:
    run = sender(url, env, "records", "--tenant", "acme")

    assert run.code == 1
    assert "no custom From address has been requested" in run.stderr


# verify


def test_verify_with_missing_records_exits_zero(url, env, requested) -> None:
    run = sender(url, env, "verify", "--tenant", "acme", "--json")

    assert run.code == 0, run.stderr
    assert {record["status"] for record in run.json()["records"]} == {"missing"}


def test_verify_plain_prints_statuses(url, env, requested) -> None:
    run = sender(url, env, "verify", "--tenant", "acme")

    assert run.code == 0, run.stderr
    assert "missing      ownership" in run.stdout


def test_verify_after_publishing_activates(url, env, knot, requested, domain) -> None:
    publish_required(knot, requested)

    verified = sender(url, env, "verify", "--tenant", "acme", "--json").json()
    shown = sender(url, env, "show", "--tenant", "acme", "--json").json()

    assert verified["state"] == "active"
    assert shown["effective_from"] == f"info@{domain}"
    assert {record["status"] for record in shown["records"][:4]} == {"ok"}


def test_verify_without_request_fails(url, env) -> None:
    run = sender(url, env, "verify", "--tenant", "acme")

    assert run.code == 1
    assert "no custom From address to verify" in run.stderr


# history and cancel


def test_history_lists_checks_and_transitions(url, env, requested) -> None:
    sender(url, env, "verify", "--tenant", "acme")

    entries = sender(url, env, "history", "--tenant", "acme", "--json").json()

    assert [entry["kind"] for entry in entries] == ["check", "transition"]


def test_history_plain_table(url, env, requested) -> None:
    run = sender(url, env, "history", "--tenant", "acme")

    assert run.code == 0, run.stderr
    assert "default -> pending_dns" in run.stdout


def test_cancel_by_primary_user(url, env, requested) -> None:
    run = sender(url, env, "cancel", "--tenant", "acme", "--json")

    assert run.code == 0, run.stderr
    assert run.json()["state"] == "default"


def test_cancel_by_other_user_fails(url, env, requested) -> None:
    run = sender(url, env, "cancel", "--tenant", "acme", user=STRANGER)

    assert run.code == 1
    assert "only the primary user" in run.stderr


def test_cancel_without_request_fails(url, env) -> None:
    run = sender(url, env, "cancel", "--tenant", "acme")

    assert run.code == 1
    assert "no custom From address to cancel" in run.stderr


# watch


def test_watch_once_activates_published_sender(url, env, knot, requested) -> None:
    publish_required(knot, requested)

    run = sender(url, env, "watch", "--once", "--json")

    assert run.code == 0, run.stderr
    assert run.json()["checked"] == 1
    assert run.json()["changes"][0]["to"] == "active"
    assert "pass finished" in run.stderr


def test_watch_rejects_zero_concurrency(url, env) -> None:
    run = sender(url, env, "watch", "--once", "--concurrency", "0")

    assert run.code == 2


def test_watch_stops_on_ctrl_c(url, env, requested) -> None:
    command = [
        sys.executable,
        "-m",
        "tui.cli",
        "--db",
        url,
        "--user",
        OWNER,
        "sender",
        "watch",
        "--interval",
        "60",
    ]
    environment = {**os.environ, "MAILROOM_SETTINGS": "/nonexistent", **env}
    process = subprocess.Popen(
        command, env=environment, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "pass finished" in line:
            break
    process.send_signal(signal.SIGINT)
    _, remaining = process.communicate(timeout=30)

    assert process.returncode == 0, "".join(lines) + remaining
    assert "watch stopped" in remaining
