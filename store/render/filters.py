"""Template filters: locale-aware money, dates and numbers, and bounded builtins.

`money`, `date` and `number` format with Babel in the locale named by the
filter's `locale` argument, else the `locale` variable of the render context,
else `DEFAULT_LOCALE`:

    {{ document.total|money(document.currency) }}   ->  £1,234.50
    {{ document.due_date|date }}                    ->  16 Apr 2026
    {{ document.due_date|date("long") }}            ->  16 April 2026
    {{ line.quantity|number }}                      ->  1,250

Every filter, Jinja's builtins included, runs through `_guard_filter`, which
counts a step and records the result on the render budget. Builtins whose
result can be far larger than their input (`center`, `indent`, `join`,
`replace`, `format`, `wordwrap`, `urlize`, `batch`, `slice`, `sum`,
`pprint`) are replaced by versions that check the size first.
"""

import functools
import numbers
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, is_currency
from jinja2 import pass_context, pass_environment, pass_eval_context
from jinja2.environment import Environment
from jinja2.filters import (
    do_batch,
    do_center,
    do_format,
    do_indent,
    do_pprint,
    do_replace,
    do_urlize,
    do_wordwrap,
    make_attrgetter,
    sync_do_join,
    sync_do_slice,
    sync_do_sum,
)
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import soft_str

from store.render.checks import (
    check_join,
    check_percent_format,
    check_replace,
    check_width,
)
from store.render.limits import (
    MAX_ELEMENTS,
    MAX_QUADRATIC_COST,
    MAX_RANGE,
    LimitExceeded,
    check_string_length,
    current_budget,
)

DEFAULT_LOCALE = "en_GB"

# Babel's named date formats; anything else is taken as a CLDR pattern.
DATE_FORMATS = ("short", "medium", "long", "full")

# The longest CLDR date pattern `date` accepts. Babel caches every pattern
# it parses, so arbitrary patterns would grow that cache without bound.
MAX_DATE_PATTERN_CHARS = 64

# Amounts are limited to 10**30, well past any invoice, because Babel writes
# every digit of a Decimal such as 1E+999999.
MAX_AMOUNT_EXPONENT = 30

# The largest value `pprint` formats, in tree units. pprint is pure Python
# and takes about a microsecond per element.
MAX_PPRINT_UNITS = 64 * 1024

_CONTAINERS = (list, tuple, dict, set, frozenset)


@functools.lru_cache(maxsize=64)
def parse_locale(identifier: str) -> Locale:
    """Return the Babel locale for `en_GB` or `en-GB`, or raise ValueError."""
    try:
        return Locale.parse(identifier.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(
            f"unknown locale {identifier!r}; use a code such as en_GB or de_DE"
        ) from None


def _locale(context: Context, explicit: str | None) -> Locale:
    identifier = explicit or context.get("locale") or DEFAULT_LOCALE
    return parse_locale(str(identifier))


def to_decimal(value: Any) -> Decimal:
    """Convert an amount to Decimal: a Decimal, int, float or numeric string."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        text = str(value).strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{text[:40]!r} is not an amount") from None
    if not amount.is_finite() or amount.adjusted() >= MAX_AMOUNT_EXPONENT:
        raise ValueError(
            f"amount {amount} is not finite or is 10**{MAX_AMOUNT_EXPONENT} or more"
        )
    return amount


def to_date(value: Any) -> date:
    """Convert a date, a datetime or an ISO 8601 string to a date or datetime."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text[:40]!r} is not a date; write it as YYYY-MM-DD"
        ) from None


@pass_context
def money(
    context: Context,
    amount: Any,
    currency: str | None = None,
    locale: str | None = None,
) -> str:
    """Format an amount in a currency, such as `£1,234.50` or `1.234,50 €`.

    Without `currency` it uses `document.currency` from the context. None
    formats as an empty string, for optional amounts.
    """
    if amount is None:
        return ""
    value = to_decimal(amount)
    code = currency or _document_currency(context)
    if not is_currency(str(code)):
        raise ValueError(
            f"unknown currency code {code!r}; use an ISO 4217 code such as GBP or EUR"
        )
    return format_currency(value, str(code), locale=_locale(context, locale))


