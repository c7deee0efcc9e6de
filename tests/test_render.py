"""Rendering: results, errors with lines, escaping, filters and variables."""

from datetime import date
from decimal import Decimal

import pytest

from store.kinds import TemplateKind
from store.render import (
    RenderError,
    RenderResult,
    Variable,
    render_message,
    sample_context,
    variables_for,
)
from store.render.environment import clear_cache, get_template


@pytest.fixture
def context() -> dict:
    return sample_context(TemplateKind.INVOICE)


def test_render_all_fields(context: dict) -> None:
    result = render_message(
        "Invoice {{ document.number }}",
        "Dear {{ counterparty.contact_name }}",
        "<p>{{ company.name }}</p>",
        context,
    )

    assert result.ok
    assert result.errors == ()
    assert result.subject == "Invoice INV-2026-0042"
    assert result.text_body == "Dear Priya Shah"
    assert result.html_body == "<p>Northwind Trading Ltd</p>"


def test_render_without_html_body(context: dict) -> None:
    result = render_message("Hello", "Body", None, context)

    assert result.html_body is None
    assert result.ok


def test_subject_whitespace_stripped(context: dict) -> None:
    result = render_message("  Invoice {{ document.number }}\n", "", None, context)

    assert result.subject == "Invoice INV-2026-0042"


def test_loop_over_lines(context: dict) -> None:
    body = "{% for line in document.lines %}\n{{ line.description }}\n{% endfor %}"

    result = render_message("", body, None, context)

    assert result.text_body == (
        "Oak garden bench, 1.8 m\n"
        "Galvanised planter, large\n"
        "Delivery and installation\n"
    )


def test_none_prints_empty(context: dict) -> None:
    context["document"]["payment_link"] = None

    result = render_message("", "[{{ document.payment_link }}]", None, context)

    assert result.text_body == "[]"


def test_undefined_variable_reports_line(context: dict) -> None:
    body = "Dear {{ counterparty.name }},\n\nYour total is {{ totl }}.\n"

    result = render_message("", body, None, context)

    assert result.text_body is None
    assert result.errors == (
        RenderError("text_body", "undefined", "'totl' is undefined", 3),
    )


def test_undefined_attribute_names_full_path(context: dict) -> None:
    body = "line 1\nline 2\n{{ document.nmber }}"

    error = render_message("", body, None, context).errors[0]

    assert error.kind == "undefined"
    assert error.message == "'document.nmber' is undefined"
    assert error.line == 3


def test_undefined_loop_attribute_names_path(context: dict) -> None:
    body = "{% for line in document.lines %}\n{{ line.price }}\n{% endfor %}"

    error = render_message("", body, None, context).errors[0]

    assert error.message == "'document.lines[0].price' is undefined"
    assert error.line == 2


def test_undefined_in_macro_reports_line(context: dict) -> None:
    body = "{% macro greet() %}\nHello\n{{ nobody }}\n{% endmacro %}\n{{ greet() }}"

    error = render_message("", body, None, context).errors[0]

    assert error.kind == "undefined"
    assert error.line == 3


def test_syntax_error_reports_line(context: dict) -> None:
    body = "Dear {{ counterparty.name }},\n\n{% if document.total %}\nTotal\n"

    result = render_message("", body, None, context)

    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.field == "text_body"
    assert error.kind == "syntax"
    assert "endif" in error.message


def test_syntax_error_in_expression_line(context: dict) -> None:
    body = "line 1\nline 2\nTotal: {{ document.total | }}\nline 4"

    error = render_message("", body, None, context).errors[0]

    assert error.kind == "syntax"
    assert error.line == 3


def test_errors_reported_per_field(context: dict) -> None:
    result = render_message("{{ a }}", "{{ b }}", "{{ c }}", context)

    assert [error.field for error in result.errors] == [
        "subject",
        "text_body",
        "html_body",
    ]
    assert result.subject is None
    assert result.text_body is None
    assert result.html_body is None
    assert not result.ok


def test_runtime_error_is_error_kind(context: dict) -> None:
    error = render_message("", "a\n{{ 1 / 0 }}", None, context).errors[0]

    assert error.kind == "error"
    assert error.message == "ZeroDivisionError: division by zero"
    assert error.line == 2


def test_include_is_error_not_crash(context: dict) -> None:
    error = render_message("", "{% include 'other' %}", None, context).errors[0]

    assert error.kind == "error"


def test_subject_line_break_rejected(context: dict) -> None:
    context["document"]["number"] = "INV-1\nBcc: victim@example.com"

    result = render_message("Invoice {{ document.number }}", "", None, context)

    assert result.subject is None
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.field == "subject"
    assert error.kind == "error"
    assert error.message.startswith("the subject contains a line break after rendering")
    assert "U+000A" in error.message


@pytest.mark.parametrize(
    "line_break", ["\r", "\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028"]
)
def test_subject_each_line_break_rejected(context: dict, line_break: str) -> None:
    context["company"]["name"] = f"Evil{line_break}Corp"

    result = render_message("From {{ company.name }}", "", None, context)

    assert result.subject is None
    assert result.errors[0].field == "subject"


