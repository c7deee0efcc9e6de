"""Run `mailroom` as a subprocess, the way scripts and support use it."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    """What one `mailroom` run printed and how it exited."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The standard output parsed as JSON."""
        return json.loads(self.stdout)


def mailroom(
    database_url: str,
    *args: str,
    user: str = "owner@acme.example",
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run `mailroom --db URL --user USER ARGS...` and capture its output."""
    environment = {
        **os.environ,
        "MAILROOM_SETTINGS": "/nonexistent/settings.toml",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "tui.cli",
        "--db",
        database_url,
        "--user",
        user,
        *args,
    ]
    completed = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)
