"""The delivery engine against aiosmtpd on loopback: retries, failures, TLS."""

import asyncio
from datetime import timedelta

import pytest
from aiosmtpd.smtp import AuthResult

import store.delivery.engine as engine_module
from store.db import Database
from store.delivery.compose import MessageContent, compose_message
from store.delivery.engine import DeliveryEngine
from store.delivery.outbox import (
    DeliveryOutcome,
    claim_due,
    enqueue,
    get_attempts,
    get_message,
    record_outcomes,
)
from store.delivery.policy import RetryPolicy
from store.delivery.relay import DeliveryStopped, relay_config
from store.delivery.tables import OutboxMessage, OutboxState
from store.errors import InvalidInput
from store.models import utc_now
from store.sender.effective import EffectiveSender
from store.settings import SmtpSettings
from tests.factories import make_tenant
from tests.peers.smtp import (
    DROP,
    STALL,
    Certificate,
    SmtpServer,
    free_port,
    start_smtp_server,
)

SENDER = EffectiveSender(
    address="notification-service@platform.example",
    display_name="Acme GmbH",
    is_custom=False,
    reason="",
    envelope_from="bounces@bounces.platform.example",
)

# Retries due at once, so that one run shows the whole retry sequence.
AT_ONCE = RetryPolicy(max_attempts=3, base_delay=0.0)


def queue(
    db: Database, count: int = 1, to: str = "buyer@customer.example"
) -> list[int]:
    """Queue `count` messages for tenant acme and return their outbox ids."""
    tenant = make_tenant(db)
    assert tenant.id is not None
    messages = []
    with db.write() as session:
        for number in range(count):
            composed = compose_message(
                SENDER,
                [to],
                MessageContent(f"Invoice {number}", f"Invoice number {number}\n"),
            )
            messages.append(
                enqueue(
                    session,
                    composed,
                    tenant_id=tenant.id,
                    kind="invoice",
                    actor="owner@acme.example",
                )
            )
        session.flush()
        return [message.id for message in messages if message.id is not None]


def engine_for(
    db: Database, server: SmtpServer, policy: RetryPolicy = AT_ONCE, **settings: object
) -> DeliveryEngine:
    relay = relay_config(server.settings(**settings))
    return DeliveryEngine(db, relay, connections=2, policy=policy)


def state_of(db: Database, outbox_id: int) -> OutboxMessage:
    return get_message(db, outbox_id).message


async def test_batch_over_reused_connections(
    db: Database, smtp_server: SmtpServer
) -> None:
    ids = queue(db, 40)
    engine = DeliveryEngine(db, relay_config(smtp_server.settings()), connections=3)

    summary = await engine.run(once=True)

    assert summary.sent == 40
    assert len(smtp_server.received) == 40
    assert smtp_server.handler.ehlo_commands <= 3
    assert all(state_of(db, outbox_id).state == OutboxState.SENT for outbox_id in ids)
    message = state_of(db, ids[0])
    assert message.attempts == 1
    assert message.relay_reply == "2.0.0 Message accepted for delivery"
    assert message.lease_token is None
    assert message.sent_at is not None


async def test_received_bytes_equal_stored(
    db: Database, smtp_server: SmtpServer
) -> None:
    [outbox_id] = queue(db)

    await engine_for(db, smtp_server).run(once=True)

    [received] = smtp_server.received
    message = state_of(db, outbox_id)
    assert received.content == message.raw
    assert received.mail_from == "bounces@bounces.platform.example"
    assert received.rcpt_tos == ["buyer@customer.example"]


async def test_451_then_success(db: Database, smtp_server: SmtpServer) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.data_actions.append("451 4.3.0 Try again later")

    summary = await engine_for(db, smtp_server).run(once=True)

    assert (summary.sent, summary.deferred, summary.failed) == (1, 1, 0)
    message = state_of(db, outbox_id)
    assert message.state == OutboxState.SENT
    assert message.attempts == 2
    attempts = get_attempts(db, outbox_id)
    assert [attempt.outcome for attempt in attempts] == ["deferred", "sent"]
    assert attempts[0].reply_code == 451
    assert "451 4.3.0 Try again later" in attempts[0].detail
    assert len(smtp_server.received) == 1


