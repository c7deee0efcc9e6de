"""What the sender screen's copy keys put on the clipboard, and their notices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from store.dns.txt import quote_txt

if TYPE_CHECKING:
    from store.sender.records import RecordSpec


@dataclass(frozen=True)
class Clip:
    """The text to copy, or None when there is nothing, and the sentence to show."""

    text: str | None
    message: str


def name_clip(spec: RecordSpec, domain: str | None) -> Clip:
    """Copy the record's absolute name, naming the label some DNS hosts want."""
    hint = ""
    if spec.label != "@" and domain:
        hint = f" At a DNS host that adds {domain} itself, enter {spec.label}."
    return Clip(spec.name, f"Copied the name {spec.name}.{hint}")


def value_clip(spec: RecordSpec) -> Clip:
    """Copy the record's value whole, as one string."""
    if not spec.value:
        return Clip(None, f"{spec.title} needs no value, so nothing was copied.")
    return Clip(
        spec.value,
        f"Copied the {spec.title} value for {spec.rtype} {spec.name} "
        f"({len(spec.value)} characters).",
    )


def strings_clip(spec: RecordSpec) -> Clip:
    """Copy a TXT value as quoted strings of at most 255 characters."""
    if spec.rtype != "TXT" or not spec.value:
        return Clip(
            None,
            f"{spec.title} is not a TXT record with a value, so nothing was "
            "copied; y copies its value.",
        )
    count = len(spec.strings)
    return Clip(
        quote_txt(spec.strings),
        f"Copied the {spec.title} value as {count} quoted TXT "
        f"string{'s' if count != 1 else ''}.",
    )
