"""The two template environments and the cache of compiled templates.

Subjects and text bodies render without escaping; HTML bodies render with
autoescape on, so a `<` in a customer's name arrives as `&lt;`. Both
environments trim the newline after a block tag and the indentation before
it (`trim_blocks`, `lstrip_blocks`), so `{% if %}` lines in a plain-text
email leave no blank lines behind.
"""

import threading
from collections import OrderedDict
from typing import Any

from jinja2 import Template
from jinja2.defaults import DEFAULT_FILTERS

from store.render.filters import bounded_filters
from store.render.limits import (
    MAX_SOURCE_CHARS,
    Budget,
    LimitExceeded,
    current_budget,
    enter_budget,
    leave_budget,
)
from store.render.sandbox import (
    BoundedNamespace,
    BoundedSandbox,
    GuardExtension,
    PathUndefined,
    bounded_lipsum,
    bounded_range,
    check_nesting,
    guard_tree,
)

# The file name compiled templates carry. Jinja rewrites tracebacks so that
# frames with this file name have the template's line as their line number.
TEMPLATE_FILENAME = "<template>"

# How many compiled templates the cache keeps: every template of about 20
# tenants open at once, at a few kilobytes each.
MAX_CACHED_TEMPLATES = 256

_CONTAINERS = (list, tuple, dict, set, frozenset)


def _finalize(value: Any) -> Any:
    """Print None as an empty string, and measure containers before printing."""
    if value is None:
        return ""
    if isinstance(value, _CONTAINERS):
        current_budget().measure(value)
    return value


def _make_environment(autoescape: bool) -> BoundedSandbox:
    environment = BoundedSandbox(
        autoescape=autoescape,
        undefined=PathUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[GuardExtension],
        cache_size=0,
        auto_reload=False,
    )
    environment.filters = bounded_filters(DEFAULT_FILTERS)
    environment.globals.update(
        range=bounded_range,
        lipsum=bounded_lipsum,
        namespace=BoundedNamespace,
    )
    return environment


TEXT_ENVIRONMENT = _make_environment(autoescape=False)
HTML_ENVIRONMENT = _make_environment(autoescape=True)

_cache: OrderedDict[tuple[str, bool], Template] = OrderedDict()
_cache_lock = threading.Lock()


def get_template(source: str, is_html: bool) -> Template:
    """Return the compiled template for `source`, compiling it on first use.

    Raises `TemplateSyntaxError` for invalid syntax and `LimitExceeded` for a
    source that is too long or nested too deeply. Python may also raise
    `RecursionError`, `MemoryError` or `SyntaxError` for a pathological
    source that passes those checks.
    """
    key = (source, is_html)
    with _cache_lock:
        template = _cache.get(key)
        if template is not None:
            _cache.move_to_end(key)
            return template

    template = _compile(source, is_html)

    with _cache_lock:
        _cache[key] = template
        _cache.move_to_end(key)
        while len(_cache) > MAX_CACHED_TEMPLATES:
            _cache.popitem(last=False)
    return template


def _compile(source: str, is_html: bool) -> Template:
    if len(source) > MAX_SOURCE_CHARS:
        raise LimitExceeded(
            f"the template has {len(source):,} characters; "
            f"the limit is {MAX_SOURCE_CHARS:,}"
        )
    environment = HTML_ENVIRONMENT if is_html else TEXT_ENVIRONMENT
    check_nesting(environment, source)

    # Jinja evaluates constant expressions, filters included, while it
    # compiles, so the compiler runs under a budget of its own.
    token = enter_budget(Budget())
    try:
        tree = environment.parse(source, filename=TEMPLATE_FILENAME)
        guard_tree(tree)
        code = environment.compile(tree, filename=TEMPLATE_FILENAME)
    finally:
        leave_budget(token)
    return environment.template_class.from_code(
        environment, code, environment.make_globals(None)
    )


def clear_cache() -> None:
    """Forget every compiled template, such as between benchmark runs."""
    with _cache_lock:
        _cache.clear()
