"""The default template of each kind, which every new tenant starts with.

The templates use the variables of `store.render.context` and the `money`
and `date` filters. Block tags sit on lines of their own: the environment
trims the newline after a tag, so they leave no blank lines behind.
"""

from dataclasses import dataclass

from store.kinds import TemplateKind


@dataclass(frozen=True)
class DefaultTemplate:
    """The subject and plain-text body a new template of one kind starts with."""

    subject: str
    text_body: str


_GREETING = "Dear {{ counterparty.contact_name or counterparty.name }},\n"

_SIGNATURE = """
Kind regards,

{{ user.name }}
{{ company.name }}
{{ company.phone }} | {{ company.email }}
{{ company.website }}
"""

_LINES = (
    "\n{% for line in document.lines %}\n"
    "- {{ line.description }}: {{ line.quantity|number }} x "
    "{{ line.unit_price|money }} = {{ line.amount|money }}\n"
    "{% endfor %}\n"
)

_TOTALS = """
Subtotal: {{ document.subtotal|money }}
Tax:      {{ document.tax|money }}
Total:    {{ document.total|money }}
"""

_QUOTE = (
    _GREETING
    + """
Thank you for your enquiry. Please find attached our quote {{ document.number }}, \
dated {{ document.issue_date|date }}, for {{ document.total|money }}.
"""
    + _LINES
    + _TOTALS
    + """
This quote is valid until {{ document.valid_until|date }}. To accept it, reply \
to this email quoting {{ document.number }} and we will confirm your order.
"""
    + _SIGNATURE
)

_SALES_ORDER = (
    _GREETING
    + """
Thank you for your order. This email confirms sales order {{ document.number }} \
for {{ document.total|money }}, placed under your reference {{ document.reference }}.
"""
    + _LINES
    + _TOTALS
    + """
We expect to deliver on {{ document.delivery_date|date }} and will let you know \
if that changes. The full order confirmation is attached.
"""
    + _SIGNATURE
)

_PROFORMA_INVOICE = (
    _GREETING
    + """
Please find attached proforma invoice {{ document.number }} for \
{{ document.total|money }}. We will dispatch your order once payment is received.
"""
    + _TOTALS
    + """
Please pay by {{ document.due_date|date }}, quoting {{ document.number }}.
{% if document.payment_link %}
You can pay online at {{ document.payment_link }}
{% endif %}
"""
    + _SIGNATURE
)

_INVOICE = (
    _GREETING
    + """
Please find attached invoice {{ document.number }}, dated \
{{ document.issue_date|date }}, for {{ document.total|money }}.

Amount due: {{ document.balance_due|money }}
Due date:   {{ document.due_date|date }}
Your reference: {{ document.reference }}
{% if document.payment_link %}

You can pay online at {{ document.payment_link }}
{% endif %}

If you have any questions about this invoice, just reply to this email.
"""
    + _SIGNATURE
)

_CREDIT_NOTE = (
    _GREETING
    + """
Please find attached credit note {{ document.number }} for \
{{ document.total|money }}, against invoice {{ document.invoice_number }}.

Reason: {{ document.reason }}

The credit will be applied to your account, and we will refund or offset it \
as agreed.
"""
    + _SIGNATURE
)

_PAYMENT_REMINDER = (
    _GREETING
    + """
Our records show that invoice {{ document.number }}, dated \
{{ document.issue_date|date }}, is now {{ document.days_overdue }} days overdue. \
It was due on {{ document.due_date|date }}.

Amount outstanding: {{ document.balance_due|money }}
{% if document.payment_link %}

You can pay online at {{ document.payment_link }}
{% endif %}

If you have already paid, please accept our thanks and disregard this \
reminder. If there is a problem with the invoice, reply to this email and we \
will sort it out.
"""
    + _SIGNATURE
)

_PAYMENT_RECEIPT = (
    _GREETING
    + """
Thank you for your payment of {{ document.amount_paid|money }}, received on \
{{ document.payment_date|date }} by {{ document.payment_method|lower }}, for \
invoice {{ document.invoice_number }}.

Receipt number: {{ document.number }}
Balance remaining: {{ document.balance_due|money }}

Your receipt is attached for your records.
"""
    + _SIGNATURE
)

