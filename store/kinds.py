"""Template kinds: the document types a tenant sends, and their groups."""

from enum import StrEnum


class Group(StrEnum):
    """The side of the business a document belongs to."""

    SALES = "sales"
    PURCHASES = "purchases"


class TemplateKind(StrEnum):
    """A document type; every tenant has one template of each."""

    QUOTE = "quote"
    SALES_ORDER = "sales_order"
    PROFORMA_INVOICE = "proforma_invoice"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT_REMINDER = "payment_reminder"
    PAYMENT_RECEIPT = "payment_receipt"
    DELIVERY_NOTE = "delivery_note"
    CUSTOMER_STATEMENT = "customer_statement"
    PURCHASE_ORDER = "purchase_order"
    REMITTANCE_ADVICE = "remittance_advice"

    @property
    def group(self) -> Group:
        """The group this kind is listed under."""
        if self in PURCHASE_KINDS:
            return Group.PURCHASES
        return Group.SALES

    @property
    def label(self) -> str:
        """The kind as people write it, such as "Payment reminder"."""
        return self.value.replace("_", " ").capitalize()


PURCHASE_KINDS = frozenset(
    {TemplateKind.PURCHASE_ORDER, TemplateKind.REMITTANCE_ADVICE}
)


def kinds_in(group: Group) -> list[TemplateKind]:
    """Return the kinds of one group, in display order."""
    return [kind for kind in TemplateKind if kind.group is group]


def parse_kind(text: str) -> TemplateKind:
    """Return the kind named by `text`, accepting dashes and any letter case."""
    name = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return TemplateKind(name)
    except ValueError:
        known = ", ".join(kind.value for kind in TemplateKind)
        raise ValueError(
            f"unknown template kind {text!r}; expected one of: {known}"
        ) from None
