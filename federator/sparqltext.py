"""The lexical surface of a SPARQL query: its bare words, and its text with literals masked.

Enough to tell an update from a query, or to find a query's braces, without parsing it: the
pieces that may contain anything (strings, IRIs, comments) are set aside first.
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


def keywords(sparql: str) -> list[str]:
    """The bare words of a query outside strings, IRIs and comments, upper-cased."""
    return [m.group(0).upper() for m in _WORD.finditer(_SKIP.sub(" ", sparql))]


def masked(sparql: str) -> str:
    """The query with every string, IRI and comment blanked out, each character's place kept."""
    return _SKIP.sub(lambda m: " " * len(m.group(0)), sparql)
