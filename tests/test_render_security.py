"""Hostile templates end in a security or limit error, in bounded time and memory."""

import time
import tracemalloc

import pytest

from store.kinds import TemplateKind
from store.render import render_message, sample_context
from store.render.limits import MAX_SECONDS

# Each payload fails on every field it is put in, in well under this time.
# MAX_SECONDS is the render deadline. The rest is slack for one operation
# that overruns it and for a slow test machine.
TIME_BOUND_SECONDS = MAX_SECONDS + 1.0

# Maximum memory Python may allocate while one payload renders.
MEMORY_BOUND_BYTES = 64 * 1024 * 1024

_NAMESPACE = "{% set ns = namespace(s='x' * 1000, l=[1]) %}"
_BIG = "{% set big = 'x' * 200000 %}"

SECURITY_PAYLOADS = {
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler globals": "{{ cycler.__init__.__globals__ }}",
    "template context": "{{ self._TemplateReference__context }}",
    "lipsum globals": "{{ lipsum.__globals__ }}",
    "format attribute": '{{ "{0.__class__}".format(company) }}',
    "format_map attribute": "{{ '{a.__class__}'.format_map({'a': 1}) }}",
    "namespace globals": "{{ namespace.__init__.__globals__ }}",
    "attr filter": "{{ document|attr('__class__') }}",
    "subscript dunder": "{{ document['__class__'] }}",
    "loop class": "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
    "method self": "{{ cycler(1, 2).next.__self__ }}",
    "dict update": "{% set d = {} %}{{ d.update({'a': 1}) }}",
    "list append": "{{ [].append(1) }}",
}

LIMIT_PAYLOADS = {
    "range list": "{{ range(10**9)|list }}",
    "string repeat": '{{ "x" * 10**9 }}',
    "list repeat": "{{ [1]*10**8 }}",
    "nested loops": (
        "{% for a in range(100000) %}{% for b in range(100000) %}x"
        "{% endfor %}{% endfor %}"
    ),
    "nested loops in range": (
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"
    ),
    "nested loops output": (
        "{% for a in range(10000) %}{% for b in range(10000) %}{{ a }}"
        "{% endfor %}{% endfor %}"
    ),
    "nested if": "{% if 1 %}" * 1000 + "x" + "{% endif %}" * 1000,
    "nested parentheses": "{{ " + "(" * 1000 + "1" + ")" * 1000 + " }}",
    "nested lists": "{{ " + "[" * 1000 + "]" * 1000 + " }}",
    "percent width": '{{ "%0999999999d" % 1 }}',
    "percent star width": '{{ "%*d" % (999999999, 1) }}',
    "percent repeat": '{{ "%s" % ("x" * 200000) * 100 }}',
    "percent list": "{{ '%s' % ([1] * 300000,) }}",
    "format width": '{{ "{0:>999999999}".format(1) }}',
    "format nested width": '{{ "{0:{1}}".format(1, 999999999) }}',
    "format filter width": '{{ "%099999999d"|format(1) }}',
    "huge join": '{{ range(10000)|join("x" * 100000) }}',
    "str join": "{{ ''.join(['x' * 200000] * 10) }}",
    "power": "{{ 9 ** (9 ** 9) }}",
    "integer multiply": "{{ (2 ** 8000) * (2 ** 8000) }}",
    "center method": '{{ "x".center(10**9) }}',
    "center filter": '{{ "x"|center(1000000000) }}',
    "replace filter": '{{ "ab"|replace("", "x" * 100000) }}',
    "indent filter": '{{ ("a\n" * 100000)|indent(100) }}',
    "expandtabs": '{{ ("\t" * 100000).expandtabs(100000) }}',
    "translate": "{{ ('x' * 1000).translate({120: 'y' * 200000}) }}",
    "to_bytes": "{{ (1).to_bytes(10**9, 'big') }}",
    "lipsum": "{{ lipsum(10**6) }}",
    "wordwrap": '{{ ("x" * 200000)|wordwrap(1) }}',
    "batch size": "{{ range(10)|batch(10**9, 1)|list }}",
    "batch fill": _BIG
    + "{% for row in range(10)|batch(200000, big) %}{{ row|length }}{% endfor %}",
    "slice count": "{{ range(10)|slice(10**9)|list }}",
    "sum of lists": "{{ ([[1] * 1000] * 900)|sum(start=[]) }}",
    "pprint": "{{ ([1] * 100000)|pprint }}",
    "tilde doubling": _NAMESPACE
    + "{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "plus doubling": _NAMESPACE
    + "{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "list doubling": _NAMESPACE
    + "{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
    "macro doubling": _NAMESPACE
    + "{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}"
    + "{% for i in range(60) %}{% set ns.s = twice(ns.s) %}{% endfor %}",
    "block set doubling": _NAMESPACE
    + "{% for i in range(60) %}{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}"
    + "{% endfor %}",
    "filter block": _BIG
    + "{% filter upper %}{% for i in range(10000) %}{{ big }}{% endfor %}"
    + "{% endfilter %}",
    "macro fan-out": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
        "{% endmacro %}{{ f(40) }}"
    ),
    "macro recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "recursive loop": "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    "mapped copies": _BIG + "{{ range(10000)|map('center', 200000)|list|length }}",
    "output size": "{{ 'x' * 200000 }}{{ 'x' * 200000 }}",
    "list concatenation": _NAMESPACE
    + "{% set b = [1] * 100000 %}{% for i in range(20) %}"
    + "{% set ns.l = ns.l + b %}{% endfor %}",
}


