"""RDF terms as the store takes them: IRIs checked as Oxigraph checks them, literals written
as canonical N-Triples, the lexical forms of dates. A leaf: mapping and publishing both build
their statements here, and neither reaches into the other.

Every IRI goes through ``iri`` (or is tested with ``valid_iri`` first), which asks
``pyoxigraph.NamedNode`` itself, so a statement written here is one the store loads: a text
of them is known to be valid before it goes to the store. The text is byte for byte what
``pyoxigraph.serialize`` writes for the same terms (canonical N-Triples; ``tests/publish``
checks it over every character). It is written in Python, not by building pyoxigraph terms
and serialising them, because that took three times as long: the statements of 20,000
registrations' record bodies (266,000) in 1.05 s CPU through pyoxigraph terms, 0.36 s here
(0.37-0.41 s by the unchecked writer this replaced); 120,000 catalogue-record lines in
0.23 s against 0.10 s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
VOID = "http://rdfs.org/ns/void#"
REG = "https://w3id.org/federator/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
_XSD_STRING = XSD + "string"

Triple = tuple[Node, Node, Node]


# IRIs checked, as written: predicates, classes, concepts and organisations repeat in every
# record (a check is 0.4-0.8 us). Emptied when full, so that memory stays bounded.
_CHECKED: dict[str, str] = {}
_CHECKED_MAX = 65536


def iri(value: str) -> str:
    """``<value>``; ValueError when the store would refuse it as an IRI."""
    written = _CHECKED.get(value)
    if written is None:
        ox.NamedNode(value)
        written = f"<{value}>"
        if len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.clear()
        _CHECKED[value] = written
    return written


def valid_iri(value: str) -> bool:
    """Whether the store takes ``value`` as an IRI (an absolute IRI, RFC 3987)."""
    try:
        iri(value)
    except ValueError:
        return False
    return True


RDF_TYPE = iri(RDF + "type")

# What a literal's text needs escaped for canonical N-Triples (as pyoxigraph writes it: also
# the noncharacters U+FFFE and U+FFFF), and lone surrogates (which no UTF-8 text can hold).
# Only a text that is not all printable can hold more than quotes and backslashes of them.
_SPECIAL = re.compile('[\x00-\x1f\x7f"\\\\\ud800-\udfff\ufffe\uffff]')
_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"  # never reaches here from a register (reading replaces them)
    return _ECHAR.get(char) or f"\\u{ord(char):04X}"


@functools.lru_cache(maxsize=64)
def _language(tag: str) -> str:
    """A BCP 47 tag as the store writes it (lower case); ValueError when it is not one."""
    ox.Literal("", language=tag)
    return tag.lower()


def lit(text: str, lang: str | None = None, dtype: str | None = None) -> str:
    """An N-Triples literal: the one place text is escaped for the store."""
    if text.isprintable():  # no control character, surrogate or noncharacter: most texts
        if "\\" in text or '"' in text:  # only these to escape
            text = text.replace("\\", "\\\\").replace('"', '\\"')
    else:
        text = _SPECIAL.sub(_escape, text)
    if lang:
        return f'"{text}"@{_language(lang)}'
    if dtype and dtype != _XSD_STRING:
        return f'"{text}"^^{iri(dtype)}'
    return f'"{text}"'


@functools.lru_cache(maxsize=256)
def _blank(label: str) -> str:
    ox.BlankNode(label)
    return f"_:{label}"


def nt_term(term: Node) -> str:
    """N-Triples form of an rdflib term (rdflib's ``n3()`` is close but not N-Triples-exact)."""
    if isinstance(term, URIRef):
        return iri(term)
    if isinstance(term, Literal):
        dtype = term.datatype
        return lit(str(term), term.language, str(dtype) if dtype is not None else None)
    if isinstance(term, BNode):
        return _blank(str(term))
    raise TypeError(type(term))


def _node(term: Node) -> str:
    """A subject: an IRI or a blank node."""
    if isinstance(term, Literal):
        raise TypeError("a literal cannot be a subject")
    return nt_term(term)


def t(s: str, p: str, o: str) -> str:
    """One statement of terms already written (``iri``, ``lit``)."""
    return f"{s} {p} {o} .\n"


def nt_lines(triples: Iterable[Triple]) -> str:
    """rdflib triples as N-Triples lines. (IRIs, most of the terms, are written inline: a call
    of ``nt_term`` for each was a third of a record body's time.)"""
    out = []
    for s, p, o in triples:
        if type(p) is not URIRef:
            raise TypeError(f"a predicate is an IRI, not {type(p).__name__}")
        out.append(
            f"{iri(s) if type(s) is URIRef else _node(s)} {iri(p)} "
            f"{iri(o) if type(o) is URIRef else nt_term(o)} .\n"
        )
    return "".join(out)


# -- dates: the lexical forms of xsd:date, xsd:gYearMonth and xsd:gYear --------------------
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("januari", "january", "jan"),
            ("februari", "february", "feb"),
            ("maart", "march", "mrt", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("augustus", "august", "aug"),
            ("september", "sep", "sept"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}


def _valid(y: int, m: int, d: int | None = None) -> bool:
    try:
        date(y, m, d or 1)
    except ValueError:
        return False
    return 1900 <= y <= 2200


# Dates written in numbers: each pattern, and which of year, month and day its groups are.
_NUMERIC_DATES = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[t ][\d:.]+(?:z|[+-]\d{2}:?\d{2})?)?"), "ymd"),
    (re.compile(r"(\d{4})-(\d{1,2})"), "ym"),
    (re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"), "dmy"),
    (re.compile(r"(\d{1,2})[-/.](\d{4})"), "my"),
)


def _date_or_month(y: int, mo: int | None, d: int | None = None) -> dict[str, str] | None:
    """An xsd:date (with a day) or xsd:gYearMonth; None for a month or day that is none."""
    if mo is None or not _valid(y, mo, d):
        return None
    if d is None:
        return {"gYearMonth": f"{y:04d}-{mo:02d}"}
    return {"date": f"{y:04d}-{mo:02d}-{d:02d}"}


def date_value(s: str) -> dict[str, str] | None:
    """A date as registers write it (yyyy-mm, ISO dates and times, dd-mm-yyyy, 'maart 2024')
    -> ``{xsd type name: lexical form}``; None when it is none of them."""
    s = s.strip().lower()
    for pattern, order in _NUMERIC_DATES:
        if m := pattern.fullmatch(s):
            parts = dict(zip(order, map(int, m.groups()), strict=True))
            return _date_or_month(parts["y"], parts["m"], parts.get("d"))
    if m := re.fullmatch(r"([a-z]+)\.?\s+(\d{4})", s):
        return _date_or_month(int(m.group(2)), _MONTHS.get(m.group(1)))
    if m := re.fullmatch(r"(\d{1,2})\s+([a-z]+)\s+(\d{4})", s):
        return _date_or_month(int(m.group(3)), _MONTHS.get(m.group(2)), int(m.group(1)))
    if re.fullmatch(r"\d{4}", s) and _valid(int(s), 1):
        return {"gYear": s}
    return None
