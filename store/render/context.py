"""The render context: sample data per template kind, and the variables it offers.

A context has four objects and the locale:

- `company`: the tenant sending the message;
- `counterparty`: the customer, or the supplier for purchase kinds;
- `document`: the document the message is about, with its lines and amounts;
- `user`: the person sending it;
- `locale`: the locale the `money`, `date` and `number` filters format in.

Amounts are `Decimal` and dates are `datetime.date`. The sample data is fixed
(the same dates every day) so that previews and tests do not change.
"""

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from babel.numbers import get_territory_currencies

from store.kinds import Group, TemplateKind
from store.render.filters import parse_locale


@dataclass(frozen=True)
class Variable:
    """One variable a template can use, as a dotted path such as `document.number`.

    Items of a list are written with `[]`: `document.lines[].amount` is the
    `amount` of each line.
    """

    name: str
    type: str
    sample: str
    description: str

    def as_dict(self) -> dict[str, str]:
        """Return the variable as a dict of strings, for JSON output."""
        return asdict(self)


# The currency of the sample data when the locale names no territory.
DEFAULT_CURRENCY = "EUR"

# Value added tax on the sample lines, as in the United Kingdom.
_SAMPLE_TAX_RATE = Decimal("0.20")

_ISSUE_DATE = date(2026, 3, 16)
_PAYMENT_TERMS = timedelta(days=30)

_NUMBER_PREFIXES = {
    TemplateKind.QUOTE: "QUO",
    TemplateKind.SALES_ORDER: "SO",
    TemplateKind.PROFORMA_INVOICE: "PRO",
    TemplateKind.INVOICE: "INV",
    TemplateKind.CREDIT_NOTE: "CN",
    # A reminder is about an unpaid invoice, so it carries the invoice number.
    TemplateKind.PAYMENT_REMINDER: "INV",
    TemplateKind.PAYMENT_RECEIPT: "RCT",
    TemplateKind.DELIVERY_NOTE: "DN",
    TemplateKind.CUSTOMER_STATEMENT: "ST",
    TemplateKind.PURCHASE_ORDER: "PO",
    TemplateKind.REMITTANCE_ADVICE: "RA",
}

# Kinds that ask for a payment, so they have a due date and a payment link.
_PAYABLE_KINDS = frozenset(
    {
        TemplateKind.PROFORMA_INVOICE,
        TemplateKind.INVOICE,
        TemplateKind.PAYMENT_REMINDER,
        TemplateKind.CUSTOMER_STATEMENT,
    }
)

# (description, quantity, unit price) of the sample lines.
_SALES_LINES = [
    ("Oak garden bench, 1.8 m", "4", "189.00"),
    ("Galvanised planter, large", "12", "42.50"),
    ("Delivery and installation", "1", "95.00"),
]
_PURCHASE_LINES = [
    ("Corrugated shipping boxes, 600 x 400 x 400 mm", "500", "1.18"),
    ("Recycled void-fill paper, 5 kg roll", "20", "14.90"),
    ("Pallet delivery", "1", "65.00"),
]
_CREDIT_LINES = [
    ("Return: galvanised planter, large (damaged in transit)", "2", "42.50"),
]
_STATEMENT_LINES = [
    ("Invoice INV-2026-0027", "1", "1633.20"),
    ("Payment received, thank you", "1", "-1633.20"),
    ("Invoice INV-2026-0031", "1", "842.40"),
    ("Credit note CN-2026-0006", "1", "-120.00"),
]
_REMITTANCE_LINES = [
    ("Invoice KP-7781", "1", "1143.60"),
    ("Invoice KP-7802", "1", "402.00"),
]

_CUSTOMER = {
    "name": "Bluebell Garden Supplies Ltd",
    "contact_name": "Priya Shah",
    "email": "priya.shah@bluebell-garden.example",
}
_SUPPLIER = {
    "name": "Kestrel Packaging Co.",
    "contact_name": "Tom Avery",
    "email": "orders@kestrel-packaging.example",
}

