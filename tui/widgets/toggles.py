"""Check boxes and radio buttons whose state shows without colour.

Textual 8.2.8 draws the same mark for on and off and tells them apart by
colour alone, which NO_COLOR and monochrome terminals lose. These subclasses
draw the mark only when the button is on.
"""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton


class MarkedCheckbox(Checkbox):
    """A check box that shows X when checked and a blank when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "X" if self.value else " "


class MarkedRadioButton(RadioButton):
    """A radio button that shows a dot only when it is the one chosen."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "●" if self.value else " "
