"""Default templates: one per kind, each rendering cleanly against its sample data."""

import dataclasses

import pytest

from store.defaults import DEFAULT_TEMPLATES, DefaultTemplate
from store.kinds import TemplateKind
from store.render import render_message, sample_context


def test_default_for_every_kind() -> None:
    assert set(DEFAULT_TEMPLATES) == set(TemplateKind)


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_default_renders_sample(kind: TemplateKind) -> None:
    default = DEFAULT_TEMPLATES[kind]

    result = render_message(
        default.subject, default.text_body, None, sample_context(kind)
    )

    assert result.errors == ()
    assert result.subject
    assert result.text_body


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_default_renders_german_sample(kind: TemplateKind) -> None:
    default = DEFAULT_TEMPLATES[kind]
    context = sample_context(kind, company_name="Nordwind Handel GmbH", locale="de_DE")

    result = render_message(default.subject, default.text_body, None, context)

    assert result.errors == ()
    assert result.text_body is not None
    assert "£" not in result.text_body
    if "|money" in default.text_body:
        assert "€" in result.text_body


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_default_subject_one_line(kind: TemplateKind) -> None:
    assert "\n" not in DEFAULT_TEMPLATES[kind].subject


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_default_greets_and_signs(kind: TemplateKind) -> None:
    context = sample_context(kind)
    default = DEFAULT_TEMPLATES[kind]

    body = render_message(default.subject, default.text_body, None, context).text_body

    assert body is not None
    assert body.startswith(f"Dear {context['counterparty']['contact_name']},")
    assert body.rstrip().endswith(context["company"]["website"])


def test_invoice_default_content() -> None:
    default = DEFAULT_TEMPLATES[TemplateKind.INVOICE]

    result = render_message(
        default.subject, default.text_body, None, sample_context(TemplateKind.INVOICE)
    )

    assert result.subject == "Invoice INV-2026-0042 from Northwind Trading Ltd"
    assert result.text_body is not None
    assert "for £1,633.20" in result.text_body
    assert "Due date:   15 Apr 2026" in result.text_body
    assert "https://pay.platform.example/northwind-trading-ltd/INV-2026-0042" in (
        result.text_body
    )


def test_reminder_default_mentions_days_overdue() -> None:
    default = DEFAULT_TEMPLATES[TemplateKind.PAYMENT_REMINDER]
    context = sample_context(TemplateKind.PAYMENT_REMINDER)

    body = render_message(default.subject, default.text_body, None, context).text_body

    assert body is not None
    assert "14 days overdue" in body


def test_default_leaves_no_blank_line_runs() -> None:
    for kind, default in DEFAULT_TEMPLATES.items():
        body = render_message(
            default.subject, default.text_body, None, sample_context(kind)
        ).text_body
        assert body is not None
        assert "\n\n\n" not in body, kind


def test_default_template_frozen() -> None:
    default = DEFAULT_TEMPLATES[TemplateKind.QUOTE]

    with pytest.raises(dataclasses.FrozenInstanceError):
        default.subject = "changed"  # type: ignore[misc]

    assert isinstance(default, DefaultTemplate)