def test_text_body_keeps_line_breaks(context: dict) -> None:
    result = render_message("", "a\nb", None, context)

    assert result.text_body == "a\nb"


def test_autoescape_html_body(context: dict) -> None:
    context["counterparty"]["name"] = "<script>alert(1)</script> & Co"

    result = render_message("", "", "<p>{{ counterparty.name }}</p>", context)

    assert result.html_body == ("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</p>")


def test_no_autoescape_text_body(context: dict) -> None:
    context["counterparty"]["name"] = "Smith & <Sons>"

    result = render_message(
        "{{ counterparty.name }}", "{{ counterparty.name }}", None, context
    )

    assert result.subject == "Smith & <Sons>"
    assert result.text_body == "Smith & <Sons>"


def test_html_tilde_escapes(context: dict) -> None:
    context["counterparty"]["name"] = "<b>"

    result = render_message("", "", "{{ 'Dear ' ~ counterparty.name }}", context)

    assert result.html_body == "Dear &lt;b&gt;"


def test_html_safe_filter_keeps_markup(context: dict) -> None:
    result = render_message("", "", "{{ '<br>'|safe }}", context)

    assert result.html_body == "<br>"


def test_same_source_text_and_html_differ(context: dict) -> None:
    context["company"]["name"] = "A & B"

    result = render_message("", "{{ company.name }}", "{{ company.name }}", context)

    assert result.text_body == "A & B"
    assert result.html_body == "A &amp; B"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_GB", "€1,234.50"), ("de_DE", "1.234,50\xa0€")],
)
def test_money_formats_per_locale(context: dict, locale: str, expected: str) -> None:
    context["locale"] = locale
    context["document"]["total"] = Decimal("1234.5")

    result = render_message("", "{{ document.total|money('EUR') }}", None, context)

    assert result.text_body == expected


def test_money_uses_document_currency(context: dict) -> None:
    context["document"]["currency"] = "USD"
    context["locale"] = "en_GB"

    result = render_message("", "{{ document.total|money }}", None, context)

    assert result.text_body == "US$1,633.20"


def test_money_explicit_locale_argument(context: dict) -> None:
    result = render_message("", "{{ 1234.5|money('EUR', 'de_DE') }}", None, context)

    assert result.text_body == "1.234,50\xa0€"


def test_money_accepts_numeric_string(context: dict) -> None:
    result = render_message("", "{{ '99.9'|money('GBP') }}", None, context)

    assert result.text_body == "£99.90"


def test_money_unknown_currency_is_error(context: dict) -> None:
    error = render_message("", "{{ 1|money('XYZ') }}", None, context).errors[0]

    assert error.kind == "error"
    assert "unknown currency code 'XYZ'" in error.message


def test_money_not_an_amount_is_error(context: dict) -> None:
    error = render_message("", "{{ 'ten'|money('GBP') }}", None, context).errors[0]

    assert error.kind == "error"
    assert "'ten' is not an amount" in error.message


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_GB", "15 Apr 2026"), ("de_DE", "15.04.2026")],
)
def test_date_formats_per_locale(context: dict, locale: str, expected: str) -> None:
    context["locale"] = locale

    result = render_message("", "{{ document.due_date|date }}", None, context)

    assert result.text_body == expected


def test_date_long_format(context: dict) -> None:
    context["locale"] = "de_DE"

    result = render_message("", "{{ document.due_date|date('long') }}", None, context)

    assert result.text_body == "15. April 2026"


def test_date_accepts_iso_string(context: dict) -> None:
    result = render_message("", "{{ '2026-01-31'|date }}", None, context)

    assert result.text_body == "31 Jan 2026"


def test_date_none_prints_empty(context: dict) -> None:
    context["document"]["due_date"] = None

    result = render_message("", "[{{ document.due_date|date }}]", None, context)

    assert result.text_body == "[]"


def test_number_formats_per_locale(context: dict) -> None:
    context["locale"] = "de_DE"

    result = render_message("", "{{ 1250.5|number }}", None, context)

    assert result.text_body == "1.250,5"


def test_unknown_locale_is_error(context: dict) -> None:
    context["locale"] = "xx_YY"

    error = render_message("", "{{ 1|money('GBP') }}", None, context).errors[0]

    assert error.kind == "error"
    assert "unknown locale 'xx_YY'" in error.message


def test_sample_context_types() -> None:
    context = sample_context(TemplateKind.INVOICE)

    document = context["document"]
    assert isinstance(document["issue_date"], date)
    assert isinstance(document["due_date"], date)
    assert isinstance(document["total"], Decimal)
    assert document["total"] == document["subtotal"] + document["tax"]
    assert document["subtotal"] == sum(line["amount"] for line in document["lines"])


def test_sample_context_company_arguments() -> None:
    context = sample_context(
        TemplateKind.QUOTE, company_name="Acme Corp", company_email="sales@acme.example"
    )

    assert context["company"]["name"] == "Acme Corp"
    assert context["company"]["email"] == "sales@acme.example"


def test_sample_context_default_email_from_name() -> None:
    context = sample_context(TemplateKind.QUOTE, company_name="Acme Corp")

    assert context["company"]["email"] == "accounts@acme-corp.example"


