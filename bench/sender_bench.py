"""Speed of sender verification against a loopback DNS server with added latency.

Starts the fake DNS server from tests/peers/fake_dns.py in its own process,
serving one zone with every record published, and delaying every answer by
`--latency` seconds (100 ms by default). It then measures:

1. One domain: each record checked alone (its own zone discovery included),
   then all records checked together. The whole check should take at most
   1.5 times the slowest single record.
2. The watch engine over `--tenants` active senders (1,000 by default): one
   at a time on a subset of `--subset` tenants, extrapolated to all of them,
   against one pass at `--concurrency`. The pass should be at least 20 times
   faster than the extrapolated one-at-a-time time.
3. The same for a first pass, where every sender is pending_dns and moves to
   active through the DKIM self-test.

All tenants share one DKIM key, generated once, so that setting up 1,000
senders takes seconds; verification costs the same for any key. Nothing
leaves 127.0.0.1.

    .venv/bin/python bench/sender_bench.py [--latency 0.1] [--tenants 1000]
"""

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, update

from store.db import Database, open_database
from store.dns.lookup import DnsLookup
from store.models import SenderIdentity, Tenant, utc_now
from store.sender.checks import CheckContext, check_record, check_records
from store.sender.export import zone_snippet
from store.sender.keys import DkimKeyPair, generate_dkim_key
from store.sender.records import RecordSpec, build_records
from store.sender.states import ACTIVE, PENDING_DNS
from store.sender.verify import verify_sender
from store.sender.watch import run_pass
from store.settings import DnsSettings, PlatformSettings, Settings

ORIGIN = "bench.test"
ZONE_HEADER = f"""\
$ORIGIN {ORIGIN}.
$TTL 300
@    SOA ns1.{ORIGIN}. hostmaster.{ORIGIN}. 1 3600 900 604800 300
@    NS  ns1.{ORIGIN}.
ns1  A   127.0.0.1
"""
PLATFORM = PlatformSettings()
ACTOR = "bench@platform.example"


def tenant_domain(number: int) -> str:
    """Return the custom domain of tenant `number`."""
    return f"t{number:04}.{ORIGIN}"


def tenant_token(number: int) -> str:
    """Return a fixed ownership token per tenant, so the zone can be built first."""
    return f"bench-token-{number:04}"


def required_records(number: int, key: DkimKeyPair) -> list[RecordSpec]:
    """Return the records tenant `number` publishes."""
    records = build_records(
        tenant_domain(number),
        tenant_token(number),
        "mailroom",
        key.public_key,
        PLATFORM,
    )
    return [record for record in records if record.required]


def write_zone(path: Path, tenants: int, key: DkimKeyPair) -> None:
    """Write the zone with every tenant's required records."""
    parts = [ZONE_HEADER]
    for number in range(tenants):
        parts.append(zone_snippet(required_records(number, key), ttl=300))
    path.write_text("".join(parts))


