"""Regenerate the README's screenshots from the running app on the demo tenant.

    .venv/bin/python scripts/screenshots.py [--out screenshots]

Each screenshot starts the real app on a fresh temporary SQLite database
holding the demo tenant (as `mailroom demo` makes it) and two other
tenants, drives it with the pilot at 100x30, and saves an SVG.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from textual.pilot import Pilot  # noqa: E402

from store.db import open_database  # noqa: E402
from store.settings import Settings  # noqa: E402
from store.tenants import create_tenant  # noqa: E402
from tui.app import MailroomApp, make_app  # noqa: E402
from tui.commands.demo import DEMO_NAME, DEMO_PRIMARY_USER, DEMO_SLUG  # noqa: E402
from tui.screens.editor import EditorScreen  # noqa: E402

SIZE = (100, 30)
USER = "owner@northwind.example"
OTHER_TENANTS = [
    ("acme", "Acme Industrial GmbH", "billing@acme.example"),
    ("globex", "Globex Corporation", "finance@globex.example"),
]
OPEN_INVOICE = ("down", "down", "down", "enter")

Steps = Callable[[Pilot[None]], Awaitable[None]]


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the app's workers are done and the screen has caught up."""
    for _ in range(3):
        await pilot.pause(0.1)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


def press(*keys: str) -> Steps:
    async def steps(pilot: Pilot[None]) -> None:
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return steps


async def editor_with_error(pilot: Pilot[None]) -> None:
    await press(*OPEN_INVOICE)(pilot)
    editor = pilot.app.screen
    assert isinstance(editor, EditorScreen)
    editor.text_body.focus()
    editor.text_body.move_cursor((2, 0))
    # A misspelt variable: rendering names it and its line.
    await pilot.press(*"Total: {{ document.totl | money }}")
    await settle(pilot)


# Outbox messages for the outbox screenshot: kind, recipient, and the state,
# reply code and reason of the one attempt recorded for it (None: queued).
OUTBOX_MESSAGES = [
    ("invoice", "priya.shah@bluebell-garden.example", "sent", 250, ""),
    (
        "payment_reminder",
        "accounts@oakfield-farms.example",
        "deferred",
        451,
        "SMTP relay relay.platform.example:25 rejected the message: "
        "451 4.3.0 Mailbox busy, try again later",
    ),
    (
        "invoice",
        "billing@closed-company.example",
        "failed",
        550,
        "recipient refused: billing@closed-company.example: "
        "550 5.1.1 No such user here",
    ),
    ("quote", "purchasing@oakfield-farms.example", None, None, ""),
]


async def outbox_with_messages(pilot: Pilot[None]) -> None:
    """Queue the demo tenant's messages, record an attempt each, open the outbox."""
    from datetime import timedelta

    from store.delivery.outbox import DeliveryOutcome, claim_due, record_outcomes
    from store.delivery.service import queue_document
    from store.delivery.tables import OutboxState
    from store.kinds import TemplateKind
    from store.models import utc_now

    app = pilot.app
    assert isinstance(app, MailroomApp)
    database = app.database.get()
    outcomes = {}
    for kind, to, state, code, detail in OUTBOX_MESSAGES:
        outbox_id = queue_document(
            database, app.settings, DEMO_SLUG, TemplateKind(kind), to, actor=USER
        )
        if state is not None:
            outcomes[outbox_id] = (OutboxState(state), code, detail)

    # Recorded the way `mailroom outbox run` records an attempt, with no relay.
    now = utc_now()
    recorded = []
    for message in claim_due(database, limit=len(outcomes), ids=list(outcomes)):
        state, code, detail = outcomes[message.id]
        sent = state is OutboxState.SENT
        deferred = state is OutboxState.DEFERRED
        recorded.append(
            DeliveryOutcome(
                outbox_id=message.id,
                lease_token=message.lease_token,
                attempt=message.attempt,
                state=state,
                started_at=now,
                finished_at=now,
                detail=detail,
                reply_code=code,
                relay_reply="250 2.0.0 Ok: queued as 4F2A1C" if sent else None,
                next_attempt_at=now + timedelta(minutes=2) if deferred else None,
            )
        )
    record_outcomes(database, recorded)
    # The newest message comes first, and the failed one is second.
    await press("o", "down")(pilot)


async def sender_pending(pilot: Pilot[None]) -> None:
    """Request a custom From address for the demo tenant, open the sender screen."""
    from store.sender.service import request_sender

    app = pilot.app
    assert isinstance(app, MailroomApp)
    address = "info@northwind.example"
    request_sender(app.database.get(), app.settings, DEMO_SLUG, address, USER)
    # The records are issued but not checked, so no DNS query is made.
    await press("s")(pilot)


SHOTS: dict[str, tuple[str | None, Steps]] = {
    "tenant-picker": (None, press()),
    "template-list": (DEMO_SLUG, press("space", "down", "down", "down", "space")),
    "editor": (
        DEMO_SLUG,
        press(*OPEN_INVOICE, "tab", *"Accounts <accounts@northwind.example>"),
    ),
    "editor-error": (DEMO_SLUG, editor_with_error),
    "bulk-update": (
        DEMO_SLUG,
        press(
            "space",
            "down",
            "down",
            "down",
            "space",
            "b",
            *"Sales <sales@northwind.example>",
        ),
    ),
    "outbox": (DEMO_SLUG, outbox_with_messages),
    "sender": (DEMO_SLUG, sender_pending),
}


def prepare(folder: Path) -> str:
    url = f"sqlite:///{folder / 'screenshots.db'}"
    database = open_database(url)
    create_tenant(database, DEMO_SLUG, DEMO_NAME, DEMO_PRIMARY_USER, USER)
    for slug, name, user in OTHER_TENANTS:
        create_tenant(database, slug, name, user, USER)
    database.close()
    return url


async def shoot(app: MailroomApp, steps: Steps, path: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await steps(pilot)
        await pilot.pause(0.5)
        app.save_screenshot(path.name, str(path.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    for name, (tenant, steps) in SHOTS.items():
        with tempfile.TemporaryDirectory() as folder:
            url = prepare(Path(folder))
            app = make_app(url, Settings(), USER, tenant)
            path = args.out / f"{name}.svg"
            asyncio.run(shoot(app, steps, path))
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