def test_sample_context_currency_from_locale() -> None:
    assert sample_context(TemplateKind.INVOICE)["document"]["currency"] == "GBP"
    german = sample_context(TemplateKind.INVOICE, locale="de_DE")
    assert german["document"]["currency"] == "EUR"
    assert german["locale"] == "de_DE"


def test_sample_context_unknown_locale_raises() -> None:
    with pytest.raises(ValueError, match="unknown locale"):
        sample_context(TemplateKind.INVOICE, locale="zz_QQ")


@pytest.mark.parametrize(
    ("kind", "prefix"),
    [
        (TemplateKind.QUOTE, "QUO-"),
        (TemplateKind.SALES_ORDER, "SO-"),
        (TemplateKind.PROFORMA_INVOICE, "PRO-"),
        (TemplateKind.INVOICE, "INV-"),
        (TemplateKind.CREDIT_NOTE, "CN-"),
        (TemplateKind.PAYMENT_REMINDER, "INV-"),
        (TemplateKind.PAYMENT_RECEIPT, "RCT-"),
        (TemplateKind.DELIVERY_NOTE, "DN-"),
        (TemplateKind.CUSTOMER_STATEMENT, "ST-"),
        (TemplateKind.PURCHASE_ORDER, "PO-"),
        (TemplateKind.REMITTANCE_ADVICE, "RA-"),
    ],
)
def test_sample_number_prefix(kind: TemplateKind, prefix: str) -> None:
    assert sample_context(kind)["document"]["number"].startswith(prefix)


def test_sample_reminder_is_overdue() -> None:
    document = sample_context(TemplateKind.PAYMENT_REMINDER)["document"]

    assert document["days_overdue"] == 14
    assert document["balance_due"] > 0


def test_sample_purchase_counterparty_is_supplier() -> None:
    purchase = sample_context(TemplateKind.PURCHASE_ORDER)["counterparty"]
    sale = sample_context(TemplateKind.INVOICE)["counterparty"]

    assert purchase["name"] == "Kestrel Packaging Co."
    assert sale["name"] == "Bluebell Garden Supplies Ltd"


def test_sample_statement_balances() -> None:
    document = sample_context(TemplateKind.CUSTOMER_STATEMENT)["document"]

    assert (
        document["closing_balance"] == document["opening_balance"] + document["total"]
    )
    assert document["balance_due"] == document["closing_balance"]


def _leaf_paths(value: object, path: str = "") -> set[str]:
    """Return the dotted path of every value in a context, lists included."""
    if isinstance(value, dict):
        paths: set[str] = set()
        for key, child in value.items():
            paths |= _leaf_paths(child, f"{path}.{key}" if path else key)
        return paths
    if isinstance(value, list):
        paths = {path}
        for item in value:
            paths |= _leaf_paths(item, f"{path}[]")
        return paths
    return {path}


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_variables_for_matches_sample(kind: TemplateKind) -> None:
    names = [variable.name for variable in variables_for(kind)]

    assert set(names) == _leaf_paths(sample_context(kind))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_variables_for_described(kind: TemplateKind) -> None:
    for variable in variables_for(kind):
        assert variable.type
        assert variable.description


def test_variables_for_kind_extras() -> None:
    reminder = {
        variable.name for variable in variables_for(TemplateKind.PAYMENT_REMINDER)
    }
    invoice = {variable.name for variable in variables_for(TemplateKind.INVOICE)}

    assert "document.days_overdue" in reminder
    assert "document.days_overdue" not in invoice


def test_variable_as_dict() -> None:
    number = next(
        variable
        for variable in variables_for(TemplateKind.INVOICE)
        if variable.name == "document.number"
    )

    assert number == Variable(
        name="document.number",
        type="str",
        sample="INV-2026-0042",
        description="Document number.",
    )
    assert number.as_dict() == {
        "name": "document.number",
        "type": "str",
        "sample": "INV-2026-0042",
        "description": "Document number.",
    }


def test_variables_sample_text() -> None:
    samples = {
        variable.name: variable.sample
        for variable in variables_for(TemplateKind.INVOICE)
    }

    assert samples["document.issue_date"] == "2026-03-16"
    assert samples["document.total"] == "1633.20"
    assert samples["document.lines"] == "3 items"


@pytest.mark.parametrize("kind", list(TemplateKind))
def test_every_variable_renders(kind: TemplateKind) -> None:
    names = [
        variable.name for variable in variables_for(kind) if "[]" not in variable.name
    ]
    body = "\n".join("{{ " + name + " }}" for name in names)

    result = render_message("", body, None, sample_context(kind))

    assert result.ok, result.errors


def test_compiled_template_cached() -> None:
    clear_cache()

    first = get_template("Hello {{ user.name }}", False)
    second = get_template("Hello {{ user.name }}", False)
    html = get_template("Hello {{ user.name }}", True)

    assert first is second
    assert html is not first


def test_render_result_ok_property() -> None:
    failed = RenderResult(
        None, None, None, (RenderError("subject", "error", "x", None),)
    )

    assert RenderResult("s", "t", None, ()).ok
    assert not failed.ok