_DELIVERY_NOTE = (
    _GREETING
    + """
Your order {{ document.order_number }} is on its way. Delivery note \
{{ document.number }} is attached, and the goods are due to arrive on \
{{ document.delivery_date|date }}.

Tracking number: {{ document.tracking_number }}

Items in this delivery:
{% for line in document.lines %}
- {{ line.quantity|number }} x {{ line.description }}
{% endfor %}

Please check the goods on arrival and let us know within 5 working days if \
anything is missing or damaged.
"""
    + _SIGNATURE
)

_CUSTOMER_STATEMENT = (
    _GREETING
    + """
Please find attached your statement of account for \
{{ document.period_start|date }} to {{ document.period_end|date }}.

Opening balance: {{ document.opening_balance|money }}
{% for line in document.lines %}
- {{ line.description }}: {{ line.amount|money }}
{% endfor %}
Closing balance: {{ document.closing_balance|money }}

Please pay the balance of {{ document.balance_due|money }} by \
{{ document.due_date|date }}.
{% if document.payment_link %}
You can pay online at {{ document.payment_link }}
{% endif %}

If anything on this statement does not match your records, reply to this \
email and we will look into it.
"""
    + _SIGNATURE
)

_PURCHASE_ORDER = (
    _GREETING
    + """
Please find attached purchase order {{ document.number }} for \
{{ document.total|money }}, based on your quote {{ document.reference }}.
"""
    + _LINES
    + _TOTALS
    + """
Please deliver by {{ document.delivery_date|date }} to:
{{ document.delivery_address }}

Quote {{ document.number }} on your delivery note and invoice, and reply to \
confirm that you can meet the delivery date.
"""
    + _SIGNATURE
)

_REMITTANCE_ADVICE = (
    _GREETING
    + """
We have paid {{ document.amount_paid|money }} by \
{{ document.payment_method|lower }} on {{ document.payment_date|date }}. \
The payment covers:
{% for line in document.lines %}
- {{ line.description }}: {{ line.amount|money }}
{% endfor %}

Our remittance reference is {{ document.number }}. The remittance advice is \
attached for your records.
"""
    + _SIGNATURE
)

DEFAULT_TEMPLATES: dict[TemplateKind, DefaultTemplate] = {
    TemplateKind.QUOTE: DefaultTemplate(
        "Quote {{ document.number }} from {{ company.name }}", _QUOTE
    ),
    TemplateKind.SALES_ORDER: DefaultTemplate(
        "Order confirmation {{ document.number }} from {{ company.name }}",
        _SALES_ORDER,
    ),
    TemplateKind.PROFORMA_INVOICE: DefaultTemplate(
        "Proforma invoice {{ document.number }} from {{ company.name }}",
        _PROFORMA_INVOICE,
    ),
    TemplateKind.INVOICE: DefaultTemplate(
        "Invoice {{ document.number }} from {{ company.name }}", _INVOICE
    ),
    TemplateKind.CREDIT_NOTE: DefaultTemplate(
        "Credit note {{ document.number }} from {{ company.name }}", _CREDIT_NOTE
    ),
    TemplateKind.PAYMENT_REMINDER: DefaultTemplate(
        "Payment reminder: invoice {{ document.number }} is overdue",
        _PAYMENT_REMINDER,
    ),
    TemplateKind.PAYMENT_RECEIPT: DefaultTemplate(
        "Payment received for invoice {{ document.invoice_number }}, thank you",
        _PAYMENT_RECEIPT,
    ),
    TemplateKind.DELIVERY_NOTE: DefaultTemplate(
        "Your order {{ document.order_number }} is on its way", _DELIVERY_NOTE
    ),
    TemplateKind.CUSTOMER_STATEMENT: DefaultTemplate(
        "Statement of account from {{ company.name }}", _CUSTOMER_STATEMENT
    ),
    TemplateKind.PURCHASE_ORDER: DefaultTemplate(
        "Purchase order {{ document.number }} from {{ company.name }}",
        _PURCHASE_ORDER,
    ),
    TemplateKind.REMITTANCE_ADVICE: DefaultTemplate(
        "Remittance advice {{ document.number }} from {{ company.name }}",
        _REMITTANCE_ADVICE,
    ),
}
