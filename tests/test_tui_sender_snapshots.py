"""Screenshots of the sender screen and its modals, compared with accepted SVGs.

Regenerate after an intended change with
`pytest tests/test_tui_sender_snapshots.py --snapshot-update`, then look at
the report or the SVGs before committing them. The key, token, times and
check results are fixed by `tests/sender_factory.py`; no DNS is queried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from store.db import Database
from store.sender.records import BOUNCE, DKIM
from store.sender.service import sender_records
from store.settings import DnsSettings, Settings
from tests.peers.knot import free_port
from tests.sender_factory import (
    cname_answer,
    fix_request_secrets,
    request_fixed,
    store_check,
    txt_answer,
)
from tests.tui_conftest import DEMO_SLUG, DEMO_USER, settle
from tui.app import MailroomApp, make_app

SnapCompare = Callable[..., bool]
WIDE = (100, 30)
SMALL = (80, 24)
ADDRESS = "info@northwind.example"


def keys(*pressed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Wait for the app to load, press `pressed`, then wait for it again."""

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


@pytest.fixture
def settings() -> Settings:
    """Settings whose DNS queries, if any were made, stay on loopback."""
    port = free_port()
    dns = DnsSettings(
        nameservers=("127.0.0.1",), port=port, timeout=0.2, lifetime=0.4, retries=0
    )
    return Settings(dns=dns)


@pytest.fixture
def sender_app(
    demo_db: Database,
    database_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., MailroomApp]:
    """Build the app on the demo tenant, requests issuing a fixed key and token."""
    fix_request_secrets(monkeypatch)

    def build(user: str = DEMO_USER) -> MailroomApp:
        return make_app(database_url, settings, user, DEMO_SLUG)

    return build


@pytest.fixture
def pending(demo_db: Database, settings: Settings, sender_app: object) -> Database:
    """The demo tenant with `ADDRESS` requested and never checked."""
    request_fixed(demo_db, settings, ADDRESS)
    return demo_db


def test_sender_default(snap_compare: SnapCompare, sender_app) -> None:
    """Sender screen of the primary user: platform From, request enabled."""
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s"))


def test_sender_pending_not_checked(
    snap_compare: SnapCompare, sender_app, pending: Database
) -> None:
    """Pending DNS: every record issued, none checked yet."""
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s"))


def test_sender_pending_small_terminal(
    snap_compare: SnapCompare,
    sender_app,
    demo_db: Database,
    settings: Settings,
) -> None:
    """Pending DNS at 80x24 for an IDN address, shown in both forms."""
    request_fixed(demo_db, settings, "info@müller-handel.example")
    assert snap_compare(sender_app(), terminal_size=SMALL, run_before=keys("s"))


def test_sender_active_all_ok(
    snap_compare: SnapCompare, sender_app, pending: Database, settings: Settings
) -> None:
    """Active: every record ok, mail goes from the company's address."""
    store_check(pending, settings, {})
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s"))


def test_sender_wrong_value_selected(
    snap_compare: SnapCompare, sender_app, pending: Database, settings: Settings
) -> None:
    """Bounce CNAME pointing elsewhere, highlighted, with its advice."""
    specs = {spec.purpose: spec for spec in sender_records(pending, settings, "demo")}
    wrong = cname_answer(specs[BOUNCE], "bounces.other-mailer.example.")
    store_check(pending, settings, {BOUNCE: wrong})
    # The bounce record is the third row.
    assert snap_compare(
        sender_app(), terminal_size=WIDE, run_before=keys("s", "down", "down")
    )


def test_sender_dkim_split_strings(
    snap_compare: SnapCompare, sender_app, pending: Database, settings: Settings
) -> None:
    """DKIM key revoked (empty p=), highlighted: value whole and in 255-char strings."""
    specs = {spec.purpose: spec for spec in sender_records(pending, settings, "demo")}
    store_check(pending, settings, {DKIM: txt_answer(specs[DKIM], "v=DKIM1; p=")})
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s", "down"))


def test_sender_history(
    snap_compare: SnapCompare, sender_app, pending: Database, settings: Settings
) -> None:
    """History tab after a check that made the address active."""
    store_check(pending, settings, {})
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s", "h"))


def test_sender_request_invalid(snap_compare: SnapCompare, sender_app) -> None:
    """Request modal naming why a public-suffix address is invalid."""
    assert snap_compare(
        sender_app(), terminal_size=WIDE, run_before=keys("s", "r", *"info@co.uk")
    )


def test_sender_export_zone(
    snap_compare: SnapCompare, sender_app, pending: Database
) -> None:
    """Export modal showing the zone-file snippet."""
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s", "e"))


def test_sender_cancel_modal(
    snap_compare: SnapCompare, sender_app, pending: Database
) -> None:
    """Question before cancelling the pending custom address."""
    assert snap_compare(sender_app(), terminal_size=WIDE, run_before=keys("s", "x"))
