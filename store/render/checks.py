"""Size checks that run before an operation that could build a huge value.

Each check estimates the size of the result from the operands and raises
`LimitExceeded` before Python allocates it. Values that are already built are
checked afterwards by `Budget.record`. These checks are for the operations
whose result can be far larger than their inputs (`"x" * 10**9`,
`"%0999999999d" % 1`, `s.center(10**9)`, `sep.join(items)`).
"""

import re
import string
from collections.abc import Iterable
from typing import Any, cast

from store.render.limits import (
    MAX_ELEMENTS,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_OUTPUT_CHARS,
    MAX_TREE_UNITS,
    Budget,
    LimitExceeded,
    check_string_length,
    container_too_large,
)

_SEQUENCES = (str, bytes, list, tuple)

# One conversion specifier of printf-style formatting, as in the Python
# documentation of "printf-style String Formatting".
_PERCENT_SPEC = re.compile(
    r"%(?:\([^)]*\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
    r"[hlL]?(?:[diouxXeEfFgGcrsab%])"
)

_DIGITS = re.compile(r"\d+")


def check_binop(budget: Budget, operator: str, left: Any, right: Any) -> None:
    """Check the result size of `left <operator> right` before computing it."""
    if operator == "*":
        _check_multiply(budget, left, right)
    elif operator == "**":
        _check_power(left, right)
    elif operator == "+":
        _check_add(budget, left, right)
    elif operator == "%" and isinstance(left, (str, bytes)):
        check_percent_format(left)


def _check_multiply(budget: Budget, left: Any, right: Any) -> None:
    if isinstance(right, _SEQUENCES) and isinstance(left, int):
        left, right = right, left
    if isinstance(left, _SEQUENCES) and isinstance(right, int):
        count = max(right, 0)
        if isinstance(left, (str, bytes)):
            check_string_length(len(left) * count)
        elif len(left) * count > MAX_ELEMENTS:
            raise container_too_large()
        elif budget.measure(left) * count > MAX_TREE_UNITS:
            raise container_too_large()
    elif _is_integer(left) and _is_integer(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(_int_limit_message())


def _check_power(left: Any, right: Any) -> None:
    if not (_is_integer(left) and _is_integer(right)):
        return
    if right <= 0 or abs(left) <= 1:
        return
    if left.bit_length() * right > MAX_INT_BITS:
        raise LimitExceeded(_int_limit_message())


def _check_add(budget: Budget, left: Any, right: Any) -> None:
    if isinstance(left, (str, bytes)) and isinstance(right, (str, bytes)):
        check_string_length(len(left) + len(right))
    elif isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        if len(left) + len(right) > MAX_ELEMENTS:
            raise container_too_large()
        if budget.measure(left) + budget.measure(right) > MAX_TREE_UNITS:
            raise container_too_large()


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_limit_message() -> str:
    return f"the template computed an integer larger than {MAX_INT_BITS:,} bits"


def check_percent_format(template: str | bytes) -> None:
    """Reject `%` format specs with a `*` or a width or precision over the limit."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    for match in _PERCENT_SPEC.finditer(text):
        for group in ("width", "precision"):
            _check_width(match.group(group))


def check_brace_format(template: str) -> None:
    """Reject `str.format` specs with nested fields or an oversized width."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        # str.format itself raises the same error with its own message.
        return
    for _literal, _name, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            raise LimitExceeded(
                "a format spec may not contain a nested replacement field "
                f"such as {{0:{{1}}}}; found {spec!r}"
            )
        for digits in _DIGITS.findall(spec):
            _check_width(digits)


def _check_width(value: str | None) -> None:
    if value is None:
        return
    if value == "*":
        raise LimitExceeded(
            "a '*' width or precision in a % format is not supported; "
            "write the number into the format"
        )
    if int(value) > MAX_FORMAT_WIDTH:
        raise LimitExceeded(
            f"a format width or precision of {int(value):,} is larger than "
            f"the limit of {MAX_FORMAT_WIDTH:,}"
        )


def check_method_call(
    budget: Budget, function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Check a call of a str, bytes or int method whose result can be huge.

    Returns the positional arguments to call with, because a `join` argument
    that is an iterator has to be read into a list to measure it.
    """
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if isinstance(owner, (str, bytes)):
        return _check_string_method(budget, owner, name, args, kwargs)
    if _is_integer(owner) and name == "to_bytes":
        length = args[0] if args else kwargs.get("length", 1)
        if _is_integer(length):
            check_string_length(length)
    return args


def _check_string_method(
    budget: Budget,
    owner: str | bytes,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, ...]:
    if name in ("center", "ljust", "rjust", "zfill"):
        width = args[0] if args else kwargs.get("width", 0)
        if _is_integer(width):
            check_string_length(width)
    elif name == "expandtabs":
        tab_size = args[0] if args else kwargs.get("tabsize", 8)
        if _is_integer(tab_size):
            tab = "\t" if isinstance(owner, str) else b"\t"
            check_string_length(len(owner) + owner.count(tab) * tab_size)  # type: ignore[arg-type]
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        check_replace(owner, args[0], args[1], count)
    elif name == "join" and args:
        items = list(args[0])
        check_join(owner, items)
        return (items, *args[1:])
    elif name == "translate" and args:
        check_string_length(len(owner) * _longest_replacement(args[0]))
    return args


def check_replace(text: Any, old: Any, new: Any, count: Any = -1) -> None:
    """Check the result size of `text.replace(old, new, count)`."""
    if not isinstance(text, (str, bytes)):
        return
    if not (isinstance(old, type(text)) and isinstance(new, type(text))):
        return
    # Both are str or both bytes here; Any keeps mypy from mixing the two.
    matches = cast(Any, text).count(old) if old else len(text) + 1
    if _is_integer(count) and count >= 0:
        matches = min(matches, count)
    check_string_length(len(text) + matches * max(len(new) - len(old), 0))


def check_join(separator: Any, items: list[Any]) -> None:
    """Check the result size of joining `items` with `separator`."""
    if len(items) > MAX_ELEMENTS:
        raise container_too_large()
    total = len(separator) * max(len(items) - 1, 0) if separator else 0
    for item in items:
        if isinstance(item, (str, bytes)):
            total += len(item)
        check_string_length(total)


def _longest_replacement(table: Any) -> int:
    values: Iterable[Any]
    if isinstance(table, dict):
        values = table.values()
    elif isinstance(table, (list, tuple)):
        values = table
    else:
        return 1
    lengths = [len(value) for value in values if isinstance(value, (str, bytes))]
    return max([1, *lengths])


def check_width(width: Any) -> None:
    """Check a padding width such as the one `center` takes."""
    if _is_integer(width) and width > MAX_OUTPUT_CHARS:
        check_string_length(width)
