"""The map stage writes its terms as N-Triples text (``map.nt``) where it built rdflib terms
before: each is, character for character, what the record body held then (``terms.nt_term``
of the rdflib term), and reads back as that term."""

from __future__ import annotations

import pytest
from rdflib import XSD, Literal, URIRef

from federator import terms
from federator.map import nt

# Every character up to U+3000 (control characters, quotes, backslashes, every whitespace
# character), noncharacters, line and paragraph separators, and characters beyond the BMP.
CHARACTERS = [chr(c) for c in range(0x3001) if not 0xD800 <= c <= 0xDFFF]
CHARACTERS += ["\ufffe", "\uffff", "\ufffd", "\u2028", "\u2029", "\U0001f600", "\U00010348"]
TEXTS = [
    "",
    "plain text",
    'a "quoted" text',
    "back\\slash \\n not a new line",
    "tab\tnew\nline\rcarriage\x0bvt\x0cff\x00nul\x7fdel\x1fus",
    "é ß 中文 \U0001f600 \U0010ffff",
    "".join(CHARACTERS),
    *(f"a{c}b" for c in CHARACTERS),
]
TAGS = [None, "", "nl", "en", "en-GB", "EN", "de-CH-1901", "x-private"]


def old(text: str, lang: str | None) -> str:
    """What the body held: the rdflib literal, written by ``terms``."""
    return terms.nt_term(Literal(text, lang=lang))


@pytest.mark.parametrize("lang", TAGS)
def test_texts_are_written_as_the_rdflib_literal_was(lang: str | None) -> None:
    for text in TEXTS:
        assert nt.text(text, lang) == old(text, lang), repr(text)


def test_plain_texts_are_written_as_the_rdflib_literal_was() -> None:
    for text in TEXTS:
        assert nt.plain(text) == old(text, None), repr(text)


@pytest.mark.parametrize(
    ("lexical", "dtype"),
    [
        ("2024-03-05", "date"),
        ("2024-03", "gYearMonth"),
        ("2024", "gYear"),
        ("1900-01", "gYearMonth"),
    ],
)
def test_dates_and_booleans_are_written_as_the_rdflib_literal_was(lexical: str, dtype: str) -> None:
    # Written out: ``nt`` makes these with the rdflib calls themselves.
    assert nt.typed(lexical, dtype) == f'"{lexical}"^^<http://www.w3.org/2001/XMLSchema#{dtype}>'
    assert nt.TRUE == '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'
    assert nt.FALSE == '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>'


@pytest.mark.parametrize("tag", ["not a tag", "en_GB", "-nl", "nl-", "1nl"])
def test_a_tag_rdflib_refused_fails_as_it_did(tag: str) -> None:
    with pytest.raises(ValueError):
        Literal("x", lang=tag)
    with pytest.raises(ValueError):
        nt.text("x", tag)


@pytest.mark.parametrize("lang", TAGS)
def test_terms_read_back_as_the_rdflib_terms(lang: str | None) -> None:
    for text in TEXTS:
        term = nt.text(text, lang)
        assert nt.lexical(term) == text
        assert nt.length(term) == len(Literal(text, lang=lang)) == len(text)
        assert nt.language(term) == (lang.lower() if lang else None)
        assert nt.rdf(term) == Literal(text, lang=lang)
    dated = nt.typed("2024-03", "gYearMonth")
    assert nt.rdf(dated) == Literal("2024-03", datatype=XSD.gYearMonth)
    assert nt.language(dated) is None and nt.lexical(dated) == "2024-03"
    assert nt.rdf(nt.TRUE) == Literal(True)
    link = nt.iri("https://example.org/a?b=c#d")
    assert nt.rdf(link) == URIRef("https://example.org/a?b=c#d")
    assert nt.lexical(link) == "https://example.org/a?b=c#d" and nt.length(link) == 27
    assert nt.language(link) is None


def test_node_iris_are_checked_as_whole_iris_are() -> None:
    subject = nt.iri("https://example.org/id/description/s/abc")
    for fragment in ("period", "law-1", "a.b_c~d", "é", "x%20y"):
        assert nt.node_iri(subject, fragment) == terms.iri(f"{subject[1:-1]}#{fragment}")
    for fragment in ("a b", "a#b", "{x}", "a|b", "%zz"):
        with pytest.raises(ValueError):
            terms.iri(f"{subject[1:-1]}#{fragment}")
        with pytest.raises(ValueError):
            nt.node_iri(subject, fragment)
    # A subject that has a fragment already: the whole IRI is checked.
    with pytest.raises(ValueError):
        nt.node_iri(nt.iri("https://example.org/x#y"), "z")


def test_lines_are_what_terms_wrote() -> None:
    s, p = nt.iri("https://example.org/s"), nt.iri("https://example.org/p")
    triples = [(s, p, nt.text('a "b"\n', "nl")), (s, p, nt.TRUE), (s, p, nt.iri("mailto:x@y.z"))]
    assert nt.lines(triples) == terms.nt_lines([nt.rdf_triple(t) for t in triples])
