"""Delivery throughput: 1,000 DKIM-signed messages to aiosmtpd on loopback.

Three figures from one run, all sending to the same aiosmtpd sink, which
runs in its own process so that it does not share the client's GIL:

(a) naive: `dkim.sign` (dkimpy's pure-Python RSA) and a new `smtplib`
    connection (connect, EHLO, MAIL, RCPT, DATA, QUIT) per message;
(b) Mailroom: DKIM-sign with `store.delivery.signing`, store in the outbox,
    then deliver with the engine over reused connections, as
    `mailroom outbox run --once` does;
(c) ceiling: the same messages unsigned, straight from memory over the same
    number of reused aiosmtplib connections, with no database.

Every path starts from the same 1,000 composed messages; composing them
(`email.message`, about the same for any sender) is timed on its own. The
targets are (b) at least 5x (a) and at least half of (c).

    .venv/bin/python bench/delivery_bench.py [--messages N] [--connections N]
"""

import argparse
import asyncio
import base64
import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import aiosmtplib
import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from store.db import Database, open_database
from store.delivery.compose import ComposedMessage, MessageContent, compose_message
from store.delivery.engine import DeliveryEngine
from store.delivery.outbox import enqueue
from store.delivery.policy import DEFAULT_CONNECTIONS
from store.delivery.relay import relay_config
from store.delivery.signing import load_dkim_key, sign_message
from store.models import Tenant
from store.sender.effective import EffectiveSender
from store.settings import SmtpSettings

Result = TypeVar("Result")

DOMAIN = "acme.example"
SELECTOR = "mailroom"
CLIENT_NAME = "bench.localhost"

# Run in a child process: an aiosmtpd sink that accepts every message and
# prints "ready" once it listens.
SINK = """
import sys
from aiosmtpd.controller import Controller

class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Accepted"

controller = Controller(
    Sink(), hostname="127.0.0.1", port=int(sys.argv[1]),
    server_hostname="sink.localhost", enable_SMTPUTF8=True,
)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def timed(function: Callable[[], Result]) -> tuple[Result, float]:
    """Return what `function` returns and the seconds it took."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen[str]:
    """Start the sink process and wait until it listens."""
    process = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError("the aiosmtpd sink did not start")
    return process


def compose_all(count: int) -> list[ComposedMessage]:
    """Compose `count` invoice emails from the company's own address."""
    sender = EffectiveSender(
        address=f"info@{DOMAIN}",
        display_name="Acme Trading GmbH",
        is_custom=True,
        reason="",
        envelope_from=f"bounces@bounces.{DOMAIN}",
    )
    body = (
        "Dear Zoë Example,\n\n"
        "please find attached invoice {number} of 2026-12-04 for EUR 1,234.50,\n"
        "due on 2027-01-03. Pay online at https://pay.example/i/{number}.\n\n"
        "Kind regards,\nAcme Trading GmbH\n"
    )
    return [
        compose_message(
            sender,
            [f"customer{number}@example.com"],
            MessageContent(
                subject=f"Invoice INV-{number:05d} from Acme Trading GmbH",
                text_body=body.format(number=number),
                html_body=f"<p>Invoice <b>INV-{number:05d}</b></p>",
                reply_to=[{"name": "Accounts", "address": f"accounts@{DOMAIN}"}],
            ),
        )
        for number in range(count)
    ]


def naive(messages: list[ComposedMessage], pem: bytes, port: int) -> None:
    """(a) dkimpy signing and one smtplib connection per message."""
    for message in messages:
        signature = dkim.sign(
            message.raw,
            SELECTOR.encode(),
            DOMAIN.encode(),
            pem,
            canonicalize=(b"relaxed", b"relaxed"),
        )
        with smtplib.SMTP("127.0.0.1", port, local_hostname=CLIENT_NAME) as smtp:
            smtp.sendmail(
                message.envelope_from, message.recipients, signature + message.raw
            )


def mailroom_queue(db: Database, messages: list[ComposedMessage], pem: str) -> None:
    """(b), first half: sign each message and store it in the outbox."""
    key = load_dkim_key(DOMAIN, SELECTOR, pem)
    with db.write() as session:
        for message in messages:
            signed = ComposedMessage(
                raw=sign_message(message.raw, key),
                message_id=message.message_id,
                subject=message.subject,
                envelope_from=message.envelope_from,
                recipients=message.recipients,
                smtputf8=message.smtputf8,
            )
            enqueue(session, signed, tenant_id=1, kind="invoice", actor="bench")


async def mailroom_deliver(db: Database, port: int, connections: int) -> int:
    """(b), second half: the engine delivers the outbox."""
    relay = relay_config(SmtpSettings(host="127.0.0.1", port=port, tls="none"))
    engine = DeliveryEngine(db, relay, connections=connections)
    summary = await engine.run(once=True)
    return summary.sent


