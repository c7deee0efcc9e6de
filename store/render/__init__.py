"""Rendering of tenant templates in Jinja2's sandbox, with bounded work.

    result = render_message(subject, text_body, html_body, sample_context(kind))
    if not result.ok:
        for error in result.errors:
            print(error.field, error.line, error.message)

Errors are values: `render_message` does not raise for a bad template.
`sample_context` and `variables_for` give the data a template can use.
"""

from store.render.context import Variable, sample_context, variables_for
from store.render.render import RenderError, RenderResult, render_message

__all__ = [
    "RenderError",
    "RenderResult",
    "Variable",
    "render_message",
    "sample_context",
    "variables_for",
]