# Type and description of every variable, by path. `variables_for` takes
# the paths from the sample data, so each path there needs an entry here.
_VARIABLES: dict[str, tuple[str, str]] = {
    "locale": ("str", "Locale the money, date and number filters use, e.g. en_GB."),
    "company.name": ("str", "Name of the company sending the message."),
    "company.email": ("str", "Company's contact email address."),
    "company.phone": ("str", "Company's phone number."),
    "company.address": ("str", "Company's postal address on one line."),
    "company.website": ("str", "Company's website URL."),
    "company.vat_number": ("str", "Company's VAT registration number."),
    "counterparty.name": ("str", "Name of the customer, or supplier for purchases."),
    "counterparty.contact_name": ("str", "Person the message is addressed to."),
    "counterparty.email": ("str", "Counterparty's email address."),
    "document.type": ("str", "Document type as people write it, e.g. Invoice."),
    "document.number": ("str", "Document number."),
    "document.issue_date": ("date", "Date the document was issued."),
    "document.due_date": ("date | None", "Date payment is due; None if not payable."),
    "document.lines": ("list", "Line items; loop over them with {% for %}."),
    "document.lines[].description": ("str", "What the line is for."),
    "document.lines[].quantity": ("Decimal", "Quantity of the line."),
    "document.lines[].unit_price": ("Decimal", "Price of one unit, before tax."),
    "document.lines[].amount": ("Decimal", "Quantity times unit price, before tax."),
    "document.subtotal": ("Decimal", "Total of the lines before tax."),
    "document.tax": ("Decimal", "Tax on the subtotal."),
    "document.total": ("Decimal", "Subtotal plus tax."),
    "document.currency": ("str", "ISO 4217 currency code of the amounts, e.g. GBP."),
    "document.balance_due": ("Decimal", "Amount still to pay; 0 if nothing is due."),
    "document.payment_link": ("str | None", "URL to pay online; None if not payable."),
    "document.reference": ("str", "The counterparty's own reference, e.g. their PO."),
    "document.valid_until": ("date", "Last date the quote can be accepted."),
    "document.delivery_date": ("date", "Date the goods are delivered or expected."),
    "document.invoice_number": ("str", "Number of the invoice this document is about."),
    "document.reason": ("str", "Why the credit note was issued."),
    "document.days_overdue": ("int", "Days since the due date."),
    "document.amount_paid": ("Decimal", "Amount of the payment."),
    "document.payment_date": ("date", "Date the payment was made or received."),
    "document.payment_method": ("str", "How the payment was made, e.g. Bank transfer."),
    "document.order_number": ("str", "Number of the sales order being delivered."),
    "document.tracking_number": ("str", "Carrier's tracking number."),
    "document.period_start": ("date", "First day the statement covers."),
    "document.period_end": ("date", "Last day the statement covers."),
    "document.opening_balance": ("Decimal", "Balance owed at the start of the period."),
    "document.closing_balance": ("Decimal", "Balance owed at the end of the period."),
    "document.delivery_address": ("str", "Where the supplier delivers the goods."),
    "user.name": ("str", "Name of the person sending the message."),
    "user.email": ("str", "Email address of the person sending the message."),
}


def sample_context(
    kind: TemplateKind,
    company_name: str = "Northwind Trading Ltd",
    company_email: str | None = None,
    locale: str = "en_GB",
) -> dict[str, Any]:
    """Return realistic sample data for a template of `kind`.

    The company's email defaults to an address derived from its name. The
    currency is that of the locale's territory (GBP for en_GB, EUR for
    de_DE). Raises ValueError for an unknown locale.
    """
    parsed_locale = parse_locale(locale)
    slug = _slug(company_name)
    domain = f"{slug}.example"
    company = {
        "name": company_name,
        "email": company_email or f"accounts@{domain}",
        "phone": "+44 20 7946 0958",
        "address": "12 Harbour Street, Bristol BS1 4RN, United Kingdom",
        "website": f"https://www.{domain}",
        "vat_number": "GB 123 4567 89",
    }
    counterparty = _SUPPLIER if kind.group is Group.PURCHASES else _CUSTOMER
    return {
        "locale": str(parsed_locale),
        "company": company,
        "counterparty": dict(counterparty),
        "document": _document(kind, _currency(parsed_locale), slug, company),
        "user": {"name": "Hannah Clarke", "email": f"hannah.clarke@{domain}"},
    }


def variables_for(kind: TemplateKind) -> list[Variable]:
    """Return every variable the context of `kind` has, in context order."""
    variables: list[Variable] = []
    _flatten(sample_context(kind), "", variables)
    return variables


