"""Tag lists: the `tag=value; tag=value` syntax of DKIM keys and DMARC records.

The grammar is RFC 6376 section 3.2: tag names are a letter followed by
letters, digits or underscores, whitespace around tags and values is
ignored, a trailing semicolon is allowed, and a tag may appear only once.
"""

import re

TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class RecordSyntaxError(ValueError):
    """A DNS record whose text breaks its syntax; the message names the problem."""


def parse_tag_list(text: str) -> dict[str, str]:
    """Parse `text` into an ordered mapping of tag name to value."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, separator, value = part.partition("=")
        name = name.strip()
        if not separator:
            raise RecordSyntaxError(f"{part.strip()!r} is not a tag=value pair")
        if not TAG_NAME.fullmatch(name):
            raise RecordSyntaxError(f"{name!r} is not a valid tag name")
        if name in tags:
            raise RecordSyntaxError(f"tag {name} appears more than once")
        tags[name] = value.strip()
    return tags