@pytest.fixture(scope="module")
def context() -> dict:
    return sample_context(TemplateKind.INVOICE)


def _render_each_field(payload: str, context: dict) -> list:
    """Render the payload as the subject, the text body and the HTML body."""
    return [
        render_message(payload, "", None, context).errors,
        render_message("", payload, None, context).errors,
        render_message("", "", payload, context).errors,
    ]


@pytest.mark.parametrize(
    "payload", SECURITY_PAYLOADS.values(), ids=SECURITY_PAYLOADS.keys()
)
def test_payload_is_security_error(payload: str, context: dict) -> None:
    for errors in _render_each_field(payload, context):
        assert len(errors) == 1
        assert errors[0].kind == "security"
        assert "unsafe" in errors[0].message


@pytest.mark.parametrize("payload", LIMIT_PAYLOADS.values(), ids=LIMIT_PAYLOADS.keys())
def test_payload_is_limit_error(payload: str, context: dict) -> None:
    for errors in _render_each_field(payload, context):
        assert len(errors) == 1
        assert errors[0].kind == "limit", errors[0]


@pytest.mark.parametrize(
    "payload",
    [*SECURITY_PAYLOADS.values(), *LIMIT_PAYLOADS.values()],
    ids=[*SECURITY_PAYLOADS.keys(), *LIMIT_PAYLOADS.keys()],
)
def test_payload_time_and_memory_bounded(payload: str, context: dict) -> None:
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = render_message("Subject", payload, None, context)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert not result.ok
    assert elapsed < TIME_BOUND_SECONDS
    assert peak < MEMORY_BOUND_BYTES


def test_format_attribute_message_names_attribute(context: dict) -> None:
    result = render_message("", '{{ "{0.__class__}".format(company) }}', None, context)

    assert result.errors[0].message == (
        "access to attribute '__class__' of 'dict' object is unsafe."
    )


def test_nesting_limit_reports_line(context: dict) -> None:
    body = "line 1\nline 2\n" + "{% if 1 %}" * 20 + "x" + "{% endif %}" * 20

    error = render_message("", body, None, context).errors[0]

    assert error.kind == "limit"
    assert error.line == 3


def test_step_limit_reports_loop_line(context: dict) -> None:
    body = (
        "Dear customer,\n\n"
        "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}"
        "{% endfor %}"
    )

    error = render_message("", body, None, context).errors[0]

    assert error.kind == "limit"
    assert error.line == 3


def test_moderate_template_is_within_limits(context: dict) -> None:
    body = (
        "{% for a in range(100) %}{% for b in range(100) %}{{ a * b }} "
        "{% endfor %}{% endfor %}{{ ('x' * 1000)|wordwrap(72)|length }}"
    )

    result = render_message("", body, None, context)

    assert result.ok
    assert result.text_body is not None
    assert result.text_body.endswith("1013")


def test_nesting_within_limit_renders(context: dict) -> None:
    body = (
        "{% for a in [1] %}" * 8
        + "{% if 1 %}" * 8
        + "deep"
        + "{% endif %}" * 8
        + "{% endfor %}" * 8
    )

    result = render_message("", body, None, context)

    assert result.text_body == "deep"