async def test_451_defers_with_backoff(db: Database, smtp_server: SmtpServer) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.rcpt_replies.append("451 4.7.1 Greylisted, come back later")
    policy = RetryPolicy(base_delay=60.0)
    before = utc_now()

    summary = await engine_for(db, smtp_server, policy).run(once=True)

    assert summary.deferred == 1
    message = state_of(db, outbox_id)
    assert message.state == OutboxState.DEFERRED
    assert message.reply_code == 451
    assert "Greylisted" in (message.last_error or "")
    assert message.next_attempt_at is not None
    wait = message.next_attempt_at - before
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=61)
    assert smtp_server.received == []


def test_backoff_doubles_up_to_maximum() -> None:
    policy = RetryPolicy(base_delay=60.0, max_delay=600.0)

    for attempt, ceiling in [(1, 60), (2, 120), (3, 240), (4, 480), (5, 600), (9, 600)]:
        delays = [policy.delay_after(attempt) for _ in range(50)]
        assert min(delays) >= ceiling / 2
        assert max(delays) <= ceiling


async def test_550_fails_at_once(db: Database, smtp_server: SmtpServer) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user here")

    summary = await engine_for(db, smtp_server).run(once=True)

    assert (summary.sent, summary.deferred, summary.failed) == (0, 0, 1)
    message = state_of(db, outbox_id)
    assert message.state == OutboxState.FAILED
    assert message.attempts == 1
    assert message.reply_code == 550
    assert "buyer@customer.example: 550 5.1.1 No such user here" in (
        message.last_error or ""
    )
    assert smtp_server.received == []


async def test_550_after_data_fails(db: Database, smtp_server: SmtpServer) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.data_actions.append("554 5.7.1 Message rejected as spam")

    await engine_for(db, smtp_server).run(once=True)

    message = state_of(db, outbox_id)
    assert message.state == OutboxState.FAILED
    assert message.reply_code == 554
    assert "rejected the message: 554 5.7.1" in (message.last_error or "")


async def test_connection_reused_after_rejection(
    db: Database, smtp_server: SmtpServer
) -> None:
    ids = queue(db, 3)
    smtp_server.handler.rcpt_replies.append("550 5.1.1 No such user here")
    relay = relay_config(smtp_server.settings())

    await DeliveryEngine(db, relay, connections=1).run(once=True)

    states = [state_of(db, outbox_id).state for outbox_id in ids]
    assert states == [OutboxState.FAILED, OutboxState.SENT, OutboxState.SENT]
    assert smtp_server.handler.ehlo_commands == 1


async def test_dropped_during_data_is_retried(
    db: Database, smtp_server: SmtpServer
) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.data_actions.append(DROP)

    summary = await engine_for(db, smtp_server).run(once=True)

    assert (summary.sent, summary.deferred) == (1, 1)
    attempts = get_attempts(db, outbox_id)
    assert attempts[0].outcome == "deferred"
    assert "lost" in attempts[0].detail
    assert attempts[0].reply_code is None
    assert state_of(db, outbox_id).state == OutboxState.SENT
    assert smtp_server.handler.ehlo_commands == 2
    assert len(smtp_server.received) == 1


async def test_timeout_is_retried(db: Database, smtp_server: SmtpServer) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.data_actions.append(STALL)
    smtp_server.handler.stall_seconds = 1.5

    await engine_for(db, smtp_server, timeout=0.3).run(once=True)

    attempts = get_attempts(db, outbox_id)
    assert [attempt.outcome for attempt in attempts] == ["deferred", "sent"]
    assert "timed out after 0.3 s" in attempts[0].detail
    assert state_of(db, outbox_id).state == OutboxState.SENT
    # The stalled session may still accept its copy after the client gave
    # up: a duplicate, but with the same Message-ID.
    await asyncio.sleep(1.5)
    message_ids = {item.message()["Message-ID"] for item in smtp_server.received}
    assert message_ids == {state_of(db, outbox_id).message_id}


