"""SPF records (RFC 7208): finding, parsing and counting DNS lookups.

Mailroom needs no SPF record at the apex of a custom domain, because its
mail uses the bounce subdomain as envelope sender. An existing record is
still checked, since a broken one hurts the company's other mail.
"""

import re
from dataclasses import dataclass

from store.dns.tags import RecordSyntaxError

SPF_START = re.compile(r"^v=spf1(\s|$)", re.IGNORECASE)
QUALIFIERS = "+-~?"
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
# Terms that cost a DNS lookup (RFC 7208 section 4.6.4), with "redirect".
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
MAX_LOOKUPS = 10
MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$")


@dataclass(frozen=True)
class SpfTerm:
    """One mechanism or modifier: `~all`, `include:_spf.example.com`, `redirect=x`."""

    qualifier: str
    name: str
    argument: str
    is_modifier: bool = False


@dataclass(frozen=True)
class SpfRecord:
    """A parsed SPF record."""

    terms: tuple[SpfTerm, ...]

    @property
    def all_qualifier(self) -> str | None:
        """The qualifier of the `all` mechanism, or None when there is none."""
        for term in self.terms:
            if term.name == "all" and not term.is_modifier:
                return term.qualifier
        return None

    @property
    def redirect(self) -> str | None:
        """The domain of the `redirect=` modifier, if any."""
        for term in self.terms:
            if term.is_modifier and term.name == "redirect":
                return term.argument
        return None

    def lookup_count(self) -> int:
        """Return the DNS lookups this record itself costs, without its includes."""
        return sum(1 for term in self._evaluated_terms() if term.name in LOOKUP_TERMS)

    def nested_domains(self) -> tuple[str, ...]:
        """Return the domains of `include:` and `redirect=`, whose records count too.

        Domains built from macros (`%{i}`) depend on the message and are skipped.
        """
        return tuple(
            term.argument
            for term in self._evaluated_terms()
            if term.name in ("include", "redirect") and "%" not in term.argument
        )

    def _evaluated_terms(self) -> tuple[SpfTerm, ...]:
        # A redirect= is ignored when the record has an "all" mechanism
        # (RFC 7208 section 6.1).
        if self.all_qualifier is None:
            return self.terms
        return tuple(term for term in self.terms if term.name != "redirect")


def is_spf_record(text: str) -> bool:
    """Return whether a TXT value is an SPF record."""
    return bool(SPF_START.match(text.strip()))


def parse_spf(text: str) -> SpfRecord:
    """Parse an SPF record, raising `RecordSyntaxError` with the problem."""
    words = text.split()
    if not words or words[0].lower() != "v=spf1":
        raise RecordSyntaxError("an SPF record starts with v=spf1")
    return SpfRecord(terms=tuple(_parse_term(word) for word in words[1:]))


def _parse_term(word: str) -> SpfTerm:
    modifier = MODIFIER.match(word)
    if modifier:
        return SpfTerm("", modifier.group(1).lower(), modifier.group(2), True)

    qualifier = word[0] if word[0] in QUALIFIERS else "+"
    body = word[1:] if word[0] in QUALIFIERS else word
    name, separator, argument = body.partition(":")
    if not separator:
        # A CIDR length without a domain, as in "a/24" or "mx//64".
        name = body.partition("/")[0]
    name = name.lower()
    if name not in MECHANISMS:
        raise RecordSyntaxError(f"{word!r} is not an SPF mechanism")
    if name in ("include", "exists") and not argument:
        raise RecordSyntaxError(f"{word!r} needs a domain after ':'")
    return SpfTerm(qualifier, name, argument)
