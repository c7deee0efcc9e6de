"""Column widths for DataTable, measured from the rows themselves.

Textual 8.2.8's DataTable sometimes keeps an auto-width column as wide as its
label when rows arrive right after the table is mounted (seen as flaky
snapshots of the tenant picker), so tables here pass explicit widths.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len


def fit_width(label: str, values: Iterable[str], maximum: int = 60) -> int:
    """Return the cells needed by `label` and every value, up to `maximum`."""
    widest = max((cell_len(value) for value in values), default=0)
    return min(max(cell_len(label), widest), maximum)
