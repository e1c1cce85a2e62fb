"""A mapped record's statements as N-Triples terms: ``<iri>``, ``"text"@nl``, ``"x"^^<dt>``.

The map stage writes each term once, in the text its record body keeps (``terms.iri`` and
``terms.lit``, which check and escape as the store does), instead of building rdflib terms and
writing those out later: rdflib's ``Literal()`` checks and converts its value (4-15 us), and
its terms hash and compare in Python, in every record's dedup and validation. A term's text is
also its identity: two rdflib terms are equal exactly when their N-Triples texts are (lexical
form, language tag in any case, datatype). Callers outside the record work read rdflib terms
back (``rdf``).
"""

from __future__ import annotations

import functools
import re

from rdflib import XSD, BNode, Literal, URIRef
from rdflib.term import Node

from federator import terms

Triple = tuple[str, str, str]  # subject, predicate, object: each an N-Triples term
RdfTriple = tuple[Node, Node, Node]

iri = terms.iri  # ``<value>``, checked as the store checks it (ValueError when it refuses it)

# rdflib's test of a language tag, which ``Literal(text, lang=tag)`` made before: a tag it
# refuses fails the mapping as it did. A tag that only the store refuses fails it now too
# (before, it failed the record body of an accepted record).
_RDFLIB_TAG = re.compile(r"^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$")
_TAGS: set[str] = set()  # the tags seen good: a handful (nl, en, ...)


def tag_of(value: dict[str, object], default: str) -> str:
    """The language tag of a language value (``{"@value": ..., "@language": ...}``) in lower
    case; ``default`` (the record's language) when it has none, or one no RDF text can carry
    (a register's own value: it must not fail every record of its register)."""
    tag = str(value.get("@language") or default).lower()
    try:
        text("", tag)
    except ValueError:
        return default.lower()
    return tag


def text(value: str, lang: str | None) -> str:
    """A text in a language (``Literal(value, lang=lang)``); plain without one."""
    if lang and lang not in _TAGS:
        if not _RDFLIB_TAG.match(lang):
            raise ValueError(f"'{lang}' is not a valid language tag!")
        terms.lit("", lang)  # the store's own test of the tag
        _TAGS.add(lang)
    return terms.lit(value, lang)


# Values that repeat across records (organisation names, concepts' texts) are written once.
# A small cache: it keeps the repeating values, and long unique strings do not pile up in it.
@functools.lru_cache(maxsize=4096)
def plain(value: str) -> str:
    """A plain text (``Literal(value)``)."""
    return terms.lit(value)


@functools.lru_cache(maxsize=4096)
def typed(lexical: str, dtype: str) -> str:
    """A typed XSD value as rdflib writes it (its lexical form, which it may normalise)."""
    return terms.nt_term(Literal(lexical, datatype=XSD[dtype]))


TRUE, FALSE = terms.nt_term(Literal(True)), terms.nt_term(Literal(False))


@functools.lru_cache(maxsize=256)
def _fragment(fragment: str) -> str:
    iri(f"https://x.test/#{fragment}")  # ValueError when it is no fragment an IRI can have
    return f"#{fragment}>"


def node_iri(subject: str, fragment: str) -> str:
    """``<subject#fragment>`` of a subject written by ``iri``. An IRI without a fragment, then
    a fragment the store takes, is one it takes (RFC 3987): only the fragment is checked, once,
    not each record's node IRIs."""
    if "#" in subject:
        return iri(f"{subject[1:-1]}#{fragment}")
    return subject[:-1] + _fragment(fragment)


# -- reading terms back ----------------------------------------------------------------------
_ESCAPED = re.compile(r'\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[btnfr"\'\\])')
_ECHAR = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if code[0] in "uU" else _ECHAR[code]


def lexical(term: str) -> str:
    """The text of a term (``str()`` of the rdflib term): a literal's lexical form, an IRI;
    "" for a blank node. (A lone surrogate, which no record read from a register holds, was
    written as U+FFFD and reads back as that.)"""
    if term[0] == "<":
        return term[1:-1]
    if term[0] != '"':
        return ""
    value = term[1 : term.rindex('"')]
    return _ESCAPED.sub(_unescape, value) if "\\" in value else value


def length(term: str) -> int:
    """``len()`` of the rdflib term: of a literal's lexical form, or of an IRI."""
    if term[0] == "<":
        return len(term) - 2
    end = term.rindex('"')
    return end - 1 if term.find("\\", 0, end) < 0 else len(lexical(term))


def language(term: str) -> str | None:
    """A literal's language tag (lower case, as written), else None."""
    if term[0] != '"' or term[-1] == '"':
        return None
    rest = term[term.rindex('"') + 1 :]
    return rest[1:] if rest[0] == "@" else None


def rdf(term: str) -> Node:
    """The rdflib term that an N-Triples term writes."""
    if term[0] == "<":
        return URIRef(term[1:-1])
    if term.startswith("_:"):
        return BNode(term[2:])
    value, rest = lexical(term), term[term.rindex('"') + 1 :]
    if rest.startswith("@"):
        return Literal(value, lang=rest[1:])
    if rest.startswith("^^"):
        return Literal(value, datatype=URIRef(rest[3:-1]))
    return Literal(value)


def rdf_triple(triple: Triple) -> RdfTriple:
    s, p, o = triple
    return rdf(s), rdf(p), rdf(o)


def lines(triples: list[Triple]) -> str:
    """The statements as N-Triples lines, in order (as ``terms.nt_lines`` wrote them)."""
    return "".join([f"{s} {p} {o} .\n" for s, p, o in triples])