async def ceiling(messages: list[ComposedMessage], port: int, connections: int) -> None:
    """(c) unsigned messages from memory over reused aiosmtplib connections."""
    pending = list(reversed(messages))

    async def worker() -> None:
        smtp = aiosmtplib.SMTP(
            hostname="127.0.0.1",
            port=port,
            local_hostname=CLIENT_NAME,
            start_tls=False,
        )
        await smtp.connect()
        while pending:
            message = pending.pop()
            await smtp.sendmail(message.envelope_from, message.recipients, message.raw)
        await smtp.quit()

    await asyncio.gather(*(worker() for _ in range(connections)))


def make_key() -> tuple[str, bytes]:
    """Return a new 2048-bit RSA key as PEM, and its DKIM TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def check_signature(db: Database, record: bytes) -> None:
    """Fail unless a delivered message's signature verifies with dkimpy."""
    from store.delivery.outbox import get_message

    raw = get_message(db, 1).message.raw
    if not dkim.verify(raw, dnsfunc=lambda name, timeout=5: record):
        raise RuntimeError("a signed message does not verify with dkim.verify")


def best_of(repeats: int, function: Callable[[], object]) -> float:
    """Return the shortest of `repeats` timed runs of `function`, in seconds."""
    return min(timed(function)[1] for _ in range(repeats))


def mailroom_run(
    messages: list[ComposedMessage],
    pem: str,
    record: bytes,
    port: int,
    connections: int,
) -> tuple[float, float]:
    """Run (b) once on a fresh database; return the queue and delivery seconds."""
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        with db.write() as session:
            session.add(Tenant(id=1, slug="acme", name="Acme", primary_user="o@a.b"))
        _, queue_seconds = timed(lambda: mailroom_queue(db, messages, pem))
        sent, deliver_seconds = timed(
            lambda: asyncio.run(mailroom_deliver(db, port, connections))
        )
        check_signature(db, record)
        db.close()
    if sent != len(messages):
        raise RuntimeError(f"the engine sent {sent} of {len(messages)} messages")
    return queue_seconds, deliver_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="Runs of each figure; the fastest counts, since other load only "
        "ever slows a run down.",
    )
    args = parser.parse_args()
    count, connections, repeats = args.messages, args.connections, args.repeats

    pem, record = make_key()
    key = load_dkim_key(DOMAIN, SELECTOR, pem)
    messages, compose_seconds = timed(lambda: compose_all(count))
    sample = messages[0].raw
    dkimpy_sign = best_of(
        repeats,
        lambda: dkim.sign(sample, SELECTOR.encode(), DOMAIN.encode(), pem.encode()),
    )
    mailroom_sign = best_of(repeats, lambda: sign_message(sample, key))

    port = free_port()
    sink = start_sink(port)
    try:
        naive_seconds = best_of(
            repeats, lambda: naive(messages, pem.encode("ascii"), port)
        )
        runs = [
            mailroom_run(messages, pem, record, port, connections)
            for _ in range(repeats)
        ]
        ceiling_seconds = best_of(
            repeats, lambda: asyncio.run(ceiling(messages, port, connections))
        )
    finally:
        if sink.stdin:
            sink.stdin.close()
        try:
            sink.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(sink.pid, signal.SIGTERM)
            sink.wait(timeout=5)

    deliver_seconds = min(deliver for _, deliver in runs)
    whole_seconds = min(queue + deliver for queue, deliver in runs)
    queue_seconds = min(queue for queue, _ in runs)
    rates = {
        "a": count / naive_seconds,
        "b": count / deliver_seconds,
        "b'": count / whole_seconds,
        "c": count / ceiling_seconds,
    }
    labels = {
        "a": "naive: dkim.sign + smtplib per message",
        "b": "Mailroom engine: signed, queued messages",
        "b'": "Mailroom: sign + queue + engine",
        "c": "ceiling: unsigned, reused connections",
    }
    print(f"{count} messages, {connections} connections, best of {repeats} runs")
    print(f"signing:   dkimpy {dkimpy_sign * 1e3:.2f} ms/msg, ", end="")
    print(f"Mailroom {mailroom_sign * 1e3:.2f} ms/msg")
    print(f"composing: {compose_seconds / count * 1e3:.2f} ms/msg (in no figure)")
    print(f"queueing:  {queue_seconds / count * 1e3:.2f} ms/msg, signing included")
    for name, label in labels.items():
        print(f"({name}) {label:42} {rates[name]:6.0f} msg/s")
    for name in ("b", "b'"):
        versus_naive = rates[name] / rates["a"]
        versus_ceiling = rates[name] / rates["c"]
        print(
            f"({name})/(a) = {versus_naive:.1f}x (target >= 5x), "
            f"({name})/(c) = {versus_ceiling:.2f}x (target >= 0.5x)"
        )


if __name__ == "__main__":
    main()
