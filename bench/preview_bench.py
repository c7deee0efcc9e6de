"""Keystroke to updated preview in the template editor, through the pilot.

Types into the text body of the demo tenant's default invoice template and,
for every key, measures from the key event's timestamp (set when the pilot
creates it) to:

  preview  the moment the preview widget contains the re-rendered message;
  frame    the first screen update composed after that (headless, so the
           frame is composed but not written to a terminal).

Also times the render step alone (check + render + lay out the preview).

    .venv/bin/python bench/preview_bench.py [--keys 200]

The target is a p95 of at most 16 ms, one frame at 60 Hz, for "preview".
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from textual import events  # noqa: E402
from textual.message import Message  # noqa: E402

from store.db import open_database  # noqa: E402
from store.settings import Settings  # noqa: E402
from store.tenants import create_tenant  # noqa: E402
from tui.app import make_app  # noqa: E402
from tui.screens.editor import EditorScreen  # noqa: E402
from tui.screens.editor_draft import build_preview, check_draft  # noqa: E402

TARGET_MS = 16.0
TEXT = "Thank you for your order, we look forward to working with you. "


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
    return ordered[index]


def describe(name: str, seconds: list[float]) -> str:
    millis = [value * 1000 for value in seconds]
    return (
        f"{name:8} n={len(millis):4}  p50 {statistics.median(millis):6.2f} ms  "
        f"p95 {percentile(millis, 0.95):6.2f} ms  max {max(millis):6.2f} ms"
    )


async def measure(
    url: str, key_count: int
) -> tuple[list[float], list[float], list[float]]:
    keys: dict[int, events.Key] = {}
    displays: list[float] = []

    def hook(message: Message) -> None:
        if isinstance(message, events.Key):
            keys.setdefault(id(message), message)

    app = make_app(url, Settings(), "bench@northwind.example", "demo")
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        display = app._display

        def timed_display(*args: object) -> None:
            displays.append(time.monotonic())
            display(*args)  # type: ignore[arg-type]

        app._display = timed_display  # type: ignore[method-assign]

        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        while not (isinstance(app.screen, EditorScreen) and app.screen.saved):
            await pilot.pause(0.05)
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        body = editor.text_body
        body.focus()
        body.move_cursor(body.document.end)
        await pilot.pause()

        to_preview: list[float] = []
        to_frame: list[float] = []
        for index in range(key_count):
            keys.clear()
            await pilot.press(TEXT[index % len(TEXT)])
            key = next(iter(keys.values()))
            updated = editor.preview.updated_at
            to_preview.append(updated - key.time)
            frame = next((moment for moment in displays if moment >= updated), None)
            if frame is not None:
                to_frame.append(frame - key.time)

        draft = editor.draft()
        sender = editor.saved.sender.effective if editor.saved else None
        assert sender is not None
        render_only = []
        for _ in range(500):
            started = time.perf_counter()
            check = check_draft(draft, editor.context, editor._parser)
            build_preview(check, sender, editor.context, "text")
            render_only.append(time.perf_counter() - started)
    return to_preview, to_frame, render_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200, help="keys to type")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        database = open_database(url)
        create_tenant(
            database,
            "demo",
            "Northwind Trading Ltd",
            "owner@northwind.example",
            "bench",
        )
        database.close()
        to_preview, to_frame, render_only = asyncio.run(measure(url, args.keys))

    print(describe("render", render_only))
    print(describe("preview", to_preview))
    print(describe("frame", to_frame))
    p95 = percentile([value * 1000 for value in to_preview], 0.95)
    verdict = "meets" if p95 <= TARGET_MS else "misses"
    print(f"key to preview p95 {p95:.2f} ms {verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