async def test_gives_up_after_max_attempts(
    db: Database, smtp_server: SmtpServer
) -> None:
    [outbox_id] = queue(db)
    smtp_server.handler.data_actions.extend(["421 4.3.2 System shutting down"] * 3)

    summary = await engine_for(db, smtp_server).run(once=True)

    assert (summary.deferred, summary.failed) == (2, 1)
    message = state_of(db, outbox_id)
    assert message.state == OutboxState.FAILED
    assert message.attempts == 3
    assert (message.last_error or "").startswith("gave up after 3 attempts: ")


async def test_connection_refused_defers(db: Database) -> None:
    [outbox_id] = queue(db)
    relay = relay_config(SmtpSettings(port=free_port(), timeout=2.0))

    summary = await DeliveryEngine(
        db, relay, connections=1, policy=RetryPolicy(base_delay=60.0)
    ).run(once=True)

    assert summary.deferred == 1
    message = state_of(db, outbox_id)
    assert message.state == OutboxState.DEFERRED
    assert "cannot connect to SMTP relay 127.0.0.1:" in (message.last_error or "")


async def test_starttls_with_ca_file(
    db: Database, smtp_starttls_server: SmtpServer
) -> None:
    [outbox_id] = queue(db)

    await engine_for(db, smtp_starttls_server).run(once=True)

    assert state_of(db, outbox_id).state == OutboxState.SENT
    [received] = smtp_starttls_server.received
    assert received.tls is True


async def test_tls_from_first_byte(db: Database, smtp_certificate: Certificate) -> None:
    server = start_smtp_server(tls="tls", certificate=smtp_certificate)
    try:
        [outbox_id] = queue(db)

        await engine_for(db, server).run(once=True)

        assert state_of(db, outbox_id).state == OutboxState.SENT
        assert server.received[0].tls is True
    finally:
        server.stop()


async def test_untrusted_certificate_stops(
    db: Database, smtp_starttls_server: SmtpServer, other_certificate: Certificate
) -> None:
    [outbox_id] = queue(db)
    engine = engine_for(
        db, smtp_starttls_server, ca_file=str(other_certificate.cert_file)
    )

    with pytest.raises(DeliveryStopped) as stopped:
        await engine.run(once=True)

    assert "TLS certificate of SMTP relay 127.0.0.1:" in stopped.value.message
    assert "is not trusted" in stopped.value.message
    assert str(other_certificate.cert_file) in stopped.value.message
    message = state_of(db, outbox_id)
    assert message.state == OutboxState.QUEUED
    assert message.attempts == 0
    assert get_attempts(db, outbox_id) == []
    assert smtp_starttls_server.received == []


async def test_system_cas_reject_self_signed(
    db: Database, smtp_starttls_server: SmtpServer
) -> None:
    queue(db)
    engine = engine_for(db, smtp_starttls_server, ca_file=None)

    with pytest.raises(DeliveryStopped, match="the system CAs"):
        await engine.run(once=True)


async def test_starttls_missing_on_relay_stops(
    db: Database, smtp_server: SmtpServer
) -> None:
    queue(db)
    engine = engine_for(db, smtp_server, tls="starttls")

    with pytest.raises(DeliveryStopped, match="STARTTLS"):
        await engine.run(once=True)


async def test_failed_login_stops(db: Database) -> None:
    def reject(
        server: object, session: object, envelope: object, *args: object
    ) -> AuthResult:
        return AuthResult(success=False, handled=False)

    server = start_smtp_server(authenticator=reject)
    try:
        [outbox_id] = queue(db)
        engine = engine_for(db, server, username="mailroom", password="wrong")

        with pytest.raises(DeliveryStopped) as stopped:
            await engine.run(once=True)

        assert "authentication as 'mailroom'" in stopped.value.message
        assert "535" in stopped.value.message
        assert "MAILROOM_SMTP_PASSWORD" in stopped.value.message
        assert state_of(db, outbox_id).state == OutboxState.QUEUED
    finally:
        server.stop()


