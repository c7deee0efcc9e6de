"""Two real processes writing one SQLite file: no lost update, no lock error."""

import subprocess
import sys
import textwrap

from store.db import Database
from store.kinds import TemplateKind
from store.templates import get_template
from store.tenants import get_tenant
from tests.factories import make_tenant

WRITER = textwrap.dedent(
    """
    import sys
    from store.db import open_database
    from store.errors import Conflict
    from store.kinds import TemplateKind
    from store.templates import TemplateEdit, save_template

    url, name, base, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    db = open_database(url)
    sys.stdin.readline()  # start together
    for number in range(count):
        edit = TemplateEdit(subject=f"{name} {number}")
        try:
            save_template(db, "acme", TemplateKind.INVOICE, edit, name,
                          base_version=int(base) if base != "-" else None)
            print("saved", flush=True)
        except Conflict as error:
            print("conflict", error.message, flush=True)
    """
)


def start_writers(url: str, base: str, count: int) -> list[subprocess.Popen[str]]:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, name, base, str(count)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("app@acme.example", "script@acme.example")
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    return writers


def finish(writers: list[subprocess.Popen[str]]) -> list[tuple[str, str, int]]:
    return [(*writer.communicate(timeout=120), writer.returncode) for writer in writers]


def invoice_version(db: Database) -> int:
    with db.read() as session:
        return get_template(
            session, get_tenant(session, "acme"), TemplateKind.INVOICE
        ).version


def test_stale_save_from_other_process_is_conflict(
    db: Database, database_url: str
) -> None:
    make_tenant(db)

    results = finish(start_writers(database_url, base="1", count=1))

    outputs = sorted(stdout.split()[0] for stdout, _, _ in results)
    assert outputs == ["conflict", "saved"]
    assert [stderr for _, stderr, _ in results] == ["", ""]
    assert invoice_version(db) == 2


def test_concurrent_writers_never_hit_locked_database(
    db: Database, database_url: str
) -> None:
    make_tenant(db)

    results = finish(start_writers(database_url, base="-", count=60))

    assert [code for _, _, code in results] == [0, 0]
    assert [stderr for _, stderr, _ in results] == ["", ""]
    assert [stdout.count("saved") for stdout, _, _ in results] == [60, 60]
    assert invoice_version(db) == 121
