"""Render a message's subject and bodies, returning errors as values."""

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from store.addresses import LINE_BREAKS
from store.render.environment import TEMPLATE_FILENAME, get_template
from store.render.limits import (
    MAX_OUTPUT_CHARS,
    MAX_SECONDS,
    Budget,
    LimitExceeded,
    enter_budget,
    leave_budget,
)


@dataclass(frozen=True)
class RenderError:
    """One reason a field did not render.

    `field` is "subject", "text_body" or "html_body". `kind` is "syntax",
    "undefined", "security", "limit" or "error". `line` is the 1-based line
    in that field's source, or None when it is not known.
    """

    field: str
    kind: str
    message: str
    line: int | None


@dataclass(frozen=True)
class RenderResult:
    """The rendered fields of a message; a field that failed is None."""

    subject: str | None
    text_body: str | None
    html_body: str | None
    errors: tuple[RenderError, ...]

    @property
    def ok(self) -> bool:
        """Whether every field rendered."""
        return not self.errors


def render_message(
    subject: str, text_body: str, html_body: str | None, context: dict[str, Any]
) -> RenderResult:
    """Render the subject, text body and optional HTML body against `context`.

    Does not raise for a bad template: any `Exception` from compiling or
    rendering a field, such as a syntax error, an undefined variable, a
    sandbox violation or a passed limit, comes back in `RenderResult.errors`,
    at most one per field. The subject is stripped of surrounding whitespace
    and may not contain a line break once rendered.
    """
    errors: list[RenderError] = []
    deadline = time.perf_counter() + MAX_SECONDS

    rendered_subject, error = _render_field(
        "subject", subject, False, context, deadline
    )
    if error is not None:
        errors.append(error)
    if rendered_subject is not None:
        rendered_subject = rendered_subject.strip()
        error = _check_subject(rendered_subject)
        if error is not None:
            errors.append(error)
            rendered_subject = None

    rendered_text, error = _render_field(
        "text_body", text_body, False, context, deadline
    )
    if error is not None:
        errors.append(error)

    rendered_html = None
    if html_body is not None:
        rendered_html, error = _render_field(
            "html_body", html_body, True, context, deadline
        )
        if error is not None:
            errors.append(error)

    return RenderResult(rendered_subject, rendered_text, rendered_html, tuple(errors))


def _check_subject(subject: str) -> RenderError | None:
    for index, character in enumerate(subject):
        if character in LINE_BREAKS:
            return RenderError(
                field="subject",
                kind="error",
                message=(
                    "the subject contains a line break after rendering "
                    f"(U+{ord(character):04X} at character {index + 1}); a subject "
                    "is one line, so remove the break from the template or from "
                    "the value it prints"
                ),
                line=None,
            )
    return None


def _render_field(
    field: str, source: str, is_html: bool, context: dict[str, Any], deadline: float
) -> tuple[str | None, RenderError | None]:
    try:
        template = get_template(source, is_html)
    except Exception as error:  # Every failure becomes a RenderError.
        return None, _compile_error(field, error)

    budget = Budget(context, deadline)
    token = enter_budget(budget)
    try:
        return _generate(template, context, budget), None
    except Exception as error:  # Every failure becomes a RenderError.
        return None, _runtime_error(field, error)
    finally:
        leave_budget(token)


def _generate(template: Template, context: dict[str, Any], budget: Budget) -> str:
    """Render `template`, stopping once the output passes `MAX_OUTPUT_CHARS`."""
    chunks = []
    length = 0
    # Template.generate is typed as an Iterator but is a generator.
    stream = cast(Generator[str, None, None], template.generate(context))
    try:
        for chunk in stream:
            length += len(chunk)
            if length > MAX_OUTPUT_CHARS:
                raise LimitExceeded(
                    f"the output is longer than {MAX_OUTPUT_CHARS:,} characters"
                )
            budget.check_time()
            chunks.append(chunk)
    finally:
        stream.close()
    return "".join(chunks)


def _compile_error(field: str, error: Exception) -> RenderError:
    if isinstance(error, TemplateSyntaxError):
        return RenderError(field, "syntax", error.message or str(error), error.lineno)
    if isinstance(error, LimitExceeded):
        return RenderError(field, "limit", error.message, error.line)
    if isinstance(error, (RecursionError, SyntaxError, MemoryError)):
        return RenderError(
            field,
            "limit",
            "the template is nested too deeply or is too large to compile "
            f"({type(error).__name__}: {error})",
            None,
        )
    return RenderError(field, "error", _describe(error), None)


def _runtime_error(field: str, error: Exception) -> RenderError:
    line = _template_line(error)
    if isinstance(error, SecurityError):
        return RenderError(field, "security", str(error), line)
    if isinstance(error, UndefinedError):
        return RenderError(field, "undefined", str(error), line)
    if isinstance(error, LimitExceeded):
        return RenderError(field, "limit", error.message, line)
    if isinstance(error, RecursionError):
        return RenderError(
            field,
            "limit",
            "the template recursed too deeply; a macro or recursive loop "
            "calls itself without end",
            line,
        )
    if isinstance(error, MemoryError):
        return RenderError(field, "limit", "the template ran out of memory", line)
    return RenderError(field, "error", _describe(error), line)


def _describe(error: Exception) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _template_line(error: BaseException) -> int | None:
    """Return the template line of the innermost template frame in the traceback."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
