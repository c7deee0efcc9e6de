"""The delivery engine: sends due outbox messages over reused SMTP connections.

Three kinds of asyncio task share one run:

- the claimer takes due messages from the outbox in batches (one write
  transaction each) and hands them to the senders;
- each sender owns one SMTP connection, kept open from message to message,
  so at most `connections` messages are in flight at once;
- the recorder writes outcomes back. It writes whatever has piled up while
  its previous write ran, so under load one transaction covers many
  messages, and when idle each outcome is written at once.

Database calls run on the event loop's own thread, between network events.
They are short, and on a worker thread each one waited for the GIL (up to
Python's 5 ms switch interval) while the loop was busy sending, which cut
throughput by more than half (bench/delivery_bench.py). The cost is that a
long wait for SQLite's write lock pauses sending meanwhile.

A temporary failure defers the message with exponential backoff and jitter,
up to `RetryPolicy.max_attempts`. A permanent one fails it at once. A fatal
one (authentication, TLS) stops the run, and the messages that were claimed
but not tried go back to the queue.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from store.db import Database
from store.delivery.outbox import (
    ClaimedMessage,
    DeliveryOutcome,
    claim_due,
    next_due_at,
    record_outcomes,
    release,
)
from store.delivery.policy import (
    DEFAULT_CONNECTIONS,
    DEFAULT_LEASE_SECONDS,
    RetryPolicy,
)
from store.delivery.relay import (
    DeliveryFailed,
    DeliveryStopped,
    Failure,
    FailureKind,
    RelayConfig,
    RelayConnection,
    tls_context,
)
from store.delivery.tables import OutboxState
from store.models import format_utc, utc_now

log = logging.getLogger(__name__)

# How long a long-running engine sleeps at most before it looks for new
# messages that another process queued.
POLL_SECONDS = 5.0

# How long the recorder lets outcomes pile up before it writes them, so that
# one transaction covers several messages. A crash in this window loses the
# outcomes, and those messages are sent again after their lease.
RECORD_LINGER_SECONDS = 0.01


@dataclass
class RunSummary:
    """Counts of the outcomes of one engine run."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    # Set when a fatal failure stopped the run.
    stopped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the counts for JSON output."""
        return {
            "sent": self.sent,
            "deferred": self.deferred,
            "failed": self.failed,
            "stopped": self.stopped,
        }


class DeliveryEngine:
    """Delivers the outbox of one database through one relay."""

    def __init__(
        self,
        db: Database,
        relay: RelayConfig,
        *,
        connections: int = DEFAULT_CONNECTIONS,
        policy: RetryPolicy | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        if connections < 1:
            raise ValueError(f"connections must be at least 1, not {connections}")
        self.db = db
        self.relay = relay
        self.connections = connections
        self.policy = policy or RetryPolicy()
        self.lease_seconds = lease_seconds
        # Claimed messages waiting for a sender: enough to keep every
        # connection busy between two claims. One that waits over half its
        # lease, behind a slow relay, goes back to the queue (`give_back`).
        self.capacity = connections * 32
        self._context = tls_context(relay)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Ask a running `run` to finish the messages in flight and return."""
        self._stop.set()

    async def run(
        self, *, once: bool = True, ids: Sequence[int] | None = None
    ) -> RunSummary:
        """Deliver due messages (only `ids`, when given).

        With `once`, return when nothing is due any more; otherwise keep
        waiting for new and deferred messages until `stop` is called. Raises
        `DeliveryStopped` on a fatal failure, after recording what was done.
        """
        run = _Run(self, once=once, ids=ids)
        return await run.execute()


