"""A template body editor that marks the line a render error points at."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import TextArea


class BodyEditor(TextArea):
    """A TextArea with line numbers that marks one line as in error.

    The marked line is underlined as well as coloured, and the border title
    names its number, so the mark survives NO_COLOR and monochrome terminals.
    `title` names the body in that border title.
    """

    DEFAULT_CSS = """
    BodyEditor {
        height: 1fr;
        & > .body-editor--error-line {
            background: $error 30%;
            text-style: underline;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = TextArea.COMPONENT_CLASSES | {
        "body-editor--error-line"
    }

    error_line: reactive[int | None] = reactive(None, init=False)
    """The 1-based line a render error points at, or None."""

    def __init__(
        self,
        text: str = "",
        *,
        title: str,
        on_edit: Callable[[], None] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(
            text,
            id=id,
            soft_wrap=True,
            show_line_numbers=True,
            tab_behavior="focus",
        )
        self.title = title
        self.on_edit = on_edit

    def post_message(self, message: Message) -> bool:
        """Post a message; call `on_edit` at once when it is `Changed`.

        A `Changed` message bubbles through every container up to the screen,
        one message queue at a time. That took 4 to 8 ms per keystroke in the
        editor (bench/preview_bench.py), so the callback runs at once instead.
        Changes made inside `prevent(TextArea.Changed)` call nothing.
        """
        posted = super().post_message(message)
        if posted and isinstance(message, TextArea.Changed) and self.on_edit:
            self.on_edit()
        return posted

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        if self.error_line is not None and line_index == self.error_line - 1:
            line.stylize(self.get_component_rich_style("body-editor--error-line"))
        return line

    def watch_error_line(self, line: int | None) -> None:
        self.border_title = (
            None if line is None else f"{self.title}: error on line {line}"
        )
        # TextArea caches rendered lines by cursor and scroll position only.
        self.notify_style_update()
        self.refresh()

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of a 1-based line and show it."""
        index = min(max(line - 1, 0), self.document.line_count - 1)
        self.move_cursor((index, 0), center=True)
        self.focus()
