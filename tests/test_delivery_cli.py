"""`mailroom send` and `mailroom outbox`, run as subprocesses against aiosmtpd."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from store.db import Database
from store.delivery.outbox import list_outbox
from store.delivery.service import queue_document
from store.delivery.tables import OutboxMessage, OutboxState
from store.kinds import TemplateKind
from store.models import utc_now
from store.settings import Settings
from tests.cli import Run, mailroom
from tests.factories import OWNER, make_tenant
from tests.peers.smtp import Certificate, SmtpServer


def run(database_url: str, server: SmtpServer, *args: str, **env: str) -> Run:
    return mailroom(database_url, *args, env={**server.environment(), **env})


def test_send_accepted_exits_0(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "buyer@customer.example",
        "--json",
    )

    assert result.code == 0, result.stderr
    output = result.json()
    assert output["accepted"] is True
    assert output["state"] == "sent"
    assert output["detail"] == "2.0.0 Message accepted for delivery"
    [received] = smtp_server.received
    assert received.message()["Message-ID"] == output["message_id"]


def test_send_plain_output(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "quote",
        "--to",
        "b@c.example",
    )

    assert result.code == 0, result.stderr
    assert result.stdout.startswith("sent outbox message 1 to b@c.example (<")
    assert "the relay replied: 2.0.0 Message accepted for delivery" in result.stdout


def test_send_550_exits_1(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user here")

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "x@c.example",
    )

    assert result.code == 1
    assert result.stderr.startswith(
        "error: outbox message 1 was not delivered (failed): recipient refused: "
        "x@c.example: 550 5.1.1 No such user here"
    )


def test_send_451_exits_1_deferred(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    smtp_server.handler.data_actions.append("451 4.3.0 Try again later")

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
        "--json",
    )

    assert result.code == 1
    assert result.json()["state"] == "deferred"
    assert result.json()["reply_code"] == 451
    assert "was not delivered (deferred)" in result.stderr
    assert "by `mailroom outbox run`" in result.stderr


def test_queue_only_then_outbox_run(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)

    queued = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
        "--queue-only",
    )
    listed = run(database_url, smtp_server, "outbox", "list", "--json")
    delivered = run(database_url, smtp_server, "outbox", "run", "--once", "--json")
    shown = run(database_url, smtp_server, "outbox", "show", "1", "--json")

    assert queued.code == 0, queued.stderr
    assert "deliver it with: mailroom outbox run --once" in queued.stdout
    assert [row["state"] for row in listed.json()] == ["queued"]
    assert delivered.code == 0, delivered.stderr
    assert delivered.json() == {"sent": 1, "deferred": 0, "failed": 0, "stopped": None}
    assert "delivery started: relay 127.0.0.1:" in delivered.stderr
    assert len(smtp_server.received) == 1
    details = shown.json()
    assert details["state"] == "sent"
    names = [header["name"] for header in details["headers"]]
    assert names[:4] == ["From", "To", "Subject", "Date"]
    assert [attempt["outcome"] for attempt in details["attempt_log"]] == ["sent"]
    assert "raw" not in details


def test_outbox_show_plain(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    smtp_server.handler.data_actions.append("451 4.3.0 Try again later")
    run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
    )

    shown = run(database_url, smtp_server, "outbox", "show", "1")
    raw = run(database_url, smtp_server, "outbox", "show", "1", "--raw")

    assert shown.code == 0, shown.stderr
    assert "State:       deferred, 1 attempts" in shown.stdout
    assert "Last error:  SMTP relay" in shown.stdout
    assert "(reply code 451)" in shown.stdout
    assert "Headers:\n  From: Acme GmbH <notification-service@platform.example>" in (
        shown.stdout
    )
    assert "  1. " in shown.stdout
    assert "deferred 451" in shown.stdout
    assert raw.stdout.startswith("From: Acme GmbH")


def test_outbox_list_filters(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db, "acme", "Acme GmbH")
    make_tenant(db, "beta", "Beta Ltd")
    queue_document(
        db, Settings(), "acme", TemplateKind.INVOICE, "a@c.example", actor=OWNER
    )
    queue_document(
        db, Settings(), "beta", TemplateKind.QUOTE, "b@c.example", actor=OWNER
    )

    everything = run(database_url, smtp_server, "outbox", "list")
    beta = run(
        database_url, smtp_server, "outbox", "list", "--tenant", "beta", "--json"
    )
    sent = run(database_url, smtp_server, "outbox", "list", "--state", "sent")
    wrong = run(database_url, smtp_server, "outbox", "list", "--state", "lost")

    assert everything.stdout.splitlines()[0].split() == [
        "ID",
        "TENANT",
        "KIND",
        "TO",
        "STATE",
        "ATTEMPTS",
        "UPDATED",
        "NOTE",
    ]
    assert len(everything.stdout.splitlines()) == 3
    assert [row["tenant"] for row in beta.json()] == ["beta"]
    assert sent.stdout.strip() == "the outbox is empty"
    assert wrong.code == 2


def test_retry_failed_then_sent(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    smtp_server.handler.rcpt_replies.append("550 5.2.2 Mailbox full")
    run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
    )

    retried = run(database_url, smtp_server, "outbox", "retry", "1")
    delivered = run(database_url, smtp_server, "outbox", "run", "--once", "--json")
    again = run(database_url, smtp_server, "outbox", "retry", "1")

    assert retried.code == 0, retried.stderr
    assert retried.stdout.startswith("queued outbox message 1 again")
    assert delivered.json()["sent"] == 1
    assert again.code == 1
    assert "sending it again would deliver a duplicate" in again.stderr


def test_invalid_tls_mode_queues_nothing(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
        MAILROOM_SMTP_TLS="ssl",
    )

    assert result.code == 1
    assert result.stderr.startswith("error: invalid SMTP TLS mode 'ssl'")
    assert "use starttls, tls" in result.stderr
    assert list_outbox(db) == []


def test_untrusted_certificate_stops_run(
    db: Database,
    database_url: str,
    smtp_starttls_server: SmtpServer,
    other_certificate: Certificate,
) -> None:
    make_tenant(db)
    queue_document(
        db, Settings(), "acme", TemplateKind.INVOICE, "b@c.example", actor=OWNER
    )

    result = run(
        database_url,
        smtp_starttls_server,
        "outbox",
        "run",
        "--once",
        MAILROOM_SMTP_CA_FILE=str(other_certificate.cert_file),
    )

    assert result.code == 1
    assert "error: the TLS certificate of SMTP relay 127.0.0.1:" in result.stderr
    assert "is not trusted" in result.stderr
    assert [entry.message.state for entry in list_outbox(db)] == ["queued"]


def test_send_with_data_and_attachment(
    db: Database, database_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    make_tenant(db)
    data = tmp_path / "invoice.json"
    data.write_text(json.dumps({"user": {"name": "Zoë Support"}}), encoding="utf-8")
    pdf = tmp_path / "INV-0042.pdf"
    pdf.write_bytes(b"%PDF-1.4 invoice")

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
        "--data",
        str(data),
        "--attach",
        str(pdf),
    )

    assert result.code == 0, result.stderr
    [attachment] = smtp_server.received[0].message().iter_attachments()
    assert attachment.get_filename() == "INV-0042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 invoice"


def test_send_invalid_data_file(
    db: Database, database_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    make_tenant(db)
    data = tmp_path / "broken.json"
    data.write_text("{not json", encoding="utf-8")

    result = run(
        database_url,
        smtp_server,
        "send",
        "--tenant",
        "acme",
        "invoice",
        "--to",
        "b@c.example",
        "--data",
        str(data),
    )

    assert result.code == 1
    assert f"data file {data} is not valid JSON" in result.stderr
    assert list_outbox(db) == []


# A few hundred messages, slow enough at the server that the kill lands in
# the middle of the batch.
BATCH = 300


def outbox_run(
    database_url: str, server: SmtpServer, *args: str
) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "MAILROOM_SETTINGS": "/nonexistent/settings.toml",
        **server.environment(),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", database_url, "outbox", "run", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_sender_resumes_without_loss(
    db: Database, database_url: str, smtp_server: SmtpServer
) -> None:
    make_tenant(db)
    settings = Settings()
    for number in range(BATCH):
        queue_document(
            db,
            settings,
            "acme",
            TemplateKind.INVOICE,
            f"buyer{number}@c.example",
            actor=OWNER,
        )
    smtp_server.handler.delay = 0.01

    process = outbox_run(database_url, smtp_server, "--once", "--lease", "2")
    deadline = time.monotonic() + 60
    while len(smtp_server.received) < BATCH // 5:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first run delivered too little"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)

    received_at_kill = len(smtp_server.received)
    assert received_at_kill < BATCH
    with db.read() as session:
        in_flight = session.execute(
            select(func.count()).where(col(OutboxMessage.state) == OutboxState.SENDING)
        ).scalar_one()
        lease_ends = session.execute(
            select(func.max(OutboxMessage.lease_until))
        ).scalar_one()
    assert in_flight > 0
    # The restarted run takes the abandoned messages once their lease ends.
    time.sleep(max(0.0, (lease_ends - utc_now()).total_seconds()) + 0.2)
    smtp_server.handler.delay = 0.0

    restarted = outbox_run(database_url, smtp_server, "--once", "--json")
    stdout, stderr = restarted.communicate(timeout=120)

    assert restarted.returncode == 0, stderr
    entries = list_outbox(db, limit=BATCH + 1)
    assert Counter(entry.message.state for entry in entries) == {"sent": BATCH}
    with db.read() as session:
        rows = session.execute(
            select(col(OutboxMessage.message_id), col(OutboxMessage.raw))
        )
        stored: dict[str, bytes] = {message_id: raw for message_id, raw in rows}
    received_ids = [item.message()["Message-ID"] for item in smtp_server.received]
    assert set(received_ids) == set(stored)
    # A duplicate is the stored message again, byte for byte, so it carries
    # the same Message-ID and the recipient's client can drop it.
    changed = [
        message_id
        for message_id, item in zip(received_ids, smtp_server.received, strict=True)
        if item.content != stored[message_id]
    ]
    assert changed == []
    duplicates = len(received_ids) - BATCH
    assert 0 <= duplicates <= 4 * 32
