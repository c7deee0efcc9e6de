"""Database time of the tenant search and the template list with 10,000 tenants.

Builds (or reuses) an SQLite file with 10,000 tenants and their 110,000
templates, then times, over many runs, the query behind
`mailroom tenants list --search` and the one behind `mailroom templates list`.
Two figures each: the database alone (SQL executed and rows fetched, no ORM
objects) and the whole store call (with ORM objects), as medians and p95.

    .venv/bin/python bench/core_bench.py [--db PATH] [--runs N]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Select, insert
from store.defaults import DEFAULT_TEMPLATES

from store.db import Database, open_database
from store.kinds import TemplateKind
from store.models import SenderIdentity, Template, Tenant, utc_now
from store.templates import list_templates, templates_query
from store.tenants import find_tenant, list_tenants, search_query

TENANTS = 10_000


def build(db: Database) -> None:
    """Insert the tenants and their templates in bulk, once."""
    with db.read() as session:
        if find_tenant(session, "tenant-09999") is not None:
            return
    now = utc_now()
    with db.write() as session:
        session.execute(
            insert(Tenant),
            [
                {
                    "id": number + 1,
                    "slug": f"tenant-{number:05d}",
                    "name": f"Company {number} Trading Ltd",
                    "primary_user": f"owner{number}@company{number}.example",
                    "created_at": now,
                }
                for number in range(TENANTS)
            ],
        )
        session.execute(
            insert(Template),
            [
                {
                    "tenant_id": number + 1,
                    "kind": kind.value,
                    "subject": DEFAULT_TEMPLATES[kind].subject,
                    "text_body": DEFAULT_TEMPLATES[kind].text_body,
                    "reply_to": [],
                    "enabled": True,
                    "version": 1,
                    "updated_at": now,
                    "updated_by": "bench",
                }
                for number in range(TENANTS)
                for kind in TemplateKind
            ],
        )
        session.execute(
            insert(SenderIdentity),
            [
                {"tenant_id": number + 1, "state": "default", "state_changed_at": now}
                for number in range(TENANTS)
            ],
        )


def measure(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Return the median and p95 of `action`'s duration in milliseconds."""
    action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, default=Path(tempfile.gettempdir()) / "mailroom-bench.db"
    )
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()

    db = open_database(f"sqlite:///{options.db}")
    build(db)
    with db.read() as session:
        tenant = find_tenant(session, "tenant-05000")
        assert tenant is not None and tenant.id is not None
        tenant_id = tenant.id

    cases = {
        "search 'company 4242': database": lambda: _rows(
            db, search_query("company 4242")
        ),
        "search 'company 4242': store call": lambda: _search(db, "company 4242"),
        "search 'trading' (all 10,000 match): database": lambda: _rows(
            db, search_query("trading")
        ),
        "search 'trading' (all 10,000 match): store call": lambda: _search(
            db, "trading"
        ),
        "templates list: database": lambda: _rows(db, templates_query(tenant_id)),
        "templates list: store call": lambda: _templates(db, tenant_id),
    }
    print(
        f"database: {options.db} ({TENANTS} tenants, "
        f"{TENANTS * len(TemplateKind)} templates)"
    )
    for name, action in cases.items():
        median, p95 = measure(action, options.runs)
        print(f"{name:60s} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    db.close()


def _rows(db: Database, query: Select) -> None:
    """Run the query and fetch every row as a plain tuple, without ORM objects."""
    with db.read() as session:
        session.connection().execute(query).all()


def _search(db: Database, text: str) -> None:
    with db.read() as session:
        list_tenants(session, text)


def _templates(db: Database, tenant_id: int) -> None:
    with db.read() as session:
        list_templates(session, tenant_id)


if __name__ == "__main__":
    main()