def _document_currency(context: Context) -> Any:
    document = context.get("document")
    currency = document.get("currency") if isinstance(document, dict) else None
    if not currency:
        raise ValueError(
            "money needs a currency: write money('EUR') or put "
            "document.currency in the context"
        )
    return currency


@pass_context
def format_date_filter(
    context: Context,
    value: Any,
    format: str = "medium",
    locale: str | None = None,
) -> str:
    """Format a date: `medium` (16 Apr 2026), `short`, `long`, `full` or a CLDR pattern.

    None formats as an empty string, for optional dates.
    """
    if value is None:
        return ""
    if format not in DATE_FORMATS and len(str(format)) > MAX_DATE_PATTERN_CHARS:
        raise ValueError(
            f"a date pattern may have at most {MAX_DATE_PATTERN_CHARS} characters"
        )
    return format_date(to_date(value), format=format, locale=_locale(context, locale))


@pass_context
def format_number(context: Context, value: Any, locale: str | None = None) -> str:
    """Format a number with the locale's grouping and decimal signs: 1,250.5."""
    if value is None:
        return ""
    return format_decimal(to_decimal(value), locale=_locale(context, locale))


def bounded_center(value: Any, width: int = 80) -> str:
    """Jinja's `center`, limited to the string length limit."""
    check_width(width)
    return do_center(value, width)


def bounded_indent(
    s: Any, width: int | str = 4, first: bool = False, blank: bool = False
) -> str:
    """Jinja's `indent`, checking the indented length first."""
    text = soft_str(s)
    padding = len(width) if isinstance(width, str) else width
    if isinstance(padding, int):
        check_string_length(len(text) + (text.count("\n") + 1) * max(padding, 0))
    return do_indent(s, width, first, blank)


@pass_eval_context
def bounded_replace(
    eval_ctx: EvalContext, s: Any, old: Any, new: Any, count: int | None = None
) -> str:
    """Jinja's `replace`, checking the replaced length first."""
    check_replace(str(s), str(old), str(new), -1 if count is None else count)
    return do_replace(eval_ctx, s, old, new, count)


def bounded_format(value: Any, *args: Any, **kwargs: Any) -> str:
    """Jinja's `format` (printf-style), rejecting oversized widths."""
    check_percent_format(soft_str(value))
    return do_format(value, *args, **kwargs)


@pass_eval_context
def bounded_join(
    eval_ctx: EvalContext,
    value: Any,
    d: str = "",
    attribute: str | int | None = None,
) -> str:
    """Jinja's `join`, checking the joined length first."""
    items = list(value)
    if attribute is not None:
        getter = make_attrgetter(eval_ctx.environment, attribute)
        items = [getter(item) for item in items]
    check_join(soft_str(d), items)
    return sync_do_join(eval_ctx, items, d)


