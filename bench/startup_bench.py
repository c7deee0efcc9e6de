"""Start-up time: Mailroom's template list with its rows against a bare Textual app.

Each run is a whole process in a pseudo-terminal of 100x30, timed from spawn
to exit. Mailroom exits right after it has painted the template list with
its rows (MAILROOM_EXIT_AFTER_FIRST_ROWS=1); the bare app exits after
painting one line. The runs alternate between the variants so that machine
noise hits them alike, and each variant's median is compared with the bare
app's.

    .venv/bin/python bench/startup_bench.py [--runs 15]

Variants:
  bare     a Textual app that paints one line
  app      Mailroom's app started directly (tui.app.make_app), as a process
  command  the real `mailroom --db URL --tenant demo` command line
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).absolute().parent.parent
SIZE = (30, 100)  # rows, columns

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare app: one line")

    def on_mount(self):
        self.call_after_refresh(self.exit)

Bare().run()
"""

DIRECT_APP = """
import sys
from store.settings import load_settings
from tui.app import make_app

make_app(sys.argv[1], load_settings(), "bench@example.com", "demo",
         exit_after_first_rows=True).run()
"""


def run_in_terminal(command: list[str], env: dict[str, str]) -> tuple[float, bytes]:
    """Run `command` in a new pseudo-terminal; return seconds taken and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", *SIZE, 0, 0))
    output = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                return
            if not chunk:
                return
            output.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    process.wait(timeout=60)
    elapsed = time.perf_counter() - started
    os.close(secondary)
    reader.join(timeout=5)
    os.close(primary)
    if process.returncode != 0:
        raise RuntimeError(
            f"{command} exited with {process.returncode}: {output[-2000:]!r}"
        )
    return elapsed, bytes(output)


def prepare_database(folder: Path) -> str:
    """Create an SQLite database with the demo tenant; return its URL."""
    url = f"sqlite:///{folder / 'bench.db'}"
    subprocess.run(
        [sys.executable, "-m", "tui.cli", "--db", url, "demo"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per variant")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = prepare_database(folder)
        bare = folder / "bare.py"
        bare.write_text(BARE_APP)
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "MAILROOM_EXIT_AFTER_FIRST_ROWS": "1",
            "MAILROOM_SETTINGS": str(folder / "no-settings.toml"),
        }
        variants = {
            "bare": [sys.executable, str(bare)],
            "app": [sys.executable, "-c", DIRECT_APP, url],
            "command": [
                sys.executable,
                "-m",
                "tui.cli",
                "--db",
                url,
                "--tenant",
                "demo",
            ],
        }
        # Every Mailroom run must have painted the last row before exiting.
        expected = {"bare": b"bare app", "app": b"Remittance", "command": b"Remittance"}

        timings: dict[str, list[float]] = {name: [] for name in variants}
        for command in variants.values():
            run_in_terminal(command, env)  # warm the file cache once
        for _ in range(args.runs):
            for name, command in variants.items():
                elapsed, output = run_in_terminal(command, env)
                if expected[name] not in output:
                    raise RuntimeError(
                        f"{name}: the first frame lacks {expected[name]!r}"
                    )
                timings[name].append(elapsed)

    bare_median = statistics.median(timings["bare"])
    print(f"runs per variant: {args.runs}, terminal {SIZE[1]}x{SIZE[0]}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(
            f"{name:8} median {median * 1000:6.0f} ms  "
            f"min {min(values) * 1000:6.0f} ms  "
            f"ratio to bare {median / bare_median:4.2f}x"
        )


if __name__ == "__main__":
    main()