async def test_smtputf8_delivered(db: Database, smtp_server: SmtpServer) -> None:
    [outbox_id] = queue(db, to="käufer@bücher.example")

    await engine_for(db, smtp_server).run(once=True)

    assert state_of(db, outbox_id).state == OutboxState.SENT
    [received] = smtp_server.received
    assert received.smtp_utf8 is True
    assert received.rcpt_tos == ["käufer@bücher.example"]
    assert received.message()["To"] == "käufer@bücher.example"


async def test_relay_without_smtputf8_fails_message(db: Database) -> None:
    server = start_smtp_server(smtputf8=False)
    try:
        [outbox_id] = queue(db, to="käufer@bücher.example")

        await engine_for(db, server).run(once=True)

        message = state_of(db, outbox_id)
        assert message.state == OutboxState.FAILED
        assert "does not offer SMTPUTF8" in (message.last_error or "")
    finally:
        server.stop()


async def test_idn_domain_needs_no_smtputf8(db: Database) -> None:
    server = start_smtp_server(smtputf8=False)
    try:
        [outbox_id] = queue(db, to="buyer@bücher.example")

        await engine_for(db, server).run(once=True)

        assert state_of(db, outbox_id).state == OutboxState.SENT
        assert server.received[0].rcpt_tos == ["buyer@xn--bcher-kva.example"]
    finally:
        server.stop()


async def test_abandoned_claim_resent_after_lease(
    db: Database, smtp_server: SmtpServer
) -> None:
    [outbox_id] = queue(db)
    # A process claims the message and dies before it records anything.
    [claimed] = claim_due(db, limit=10, lease_seconds=0.2)
    assert claim_due(db, limit=10) == []

    await asyncio.sleep(0.3)
    await engine_for(db, smtp_server).run(once=True)

    message = state_of(db, outbox_id)
    assert message.state == OutboxState.SENT
    assert message.attempts == 2
    assert smtp_server.received[0].content == claimed.raw


async def test_late_outcome_of_lost_lease_ignored(db: Database) -> None:
    [outbox_id] = queue(db)
    [first] = claim_due(db, limit=1, lease_seconds=0.01)
    await asyncio.sleep(0.05)
    [second] = claim_due(db, limit=1)
    now = utc_now()
    late = DeliveryOutcome(
        outbox_id, first.lease_token, 1, OutboxState.FAILED, now, now, "late 550"
    )

    record_outcomes(db, [late])

    message = state_of(db, outbox_id)
    assert message.state == OutboxState.SENDING
    assert message.lease_token == second.lease_token


async def test_long_run_picks_up_new_messages(
    db: Database, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "POLL_SECONDS", 0.05)
    make_tenant(db)
    engine = engine_for(db, smtp_server)
    running = asyncio.create_task(engine.run(once=False))
    await asyncio.sleep(0.2)

    composed = compose_message(SENDER, ["b@c.example"], MessageContent("s", "b\n"))
    with db.write() as session:
        enqueue(session, composed, tenant_id=1, kind="invoice", actor="a")
    for _ in range(100):
        if smtp_server.received:
            break
        await asyncio.sleep(0.05)
    engine.stop()
    summary = await asyncio.wait_for(running, timeout=5)

    assert summary.sent == 1
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("tls", "ssl", "invalid SMTP TLS mode 'ssl'"),
        ("port", 0, "invalid SMTP port 0"),
        ("timeout", 0.0, "invalid SMTP timeout 0.0"),
        (
            "ca_file",
            "/nonexistent/ca.pem",
            "SMTP CA file /nonexistent/ca.pem not found",
        ),
        ("username", "mailroom", "set MAILROOM_SMTP_PASSWORD"),
    ],
)
def test_invalid_smtp_settings(setting: str, value: object, expected: str) -> None:
    values: dict[str, object] = {"tls": "starttls", setting: value}
    settings = SmtpSettings(**values)  # type: ignore[arg-type]

    with pytest.raises(InvalidInput) as error:
        relay_config(settings)

    assert expected in error.value.message