def _flatten(value: Any, path: str, variables: list[Variable]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _flatten(child, f"{path}.{key}" if path else key, variables)
        return
    type_name, description = _VARIABLES[path]
    variables.append(Variable(path, type_name, _sample_text(value), description))
    if isinstance(value, list) and value:
        for key, child in value[0].items():
            _flatten(child, f"{path}[].{key}", variables)


def _sample_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return f"{len(value)} items"
    return str(value)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "company"


def _currency(locale: Any) -> str:
    if locale.territory:
        currencies = get_territory_currencies(locale.territory)
        if currencies:
            return str(currencies[0])
    return DEFAULT_CURRENCY


def _lines(rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    lines = []
    for description, quantity, unit_price in rows:
        amount = Decimal(quantity) * Decimal(unit_price)
        lines.append(
            {
                "description": description,
                "quantity": Decimal(quantity),
                "unit_price": Decimal(unit_price),
                "amount": amount.quantize(Decimal("0.01")),
            }
        )
    return lines


def _document(
    kind: TemplateKind, currency: str, slug: str, company: dict[str, str]
) -> dict[str, Any]:
    prefix = _NUMBER_PREFIXES[kind]
    number = f"{prefix}-2026-0042"
    issue_date = _ISSUE_DATE
    rows = _SALES_LINES
    taxed = True
    if kind.group is Group.PURCHASES:
        rows = _PURCHASE_LINES
    if kind is TemplateKind.CREDIT_NOTE:
        rows = _CREDIT_LINES
    elif kind is TemplateKind.CUSTOMER_STATEMENT:
        rows, taxed, number = _STATEMENT_LINES, False, "ST-2026-02"
        issue_date = date(2026, 3, 1)
    elif kind is TemplateKind.REMITTANCE_ADVICE:
        rows, taxed = _REMITTANCE_LINES, False
    elif kind is TemplateKind.PAYMENT_REMINDER:
        number, issue_date = "INV-2026-0031", date(2026, 2, 2)

    lines = _lines(rows)
    subtotal = sum((line["amount"] for line in lines), Decimal("0.00"))
    tax = (
        (subtotal * _SAMPLE_TAX_RATE).quantize(Decimal("0.01"))
        if taxed
        else Decimal("0.00")
    )
    total = subtotal + tax
    payable = kind in _PAYABLE_KINDS

    document: dict[str, Any] = {
        "type": kind.label,
        "number": number,
        "issue_date": issue_date,
        "due_date": issue_date + _PAYMENT_TERMS if payable else None,
        "lines": lines,
        "subtotal": subtotal,
        "tax": tax,
        "total": total,
        "currency": currency,
        "balance_due": total if payable else Decimal("0.00"),
        "payment_link": f"https://pay.platform.example/{slug}/{number}"
        if payable
        else None,
        "reference": "KP-Q-1190" if kind.group is Group.PURCHASES else "PO BGS-5521",
    }
    document.update(_extras(kind, document, company))
    if kind is TemplateKind.CUSTOMER_STATEMENT:
        document["balance_due"] = document["closing_balance"]
    return document


def _extras(
    kind: TemplateKind, document: dict[str, Any], company: dict[str, str]
) -> dict[str, Any]:
    """Return the variables only `kind` has, such as `days_overdue`."""
    issue_date: date = document["issue_date"]
    if kind is TemplateKind.QUOTE:
        return {"valid_until": issue_date + timedelta(days=30)}

    if kind is TemplateKind.SALES_ORDER:
        return {"delivery_date": issue_date + timedelta(days=10)}

    if kind is TemplateKind.CREDIT_NOTE:
        return {
            "invoice_number": "INV-2026-0042",
            "reason": "Two planters were damaged in transit",
        }

    if kind is TemplateKind.PAYMENT_REMINDER:
        return {"days_overdue": 14}

    if kind is TemplateKind.PAYMENT_RECEIPT:
        return {
            "amount_paid": document["total"],
            "payment_date": issue_date - timedelta(days=1),
            "payment_method": "Bank transfer",
            "invoice_number": "INV-2026-0042",
        }

    if kind is TemplateKind.DELIVERY_NOTE:
        return {
            "delivery_date": issue_date + timedelta(days=2),
            "order_number": "SO-2026-0042",
            "tracking_number": "JD014600004471229",
        }

    if kind is TemplateKind.CUSTOMER_STATEMENT:
        opening = Decimal("350.00")
        return {
            "period_start": date(2026, 2, 1),
            "period_end": date(2026, 2, 28),
            "opening_balance": opening,
            "closing_balance": opening + document["total"],
        }

    if kind is TemplateKind.PURCHASE_ORDER:
        return {
            "delivery_date": issue_date + timedelta(days=7),
            "delivery_address": company["address"],
        }

    if kind is TemplateKind.REMITTANCE_ADVICE:
        return {
            "amount_paid": document["total"],
            "payment_date": issue_date,
            "payment_method": "Bank transfer",
        }

    return {}
