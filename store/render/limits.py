"""Limits on the work one template render may do, and the budget that enforces them.

Templates are written by tenants, so rendering must end in bounded time and
memory whatever the template does. Each field (subject, text body, HTML body)
renders under its own `Budget`. The sandbox hooks in `store.render.sandbox`
charge it from loops, calls, filters, operators and output, and raise
`LimitExceeded` when a limit below is passed.

The limits are sized for document email, which is a few kilobytes of text
built from a few dozen values. They are not measured on any machine.
"""

import time
from contextvars import ContextVar
from typing import Any

# Maximum length of one field's template source, in characters.
MAX_SOURCE_CHARS = 256 * 1024

# Maximum length of one field's output, and of any one string a template
# builds, in characters.
MAX_OUTPUT_CHARS = 256 * 1024

# The largest list, tuple or dict a template may build, in units: four per
# element plus one per character of the strings inside. A part that appears
# twice counts twice, so nesting shared lists cannot grow exponentially.
# Measuring takes Python time per element, hence the weight of four.
MAX_TREE_UNITS = 1024 * 1024
ELEMENT_UNITS = 4

# Maximum number of elements in a container within MAX_TREE_UNITS.
MAX_ELEMENTS = MAX_TREE_UNITS // ELEMENT_UNITS

# Everything one field may build while it renders, in units: the characters
# of every string and the elements of every container produced by an
# operator, a call, a filter, a literal or an output buffer.
MAX_WORK_UNITS = 8 * 1024 * 1024

# Loop iterations, calls and filter calls one field may make.
MAX_STEPS = 200_000

# Wall-clock time one message (all its fields) may take to render, in
# seconds. It is checked at every step and output chunk, so one operation
# may overrun it. The size limits bound how long one operation can take.
MAX_SECONDS = 1.0

# Maximum number of items `range()` may produce in a template.
MAX_RANGE = 10_000

# The largest integer `*` and `**` may produce, in bits (about 2,400 digits).
MAX_INT_BITS = 8192

# The largest width or precision in a `%` or `str.format` format spec.
MAX_FORMAT_WIDTH = 1000

# Maximum nesting depth of `{% if %}`, `{% for %}` and other block tags. CPython
# rejects the generated code at about 20 nested loops, so a lower limit gives
# a clear message instead of a compiler error.
MAX_BLOCK_DEPTH = 16

# Maximum nesting depth of parentheses, brackets and braces in one tag. Jinja's
# parser recurses about a dozen Python frames per level.
MAX_BRACKET_DEPTH = 32

# The cost of a filter whose running time grows with the square of its input,
# such as `wordwrap`, in character operations.
MAX_QUADRATIC_COST = 64 * 1024 * 1024

# Containers smaller than this, in units, are measured again each time, because caching
# every small literal a loop builds would cost more memory than it saves.
_MEMO_MIN_UNITS = 64

# Work units charged for each container whose size the budget caches.
_MEMO_ENTRY_UNITS = 8

_CONTAINERS = (list, tuple, dict, set, frozenset)


class LimitExceeded(Exception):
    """A template passed one of the resource limits above.

    `line` is set when the limit is found before the template runs, such as
    a nesting limit. At render time the traceback gives the line.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class Budget:
    """The work one field may still do, and the data it renders from.

    `context` is the render context, which undefined-variable messages
    search to name the full path of a missing attribute. `deadline` is a
    `time.perf_counter()` value, by default `MAX_SECONDS` from now.
    """

    def __init__(
        self, context: dict[str, Any] | None = None, deadline: float | None = None
    ) -> None:
        self.context = context if context is not None else {}
        self.steps = 0
        self.work = 0
        if deadline is None:
            deadline = time.perf_counter() + MAX_SECONDS
        self.deadline = deadline
        # id(container) -> (units, container). Keeping the container alive
        # stops Python from reusing its id for another object.
        self._sizes: dict[int, tuple[int, Any]] = {}

    def tick(self) -> None:
        """Count one step and check the step and time limits."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise LimitExceeded(
                f"the template made more than {MAX_STEPS:,} loop iterations, "
                "calls and filter calls; simplify its loops"
            )
        self.check_time()

    def check_time(self) -> None:
        """Raise `LimitExceeded` once the wall-clock limit has passed."""
        if time.perf_counter() > self.deadline:
            raise LimitExceeded(
                f"the template took longer than {MAX_SECONDS:g} s to render; "
                "simplify its loops"
            )

    def charge(self, units: int) -> None:
        """Count `units` of work and check the work limit."""
        self.work += units
        if self.work > MAX_WORK_UNITS:
            raise LimitExceeded(
                f"the template built more than {MAX_WORK_UNITS:,} characters and "
                "list items while rendering; simplify its loops and filters"
            )

    def record(self, value: Any) -> Any:
        """Charge a value the template just produced and check its size.

        Strings and bytes are charged their length and may not exceed
        `MAX_OUTPUT_CHARS`. Containers are charged their length and may not
        exceed `MAX_TREE_UNITS` when measured with `measure`.
        """
        if isinstance(value, (str, bytes)):
            self.charge(len(value))
            check_string_length(len(value))
        elif isinstance(value, _CONTAINERS):
            self.charge(len(value))
            self.measure(value)
        return value

    def measure(self, value: Any) -> int:
        """Return the size of `value` in tree units, raising past the limit."""
        if isinstance(value, (str, bytes)):
            return len(value) + ELEMENT_UNITS
        if isinstance(value, int):
            return value.bit_length() // 8 + ELEMENT_UNITS
        if not isinstance(value, _CONTAINERS):
            return ELEMENT_UNITS

        known = self._sizes.get(id(value))
        if known is not None and known[1] is value:
            return known[0]

        children = (
            (item for pair in value.items() for item in pair)
            if isinstance(value, dict)
            else value
        )
        total = ELEMENT_UNITS
        for child in children:
            total += self.measure(child)
            if total > MAX_TREE_UNITS:
                raise container_too_large()
        if total >= _MEMO_MIN_UNITS:
            self.charge(_MEMO_ENTRY_UNITS)
            self._sizes[id(value)] = (total, value)
        return total


def container_too_large() -> LimitExceeded:
    """Return the error for a list, tuple or dict past `MAX_TREE_UNITS`."""
    return LimitExceeded(
        "the template built a list or dict too large to handle: more than "
        f"{MAX_ELEMENTS:,} items, or {MAX_TREE_UNITS:,} characters in its strings"
    )


def check_string_length(length: int) -> None:
    """Raise `LimitExceeded` if a string of `length` characters is too long."""
    if length > MAX_OUTPUT_CHARS:
        raise LimitExceeded(
            f"the template built a string of {length:,} characters; "
            f"the limit is {MAX_OUTPUT_CHARS:,}"
        )


_current: ContextVar[Budget | None] = ContextVar("render_budget", default=None)


def current_budget() -> Budget:
    """Return the budget of the field being rendered in this thread or task."""
    budget = _current.get()
    if budget is None:
        raise RuntimeError(
            "template code ran outside a render budget; render through "
            "store.render.render_message"
        )
    return budget


def enter_budget(budget: Budget) -> Any:
    """Make `budget` current and return the token that `leave_budget` takes."""
    return _current.set(budget)


def leave_budget(token: Any) -> None:
    """Restore the budget that was current before `enter_budget`."""
    _current.reset(token)
