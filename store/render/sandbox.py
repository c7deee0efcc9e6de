"""The Jinja2 sandbox that tenant templates run in, with bounded work.

`BoundedSandbox` is Jinja's `ImmutableSandboxedEnvironment` (no attribute
starting with `_`, no mutation of lists and dicts) with hooks that charge
the current `Budget`:

- every call, and every loop iteration through `guard_tree`, is a step;
- `*`, `**`, `+` and `%`, `~`, `str.format` and the amplifying str methods
  are checked before they run (see `store.render.checks`);
- output captured by macros, `{% set %}` blocks, `{% filter %}` and
  `{% call %}` goes through `OutputBuffer`, which stops at the output limit;
- every list, tuple and dict literal is measured when it is built.

NOTE: the hooks cover the code generator, sandbox and filters of Jinja2
3.1.6, the version pinned in pyproject.toml. `BoundedCodeGenerator` overrides
`CodeGenerator.buffer`, which is not public API, so recheck it on an upgrade.
"""

import keyword
from collections import deque
from functools import update_wrapper
from typing import Any, cast

from jinja2 import StrictUndefined, nodes, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.ext import Extension
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, generate_lorem_ipsum, missing

from store.render.checks import (
    check_binop,
    check_brace_format,
    check_method_call,
)
from store.render.limits import (
    MAX_BLOCK_DEPTH,
    MAX_BRACKET_DEPTH,
    MAX_RANGE,
    Budget,
    LimitExceeded,
    check_string_length,
    current_budget,
)

# Tags that open a block closed by a matching `end...` tag. `set` opens one
# only in its block form, `{% set name %}...{% endset %}`.
_BLOCK_TAGS = frozenset(
    {"if", "for", "macro", "call", "filter", "with", "block", "autoescape", "trans"}
)

# Maximum number of words `lipsum()` may generate in one call.
_MAX_LIPSUM_WORDS = 20_000

_CONTAINERS = (list, tuple, dict, set, frozenset)

# Maximum number of dicts and lists an undefined-variable message searches to name
# the full path of the missing attribute.
_MAX_PATH_SEARCH = 10_000


class OutputBuffer(list):
    """The captured output of a macro or block, stopping at the output limit."""

    __slots__ = ("_budget", "_length")

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self._budget = budget
        self._length = 0

    def append(self, item: Any) -> None:
        self._count(item)
        super().append(item)

    def extend(self, items: Any) -> None:
        items = tuple(items)
        for item in items:
            self._count(item)
        super().extend(items)

    def _count(self, item: Any) -> None:
        self._length += len(item)
        check_string_length(self._length)
        self._budget.charge(len(item))


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `OutputBuffer` for captured output."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.new_buffer()")


class GuardExtension(Extension):
    """Functions that `guard_tree` calls from the compiled template.

    Calls from templates go through `BoundedSandbox.call`, which counts a
    step and records the result, so `container` only needs to return it.
    """

    def iterate(self, iterable: Any) -> Any:
        """Yield the items of a `{% for %}` loop, counting one step for each.

        Items are measured because a filter such as `batch` can yield lists
        that no other check has seen.
        """
        budget = current_budget()
        for item in iterable:
            budget.tick()
            if isinstance(item, _CONTAINERS):
                budget.measure(item)
            yield item

    def container(self, value: Any) -> Any:
        """Return a list, tuple or dict literal, measured by the caller."""
        return value

    @pass_eval_context
    def concat(self, eval_context: EvalContext, *parts: Any) -> str:
        """Join the operands of `~`, checking the length first."""
        texts = [str(part) for part in parts]
        check_string_length(sum(len(text) for text in texts))
        if eval_context.autoescape:
            return markup_join(parts)
        return "".join(texts)


_GUARD = GuardExtension.identifier


def _guard_call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    function = nodes.ExtensionAttribute(_GUARD, name, lineno=lineno)
    return nodes.Call(function, args, [], None, None, lineno=lineno)


def guard_tree(node: nodes.Node) -> nodes.Node:
    """Rewrite a parsed template so that loops, `~` and literals are checked.

    A loop iterates through `GuardExtension.iterate`, `a ~ b` becomes a call
    of `GuardExtension.concat` and each list, tuple or dict literal passes
    through `GuardExtension.container`. Returns the node to use in place of
    `node`.
    """
    for field, value in node.iter_fields():
        if isinstance(value, list):
            setattr(
                node,
                field,
                [guard_tree(v) if isinstance(v, nodes.Node) else v for v in value],
            )
        elif isinstance(value, nodes.Node):
            setattr(node, field, guard_tree(value))

    if isinstance(node, nodes.For):
        loop_iterable = cast(nodes.Expr, node.iter)
        node.iter = _guard_call("iterate", [loop_iterable], node.iter.lineno)
    elif isinstance(node, nodes.Concat):
        return _guard_call("concat", node.nodes, node.lineno)
    elif isinstance(node, (nodes.List, nodes.Dict)) or (
        isinstance(node, nodes.Tuple) and node.ctx == "load"
    ):
        return _guard_call("container", [node], node.lineno)
    return node


