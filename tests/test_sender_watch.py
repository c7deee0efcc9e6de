"""The watch engine: which senders a pass checks, how many at once, what it logs."""

import asyncio
import logging
from types import SimpleNamespace

import pytest
from sqlmodel import select

from store.db import Database
from store.errors import Conflict
from store.models import SenderIdentity
from store.sender import watch
from store.sender.service import request_sender, sender_records, show_sender
from store.sender.states import ACTIVE, DEFAULT, FAILED, PENDING_DNS
from store.settings import Settings
from tests.factories import OWNER, make_tenant
from tests.peers.knot import KnotServer

ACTOR = "watch@platform.example"


def set_states(db: Database, states: dict[str, str]) -> None:
    """Create one tenant per slug and put its sender straight into a state."""
    for slug in states:
        make_tenant(db, slug=slug, name=slug.title())
    with db.write() as session:
        for identity, slug in zip(
            session.exec(select(SenderIdentity).order_by(SenderIdentity.tenant_id)),
            states,
            strict=True,
        ):
            identity.state = states[slug]
            session.add(identity)


class FakeVerify:
    """Stands in for `verify_sender`, counting how many run at once."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.running = 0
        self.most_at_once = 0
        self.slugs: list[str] = []
        self.failing = failing

    async def __call__(self, db, settings, slug, actor, **options):
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        self.slugs.append(slug)
        try:
            await asyncio.sleep(0.02)
            if slug in self.failing:
                raise Conflict(f"the sender of tenant {slug} changed")
            return SimpleNamespace(
                changed=False, address=f"info@{slug}.test", state_after=PENDING_DNS
            )
        finally:
            self.running -= 1


def test_due_senders_are_the_watched_states(db: Database) -> None:
    set_states(
        db,
        {
            "a-default": DEFAULT,
            "b-pending": PENDING_DNS,
            "c-active": ACTIVE,
            "d-failed": FAILED,
            "e-degraded": "degraded",
            "f-verified": "verified",
        },
    )

    assert sorted(watch.due_senders(db)) == [
        "b-pending",
        "c-active",
        "e-degraded",
        "f-verified",
    ]


async def test_pass_runs_at_most_concurrency_checks(db, monkeypatch) -> None:
    set_states(db, {f"t{number:02}": PENDING_DNS for number in range(12)})
    fake = FakeVerify()
    monkeypatch.setattr(watch, "verify_sender", fake)

    summary = await watch.run_pass(db, Settings(), ACTOR, concurrency=3)

    assert summary.checked == 12
    assert sorted(fake.slugs) == [f"t{number:02}" for number in range(12)]
    assert fake.most_at_once == 3


async def test_pass_continues_after_failed_check(db, monkeypatch, caplog) -> None:
    set_states(db, {"good": PENDING_DNS, "bad": PENDING_DNS})
    monkeypatch.setattr(watch, "verify_sender", FakeVerify(frozenset({"bad"})))
    caplog.set_level(logging.ERROR, logger="mailroom.sender.watch")

    summary = await watch.run_pass(db, Settings(), ACTOR, concurrency=2)

    assert summary.errors == [("bad", "the sender of tenant bad changed")]
    assert len(summary.reports) == 1
    assert "tenant bad: check failed" in caplog.text


async def test_watch_stops_when_asked(db, monkeypatch, caplog) -> None:
    set_states(db, {"acme": PENDING_DNS})
    monkeypatch.setattr(watch, "verify_sender", FakeVerify())
    caplog.set_level(logging.INFO, logger="mailroom.sender.watch")
    stop = asyncio.Event()

    task = asyncio.create_task(
        watch.run_watch(db, Settings(), ACTOR, stop, interval=0.05, concurrency=1)
    )
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(task, timeout=2)

    assert caplog.text.count("pass finished") >= 2
    assert "watch stopped" in caplog.text


@pytest.mark.knot
async def test_pass_activates_and_logs(db, knot: KnotServer, caplog) -> None:
    settings = Settings(dns=knot.dns_settings())
    domain = knot.new_domain()
    make_tenant(db)
    request_sender(db, settings, "acme", f"info@{domain}", OWNER)
    for record in sender_records(db, settings, "acme"):
        if record.required:
            knot.publish(record)
    caplog.set_level(logging.INFO, logger="mailroom.sender.watch")

    summary = await watch.run_pass(db, settings, ACTOR, concurrency=4)

    assert [report.state_after for report in summary.changed] == [ACTIVE]
    assert show_sender(db, settings, "acme").state == ACTIVE
    assert f"info@{domain} pending_dns -> verified -> active" in caplog.text
