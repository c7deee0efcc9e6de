"""Help for the screen underneath: what it is for and every key it has."""

from __future__ import annotations

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.screens.base import MailroomModal


class HelpModal(MailroomModal[None]):
    """A screen's help text followed by the table of its keys."""

    DEFAULT_CSS = """
    HelpModal {
        align: center middle;
        & > #help {
            width: 90%;
            max-width: 100;
            height: 90%;
            border: thick $primary;
            background: $surface;
            padding: 0 1;
        }
    }
    """

    BINDINGS = [
        Binding(
            "escape,f1,q", "close", "Close", tooltip="Close the help.", id="help.close"
        ),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    @classmethod
    def for_screen(cls, screen: Screen[object]) -> HelpModal:
        """Build the help of `screen` from its HELP text and active keys."""
        text = screen.HELP or f"## {type(screen).__name__}\n"
        rows = []
        seen: set[tuple[str, str]] = set()
        app = screen.app
        for _node, binding, _enabled, _tooltip in screen.active_bindings.values():
            if binding.id is None or (binding.action, binding.key) in seen:
                continue
            seen.add((binding.action, binding.key))
            key = app.get_key_display(binding.__class__(binding.key, binding.action))
            purpose = binding.tooltip or binding.description
            rows.append(f"| `{key}` | {binding.description} | {purpose} |")
        table = "\n".join(["| Key | Action | What it does |", "|---|---|---|", *rows])
        return cls(
            f"{text}\n### Keys\n\n{table}\n\n`ctrl+p` opens the command palette.\n"
        )

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "Help"
            yield Static(Markdown(self.text), id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help").focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
