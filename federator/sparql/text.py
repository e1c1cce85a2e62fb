"""The lexical surface of a query: bare words, literals masked, and whether it is plainly written.

This is a quick sieve, not a reading: it only ever says "maybe" (a query that may be worth
planning) or "plainly written" (no backslash anywhere, no carriage return outside CRLF: the
texts on which rdflib and Oxigraph read comments, escapes and strings alike). What a query
means is decided by Oxigraph (``reading``) and, for texts that are plainly written, by rdflib's
parse checked against it (``plan``).
"""

from __future__ import annotations

import re

# Lexical pieces of SPARQL that may contain anything: strings, IRIs, comments. A quote or a
# hash after a backslash is an escape in a local name (ex:a\#b) and starts neither.
_SKIP = re.compile(
    r'(?<!\\)"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|(?<!\\)'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|(?<!\\)"(?:[^"\\\n]|\\.)*"'
    r"|(?<!\\)'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|(?<!\\)#[^\n]*",
    re.S,
)
_WORD = re.compile(r"(?<![?$:\w])[A-Za-z_]\w*(?![\w:])")
_LONE_CR = re.compile(r"\r(?!\n)")


def keywords(sparql: str) -> list[str]:
    """The bare words of a query outside strings, IRIs and comments, upper-cased."""
    return [m.group(0).upper() for m in _WORD.finditer(_SKIP.sub(" ", sparql))]


def masked(sparql: str) -> str:
    """The query with every string, IRI and comment blanked out, each character's place kept."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), sparql)


def plainly_written(sparql: str) -> bool:
    """No backslash anywhere and no carriage return outside CRLF.

    SPARQL ends a comment at CR or LF (rdflib only at LF), and rdflib expands ``\\u`` escapes
    everywhere before parsing where Oxigraph reads them only inside strings and IRIs: without
    either, the two read a query's comments, strings and names alike.
    """
    return "\\" not in sparql and _LONE_CR.search(sparql) is None


def lone_crs_as_lf(sparql: str) -> str:
    """The text with every carriage return outside CRLF made a line feed (what ends a comment)."""
    return _LONE_CR.sub("\n", sparql)