class _Run:
    """The state of one `DeliveryEngine.run`."""

    def __init__(
        self, engine: DeliveryEngine, *, once: bool, ids: Sequence[int] | None
    ) -> None:
        self.engine = engine
        self.once = once
        self.ids = ids
        self.summary = RunSummary()
        # Claimed messages with the loop time after which they are no longer
        # sent, because less than half of their lease would remain.
        self.ready: asyncio.Queue[tuple[ClaimedMessage, float] | None] = asyncio.Queue()
        self.outcomes: asyncio.Queue[DeliveryOutcome | None] = asyncio.Queue()
        # Claimed messages whose outcome is not yet committed.
        self.in_flight = 0
        self.progress = asyncio.Event()
        self.fatal: Failure | None = None
        # An unexpected exception in a sender or the recorder: a bug.
        self.crash: BaseException | None = None
        self.unsent: list[ClaimedMessage] = []

    async def execute(self) -> RunSummary:
        engine = self.engine
        log.info(
            "delivery started: relay %s, %d connections",
            engine.relay.where,
            engine.connections,
        )
        senders = [
            asyncio.create_task(self.send_loop(index))
            for index in range(engine.connections)
        ]
        recorder = asyncio.create_task(self.record_loop())
        for task in [*senders, recorder]:
            task.add_done_callback(self.watch)
        try:
            await self.claim_loop()
        finally:
            for _ in senders:
                self.ready.put_nowait(None)
            await asyncio.gather(*senders, return_exceptions=True)
            self.outcomes.put_nowait(None)
            await asyncio.gather(recorder, return_exceptions=True)
            release(engine.db, self.unsent)
        if self.crash is not None:
            raise self.crash

        summary = self.summary
        log.info(
            "delivery ended: %d sent, %d deferred, %d failed",
            summary.sent,
            summary.deferred,
            summary.failed,
        )
        if self.fatal is not None:
            summary.stopped = self.fatal.reason
            log.error("delivery stopped: %s", self.fatal.reason)
            raise DeliveryStopped(self.fatal)
        return summary

    def watch(self, task: asyncio.Task[None]) -> None:
        """Stop the run when a sender or the recorder ends with an exception."""
        if not task.cancelled() and task.exception() is not None:
            self.crash = self.crash or task.exception()
            self.progress.set()

    def stopping(self) -> bool:
        return (
            self.fatal is not None
            or self.crash is not None
            or self.engine._stop.is_set()
        )

    async def claim_loop(self) -> None:
        engine = self.engine
        while not self.stopping():
            room = engine.capacity - self.in_flight
            # Claim in batches: wait until half the room is free, unless
            # nothing at all is in flight.
            if room < engine.capacity // 2 and self.in_flight > 0:
                await self.wait_for_progress()
                continue
            claimed = self.claim(room)
            if claimed:
                self.in_flight += len(claimed)
                send_by = asyncio.get_running_loop().time() + engine.lease_seconds / 2
                for message in claimed:
                    self.ready.put_nowait((message, send_by))
                continue
            if self.in_flight > 0:
                await self.wait_for_progress()
            elif self.once:
                return
            else:
                await self.sleep_until_due()

    def claim(self, limit: int) -> list[ClaimedMessage]:
        engine = self.engine
        return claim_due(
            engine.db,
            limit=limit,
            lease_seconds=engine.lease_seconds,
            ids=self.ids,
        )

    async def wait_for_progress(self) -> None:
        self.progress.clear()
        stop_wait = asyncio.create_task(self.engine._stop.wait())
        progress_wait = asyncio.create_task(self.progress.wait())
        await asyncio.wait(
            [stop_wait, progress_wait], return_when=asyncio.FIRST_COMPLETED
        )
        stop_wait.cancel()
        progress_wait.cancel()

    async def sleep_until_due(self) -> None:
        due = next_due_at(self.engine.db)
        seconds = POLL_SECONDS
        if due is not None:
            seconds = min(POLL_SECONDS, max(0.0, (due - utc_now()).total_seconds()))
        try:
            await asyncio.wait_for(self.engine._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def send_loop(self, index: int) -> None:
        engine = self.engine
        connection = RelayConnection(engine.relay, engine._context)
        try:
            while True:
                item = await self.ready.get()
                if item is None:
                    return
                message, send_by = item
                if self.stopping():
                    self.unsent.append(message)
                    continue
                if asyncio.get_running_loop().time() > send_by:
                    self.give_back(message)
                    continue
                outcome = await self.attempt(connection, message)
                if outcome is None:
                    self.unsent.append(message)
                    continue
                self.outcomes.put_nowait(outcome)
        finally:
            await connection.quit()

    def give_back(self, message: ClaimedMessage) -> None:
        """Return a message that waited too long here, before its lease ends.

        Sending it now could overlap with another process that claims it
        when the lease runs out, so it goes back to the queue instead.
        """
        log.warning(
            "outbox message %d waited over half its %g s lease for a "
            "connection; returned to the queue",
            message.id,
            self.engine.lease_seconds,
        )
        release(self.engine.db, [message])
        self.in_flight -= 1
        self.progress.set()

    async def attempt(
        self, connection: RelayConnection, message: ClaimedMessage
    ) -> DeliveryOutcome | None:
        """Send one message; return its outcome, or None after a fatal failure."""
        started = utc_now()
        try:
            reply, refused = await connection.send(
                message.envelope_from, message.recipients, message.raw, message.smtputf8
            )
        except DeliveryFailed as error:
            if error.failure.kind is FailureKind.FATAL:
                self.fatal = self.fatal or error.failure
                self.progress.set()
                return None
            return self.failed_outcome(message, error.failure, started)

        detail = ""
        if refused:
            detail = "accepted for some recipients only; refused: " + "; ".join(
                f"{address}: {reply_text}" for address, reply_text in refused.items()
            )
        return DeliveryOutcome(
            outbox_id=message.id,
            lease_token=message.lease_token,
            attempt=message.attempt,
            state=OutboxState.SENT,
            started_at=started,
            finished_at=utc_now(),
            detail=detail,
            reply_code=250,
            relay_reply=reply,
        )

    def failed_outcome(
        self, message: ClaimedMessage, failure: Failure, started: datetime
    ) -> DeliveryOutcome:
        policy = self.engine.policy
        finished = utc_now()
        if failure.kind is FailureKind.PERMANENT:
            state, detail, next_attempt = OutboxState.FAILED, failure.reason, None
        elif message.attempt >= policy.max_attempts:
            state = OutboxState.FAILED
            detail = f"gave up after {message.attempt} attempts: {failure.reason}"
            next_attempt = None
        else:
            state, detail = OutboxState.DEFERRED, failure.reason
            delay = policy.delay_after(message.attempt)
            next_attempt = finished + timedelta(seconds=delay)
        return DeliveryOutcome(
            outbox_id=message.id,
            lease_token=message.lease_token,
            attempt=message.attempt,
            state=state,
            started_at=started,
            finished_at=finished,
            detail=detail,
            reply_code=failure.reply_code,
            next_attempt_at=next_attempt,
        )

    async def record_loop(self) -> None:
        finished = False
        while not finished:
            first = await self.outcomes.get()
            if first is None:
                finished = True
            else:
                await asyncio.sleep(RECORD_LINGER_SECONDS)
            batch = [first] if first is not None else []
            while not self.outcomes.empty():
                outcome = self.outcomes.get_nowait()
                if outcome is None:
                    finished = True
                else:
                    batch.append(outcome)
            if batch:
                record_outcomes(self.engine.db, batch)
                self.count(batch)
                self.in_flight -= len(batch)
            self.progress.set()

    def count(self, batch: list[DeliveryOutcome]) -> None:
        summary = self.summary
        for outcome in batch:
            if outcome.state is OutboxState.SENT:
                summary.sent += 1
            elif outcome.state is OutboxState.DEFERRED:
                summary.deferred += 1
                assert outcome.next_attempt_at is not None
                log.info(
                    "outbox message %d deferred after attempt %d, next at %s: %s",
                    outcome.outbox_id,
                    outcome.attempt,
                    format_utc(outcome.next_attempt_at),
                    outcome.detail,
                )
            else:
                summary.failed += 1
                log.warning(
                    "outbox message %d failed on attempt %d: %s",
                    outcome.outbox_id,
                    outcome.attempt,
                    outcome.detail,
                )