@pass_environment
def bounded_wordwrap(
    environment: Environment,
    s: Any,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    """Jinja's `wordwrap`, rejecting inputs it would take too long to wrap.

    Python's textwrap copies the rest of a long word each time it breaks
    it, so its running time can grow with length times the number of lines.
    """
    text = soft_str(s)
    if isinstance(width, int) and width > 0:
        lines = len(text) // width + text.count("\n") + 1
        separator = wrapstring if wrapstring is not None else "\n"
        check_string_length(len(text) + lines * len(separator))
        if len(text) * lines > MAX_QUADRATIC_COST:
            raise LimitExceeded(
                f"wordwrap of {len(text):,} characters at width {width} is "
                "too much work; wrap shorter parts or use a wider width"
            )
    return do_wordwrap(
        environment, s, width, break_long_words, wrapstring, break_on_hyphens
    )


@pass_eval_context
def bounded_urlize(
    eval_ctx: EvalContext,
    value: Any,
    trim_url_limit: int | None = None,
    nofollow: bool = False,
    target: str | None = None,
    rel: str | None = None,
    extra_schemes: Any = None,
) -> str:
    """Jinja's `urlize`, checking the length the link markup can add."""
    text = soft_str(value)
    # Every link contains a '.', '@' or ':', and gains an <a> tag with its
    # href, rel and target.
    links = text.count(".") + text.count("@") + text.count(":") + 1
    per_link = len(soft_str(target or "")) + len(soft_str(rel or "")) + 64
    check_string_length(len(text) + links * per_link)
    return do_urlize(
        eval_ctx, value, trim_url_limit, nofollow, target, rel, extra_schemes
    )


def bounded_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    """Jinja's `batch`, limiting the batch size."""
    if isinstance(linecount, int) and linecount > MAX_ELEMENTS:
        raise LimitExceeded(
            f"batch size {linecount:,} is larger than the limit of {MAX_ELEMENTS:,}"
        )
    return do_batch(value, linecount, fill_with)


def bounded_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    """Jinja's `slice`, limiting the number of slices."""
    if isinstance(slices, int) and slices > MAX_RANGE:
        raise LimitExceeded(
            f"slice into {slices:,} parts is more than the limit of {MAX_RANGE:,}"
        )
    return sync_do_slice(value, slices, fill_with)


@pass_environment
def bounded_sum(
    environment: Environment,
    iterable: Any,
    attribute: str | int | None = None,
    start: Any = 0,
) -> Any:
    """Jinja's `sum`, limiting the copying that summing lists or strings does."""
    if isinstance(start, numbers.Number):
        return sync_do_sum(environment, iterable, attribute, start)
    items = list(iterable)
    if attribute is not None:
        getter = make_attrgetter(environment, attribute)
        items = [getter(item) for item in items]
    sizes = [len(item) for item in items if hasattr(item, "__len__")]
    total = (len(start) if hasattr(start, "__len__") else 1) + sum(sizes)
    if total > MAX_ELEMENTS or total * len(items) > MAX_QUADRATIC_COST:
        raise LimitExceeded(
            f"sum of {len(items):,} sequences with {total:,} items in all copies "
            "too much; use join or a loop"
        )
    return sync_do_sum(environment, items, None, start)


def bounded_pprint(value: Any) -> str:
    """Jinja's `pprint`, limited to `MAX_PPRINT_UNITS`."""
    if current_budget().measure(value) > MAX_PPRINT_UNITS:
        raise LimitExceeded(
            f"pprint takes values of at most {MAX_PPRINT_UNITS:,} items and characters"
        )
    return do_pprint(value)


_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "center": bounded_center,
    "indent": bounded_indent,
    "replace": bounded_replace,
    "format": bounded_format,
    "join": bounded_join,
    "wordwrap": bounded_wordwrap,
    "urlize": bounded_urlize,
    "batch": bounded_batch,
    "slice": bounded_slice,
    "sum": bounded_sum,
    "pprint": bounded_pprint,
    "money": money,
    "date": format_date_filter,
    "number": format_number,
}


def _guard_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter to count a step, measure its arguments and record its result.

    `functools.wraps` copies the `jinja_pass_arg` marker that `pass_context`
    and its kin set, so Jinja still passes the context to the filter.
    """

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current_budget()
        budget.tick()
        for value in (*args, *kwargs.values()):
            if isinstance(value, _CONTAINERS):
                budget.measure(value)
        return budget.record(function(*args, **kwargs))

    return guarded


def bounded_filters(builtins: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    """Return Jinja's builtin filters, replaced where needed and all guarded."""
    filters = {**builtins, **_REPLACEMENTS}
    return {name: _guard_filter(function) for name, function in filters.items()}
