"""The records to publish, written as a zone-file snippet, CSV or JSON."""

import csv
import io
import json

from store.dns.txt import quote_txt
from store.sender.records import SPF, RecordSpec

# TTL written into the zone-file snippet; an hour is a common DNS host default.
SNIPPET_TTL = 3600


def zone_snippet(records: list[RecordSpec], ttl: int = SNIPPET_TTL) -> str:
    """Write the records as lines to paste into a zone file (RFC 1035 syntax)."""
    lines = ["; DNS records for a custom From address, issued by Mailroom"]
    for record in records:
        if record.purpose == SPF:
            lines.append(
                f'; {record.name}. TXT "v=spf1 ...": no SPF record is required; '
                "an existing one is checked"
            )
            continue
        lines.append(f"{record.name}. {ttl} IN {record.rtype} {_zone_value(record)}")
    return "\n".join(lines) + "\n"


def _zone_value(record: RecordSpec) -> str:
    if record.rtype != "TXT":
        return record.value
    if len(record.strings) == 1:
        return quote_txt(record.strings)
    # Parentheses let one record span lines (RFC 1035 section 5.1).
    inner = "\n    ".join(quote_txt([text]) for text in record.strings)
    return f"(\n    {inner} )"


def records_csv(records: list[RecordSpec]) -> str:
    """Write the records as CSV, one row each, TXT strings in a column of their own."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(
        ["purpose", "type", "name", "label", "value", "txt_strings", "required"]
    )
    for record in records:
        writer.writerow(
            [
                record.purpose,
                record.rtype,
                record.name,
                record.label,
                record.value,
                quote_txt(record.strings) if record.strings else "",
                "yes" if record.required else "no",
            ]
        )
    return output.getvalue()


def records_json(records: list[RecordSpec]) -> str:
    """Write the records as a JSON array."""
    return json.dumps([record.as_dict() for record in records], indent=2)