def check_nesting(environment: "BoundedSandbox", source: str) -> None:
    """Raise `LimitExceeded` if block tags or brackets nest past the limits.

    Reads the lexer's tokens, so it runs before the recursive parser could
    hit Python's recursion limit on a deeply nested template.
    """
    block_depth = 0
    bracket_depth = 0
    expect_tag = False
    in_set = False
    set_has_value = False
    for line, token, value in environment.lex(source):
        if token == "whitespace":
            continue
        if token == "block_begin":
            expect_tag = True
            continue
        if expect_tag:
            expect_tag = False
            if token == "name" and value in _BLOCK_TAGS:
                block_depth += 1
            elif token == "name" and value.startswith("end"):
                block_depth = max(block_depth - 1, 0)
            elif token == "name" and value == "set":
                in_set, set_has_value = True, False
        elif token == "operator" and value in "([{":
            bracket_depth += 1
        elif token == "operator" and value in ")]}":
            bracket_depth = max(bracket_depth - 1, 0)
        elif token == "operator" and value == "=":
            set_has_value = True
        elif token == "block_end" and in_set:
            in_set = False
            if not set_has_value:
                block_depth += 1

        if block_depth > MAX_BLOCK_DEPTH:
            raise LimitExceeded(
                f"block tags nest more than {MAX_BLOCK_DEPTH} deep; "
                "move inner parts into a macro or flatten the conditions",
                line=line,
            )
        if bracket_depth > MAX_BRACKET_DEPTH:
            raise LimitExceeded(
                f"brackets nest more than {MAX_BRACKET_DEPTH} deep; "
                "split the expression with {% set %}",
                line=line,
            )


def bounded_range(*args: Any) -> range:
    """`range()` for templates, limited to `MAX_RANGE` items."""
    items = range(*args)
    try:
        count = len(items)
    except OverflowError:
        count = MAX_RANGE + 1
    if count > MAX_RANGE:
        raise LimitExceeded(
            f"range() may produce at most {MAX_RANGE:,} items in a template"
        )
    return items


def bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """Jinja's `lipsum()`, limited to `_MAX_LIPSUM_WORDS` words."""
    if n * max > _MAX_LIPSUM_WORDS:
        raise LimitExceeded(
            f"lipsum() may generate at most {_MAX_LIPSUM_WORDS:,} words "
            "(paragraphs times the maximum words per paragraph)"
        )
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


class BoundedNamespace(Namespace):
    """Jinja's `namespace()`, printed by attribute names only.

    Jinja prints a namespace with the repr of every value, which would let a
    template print the same large value once per attribute.
    """

    def __repr__(self) -> str:
        attributes = object.__getattribute__(self, "_Namespace__attrs")
        return f"<Namespace {', '.join(sorted(attributes))}>"


class PathUndefined(StrictUndefined):
    """`StrictUndefined` whose message names the full path of the value.

    Jinja reports `document.nmber` as "'dict object' has no attribute
    'nmber'"; this finds the dict in the render context and reports
    "'document.nmber' is undefined".
    """

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint is not None or self._undefined_obj is missing:
            return super()._undefined_message
        budget = _budget_or_none()
        if budget is None:
            return super()._undefined_message
        path = find_path(budget.context, self._undefined_obj)
        if path is None:
            return super()._undefined_message
        return f"{format_path([*path, self._undefined_name])!r} is undefined"


def _budget_or_none() -> Budget | None:
    try:
        return current_budget()
    except RuntimeError:
        return None


def find_path(root: dict[str, Any], target: Any) -> list[Any] | None:
    """Return the keys that lead from `root` to the object `target`, or None."""
    queue: deque[tuple[Any, list[Any]]] = deque([(root, [])])
    searched = 0
    while queue and searched < _MAX_PATH_SEARCH:
        value, path = queue.popleft()
        searched += 1
        if value is target and path:
            return path
        if isinstance(value, dict):
            children = list(value.items())
        elif isinstance(value, (list, tuple)):
            children = list(enumerate(value))
        else:
            continue
        for key, child in children:
            if isinstance(child, (dict, list, tuple)):
                queue.append((child, [*path, key]))
    return None


def format_path(keys: list[Any]) -> str:
    """Write keys as a template expression: `document.lines[0].amount`."""
    text = ""
    for key in keys:
        if isinstance(key, int):
            text += f"[{key}]"
        elif isinstance(key, str) and key.isidentifier() and not keyword.iskeyword(key):
            text += f".{key}" if text else key
        else:
            text += f"[{key!r}]"
    return text


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with the size, step and time checks of this module."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = current_budget()
        check_binop(budget, operator, left, right)
        return budget.record(self.binop_table[operator](left, right))

    def call(
        __self,  # Named as in Jinja so no template keyword clashes.
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        budget = current_budget()
        budget.tick()
        for value in (*args, *kwargs.values()):
            if isinstance(value, _CONTAINERS):
                budget.measure(value)
        args = check_method_call(budget, __obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        return budget.record(result)

    def wrap_str_format(self, value: Any) -> Any:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        format_string = value.__self__

        def checked_format(*args: Any, **kwargs: Any) -> str:
            check_brace_format(format_string)
            return wrapper(*args, **kwargs)

        return update_wrapper(checked_format, wrapper)

    def concat(self, parts: Any) -> str:  # type: ignore[override]
        """Join rendered output, stopping at the output limit.

        The compiled template calls this for captured output and for blocks
        rendered with `self.name()`, where `parts` may be a generator.
        """
        pieces = []
        length = 0
        for piece in parts:
            length += len(piece)
            check_string_length(length)
            pieces.append(piece)
        return "".join(pieces)

    def new_buffer(self) -> OutputBuffer:
        """Return an empty buffer for captured output."""
        return OutputBuffer(current_budget())