def start_server(zone: Path, latency: float) -> tuple[subprocess.Popen[str], int]:
    """Start the fake DNS server process and return it with its port."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.peers.fake_dns",
            "--zone",
            str(zone),
            "--origin",
            ORIGIN,
            "--delay",
            str(latency),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"#(\d+)", line)
    if match is None:
        process.kill()
        raise RuntimeError(f"the fake DNS server did not start: {line!r}")
    return process, int(match.group(1))


def fill_database(db: Database, tenants: int, key: DkimKeyPair, state: str) -> None:
    """Insert the tenants and their senders in bulk."""
    now = utc_now()
    with db.write() as session:
        session.execute(
            insert(Tenant),
            [
                {
                    "id": number + 1,
                    "slug": f"t{number:04}",
                    "name": f"Tenant {number}",
                    "primary_user": f"owner@{tenant_domain(number)}",
                    "created_at": now,
                }
                for number in range(tenants)
            ],
        )
        session.execute(
            insert(SenderIdentity),
            [
                {
                    "tenant_id": number + 1,
                    "state": state,
                    "state_reason": "",
                    "state_changed_at": now,
                    "requested_address": f"info@{tenant_domain(number)}",
                    "domain": tenant_domain(number),
                    "requested_by": f"owner@{tenant_domain(number)}",
                    "requested_at": now,
                    "ownership_token": tenant_token(number),
                    "dkim_selector": "mailroom",
                    "dkim_public_key": key.public_key,
                    "dkim_private_key": key.private_pem,
                }
                for number in range(tenants)
            ],
        )


def set_state(db: Database, state: str) -> None:
    """Put every sender into `state`."""
    with db.write() as session:
        session.execute(
            update(SenderIdentity).values(state=state, state_changed_at=utc_now())
        )


async def one_domain(settings: Settings, key: DkimKeyPair) -> tuple[float, float]:
    """Return the slowest single-record check and the whole check, in seconds."""
    records = build_records(
        tenant_domain(0), tenant_token(0), "mailroom", key.public_key, PLATFORM
    )
    context = CheckContext(
        tenant_domain(0), key.public_key, f"bounces.{tenant_domain(0)}"
    )
    singles = []
    for record in records:
        started = time.perf_counter()
        result = await check_record(
            DnsLookup(settings.dns, domain=tenant_domain(0)), record, context
        )
        singles.append(time.perf_counter() - started)
        assert result.status in ("ok", "missing"), result.message
    started = time.perf_counter()
    results = await check_records(
        DnsLookup(settings.dns, domain=tenant_domain(0)), records, context
    )
    whole = time.perf_counter() - started
    assert all(result.ok for result in results if result.required)
    return max(singles), whole


async def one_at_a_time(db: Database, settings: Settings, subset: int) -> float:
    """Return the mean seconds per tenant when verified one after another."""
    started = time.perf_counter()
    for number in range(subset):
        await verify_sender(db, settings, f"t{number:04}", ACTOR, write_in_thread=False)
    return (time.perf_counter() - started) / subset


async def measure_watch(
    db: Database,
    settings: Settings,
    state: str,
    tenants: int,
    subset: int,
    concurrency: int,
) -> tuple[float, float]:
    """Return the extrapolated one-at-a-time time and the concurrent pass time."""
    set_state(db, state)
    per_tenant = await one_at_a_time(db, settings, subset)
    set_state(db, state)
    summary = await run_pass(db, settings, ACTOR, concurrency)
    if summary.errors:
        raise RuntimeError(f"{len(summary.errors)} checks failed: {summary.errors[0]}")
    return per_tenant * tenants, summary.seconds


def report_watch(label: str, sequential: float, concurrent: float, args) -> None:
    """Print one watch measurement and its ratio."""
    print(
        f"{label}: one at a time {sequential / args.tenants * 1000:.0f} ms per tenant "
        f"(measured on {args.subset} tenants), extrapolated to {args.tenants}: "
        f"{sequential:.1f} s"
    )
    print(
        f"{label}: one pass at concurrency {args.concurrency}: {concurrent:.2f} s; "
        f"speed-up {sequential / concurrent:.1f}x (target >= 20x)"
    )


async def run(
    args: argparse.Namespace, port: int, db: Database, key: DkimKeyPair
) -> None:
    """Run every measurement and print the results."""
    settings = Settings(
        platform=PLATFORM,
        dns=DnsSettings(
            nameservers=("127.0.0.1",), port=port, timeout=2.0, lifetime=6.0, retries=2
        ),
    )
    runs = [await one_domain(settings, key) for _ in range(3)]
    slowest, whole = sorted(runs, key=lambda run: run[1] / run[0])[len(runs) // 2]
    print(
        f"one domain, {args.latency * 1000:.0f} ms added per answer: slowest single "
        f"record {slowest * 1000:.0f} ms, whole check {whole * 1000:.0f} ms; "
        f"ratio {whole / slowest:.2f} (target <= 1.5), median of 3 runs"
    )
    steady = await measure_watch(
        db, settings, ACTIVE, args.tenants, args.subset, args.concurrency
    )
    report_watch("re-check of active senders", *steady, args)
    first = await measure_watch(
        db, settings, PENDING_DNS, args.tenants, args.subset, args.concurrency
    )
    report_watch("first pass, pending_dns to active", *first, args)


def main() -> None:
    """Parse options, set up the zone, server and database, and measure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--latency",
        type=float,
        default=0.1,
        help="seconds added before each DNS response",
    )
    parser.add_argument("--tenants", type=int, default=1000, help="senders to watch")
    parser.add_argument(
        "--subset", type=int, default=20, help="tenants verified one at a time"
    )
    parser.add_argument(
        "--concurrency", type=int, default=100, help="checks at once in the pass"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="sender-bench-"))
    key = generate_dkim_key()
    write_zone(folder / "bench.zone", args.tenants, key)
    process, port = start_server(folder / "bench.zone", args.latency)
    db = open_database(f"sqlite:///{folder / 'bench.db'}")
    fill_database(db, args.tenants, key, ACTIVE)
    print(f"fake DNS server on 127.0.0.1#{port}, zone of {args.tenants} domains")
    try:
        asyncio.run(run(args, port, db, key))
    finally:
        process.terminate()
        process.wait(timeout=5)
        db.close()


if __name__ == "__main__":
    main()
