"""End to end in a real terminal: tmux runs `mailroom`, keys go in, text comes out.

Skipped when tmux is not installed, unless MAILROOM_REQUIRE_TMUX=1 (as in
CI), which turns the skip into a failure. The test starts its own tmux
server on its own socket (`tmux -L NAME`) and kills only that server.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import Database
from store.kinds import TemplateKind
from store.templates import get_template
from store.tenants import get_tenant
from tests.cli import mailroom

ROOT = Path(__file__).absolute().parent.parent
USER = "e2e@northwind.example"
# Seconds to wait for a text to appear on the screen.
SCREEN_TIMEOUT = 30.0


def mailroom_command() -> list[str]:
    """The installed `mailroom` script, or the same entry point through -m."""
    script = Path(sys.executable).parent / "mailroom"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "tui.cli"]


class Terminal:
    """A tmux server of its own with one 100x30 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.socket_path: Path | None = None

    def tmux(self, *args: str) -> str:
        completed = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return completed.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = " ".join(
            f"{name}={shlex.quote(value)}" for name, value in env.items()
        )
        line = f"cd {shlex.quote(str(ROOT))} && env {exports} {shlex.join(command)}"
        self.tmux("new-session", "-d", "-x", "100", "-y", "30", line)
        self.socket_path = Path(
            self.tmux("display-message", "-p", "#{socket_path}").strip()
        )

    def keys(self, *keys: str) -> None:
        """Send tmux key names, such as Down, Enter or F2."""
        self.tmux("send-keys", *keys)

    def type(self, text: str) -> None:
        """Type `text` literally."""
        self.tmux("send-keys", "-l", text)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def wait_for(self, text: str) -> str:
        """Return the screen once it shows `text`; fail with it after a timeout."""
        deadline = time.monotonic() + SCREEN_TIMEOUT
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear; the screen shows:\n{screen}")

    def kill(self) -> None:
        """Stop this test's tmux server and remove its socket file."""
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        if os.environ.get("MAILROOM_REQUIRE_TMUX") == "1":
            pytest.fail("tmux is not installed and MAILROOM_REQUIRE_TMUX=1")
        pytest.skip("tmux is not installed; apt-get install tmux to run this test")
    session = Terminal(f"mailroom-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield session
    finally:
        session.kill()


def test_change_template_in_real_terminal(
    terminal: Terminal, db: Database, database_url: str
) -> None:
    created = mailroom(database_url, "demo", user=USER)
    assert created.code == 0, created.stderr

    env = {
        "TERM": "xterm-256color",
        "MAILROOM_SETTINGS": "/nonexistent/settings.toml",
        "MAILROOM_USER": USER,
    }
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    terminal.start([*mailroom_command(), "--db", database_url, "--tenant", "demo"], env)

    screen = terminal.wait_for("Remittance advice")
    assert "Northwind Trading Ltd (demo)" in screen
    assert "none: replies go to" in screen

    # The fourth row is the invoice; enter opens it in the editor.
    terminal.keys("Down", "Down", "Down", "Enter")
    terminal.wait_for("Invoice template")
    terminal.wait_for("Text part")

    terminal.keys("End")
    terminal.type(" - sent by tmux")
    screen = terminal.wait_for("unsaved changes")
    terminal.wait_for("sent by tmux")

    terminal.keys("F2")
    terminal.wait_for("version 2 · saved")

    terminal.keys("Escape")
    terminal.wait_for("Remittance advice")

    with db.read() as session:
        invoice = get_template(
            session, get_tenant(session, "demo"), TemplateKind.INVOICE
        )
    assert invoice.subject.endswith(" - sent by tmux")
    assert invoice.version == 2
    assert invoice.updated_by == USER
