"""TXT character-strings: splitting long values and writing them quoted.

One TXT string contains at most 255 bytes (RFC 1035 section 3.3), so a longer
value such as a 2048-bit DKIM key is published as several strings in one
record; a reader joins them with no separator (RFC 7208 section 3.3,
RFC 6376 section 3.6.2.2).
"""

MAX_STRING_LENGTH = 255


def split_txt(value: str, size: int = MAX_STRING_LENGTH) -> tuple[str, ...]:
    """Split an ASCII value into strings of at most `size` characters."""
    if not value:
        return ("",)
    return tuple(value[start : start + size] for start in range(0, len(value), size))


def quote_txt(strings: tuple[str, ...] | list[str]) -> str:
    """Write TXT strings the way zone files and DNS hosts show them."""
    return " ".join('"' + _escape(text) + '"' for text in strings)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
