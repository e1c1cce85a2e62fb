"""Record-level statements of the published graphs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import XSD as XSD_NS
from rdflib import BNode, Literal, URIRef

from federator.config import SourceConfig
from federator.map.mapper import MappedRecord, record_body
from federator.publish.graphs import SourceView, Unified, modified_literal, source_graph
from federator.terms import iri, lit, nt_lines, t, valid_iri
from federator.vocab import Minter

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05T10:11:12.123Z", f'"2024-03-05"^^<{XSD}date>'),
        ("05-03-2024", f'"2024-03-05"^^<{XSD}date>'),
        ("maart 2024", f'"2026-01-02T03:04:05Z"^^<{XSD}dateTime>'),  # no whole date given
        (None, f'"2026-01-02T03:04:05Z"^^<{XSD}dateTime>'),
    ],
)
def test_modified_is_the_same_for_bodies_mapped_before_and_after_the_date_was_kept(
    raw: str | None, expected: str
) -> None:
    stored_before = {"identity": {"modified": raw}, "changed_at": "2026-01-02T03:04:05Z"}
    rec = MappedRecord(
        "s", "n-1", "https://x.test/d/1", {"modified": raw}, "https://x.test/o", "O", {}
    )
    mapped_now = {**record_body(rec, []), "changed_at": stored_before["changed_at"]}
    assert "modified_date" in mapped_now  # the date is kept when the record is mapped
    assert modified_literal(stored_before) == modified_literal(mapped_now) == expected


def test_the_date_worked_out_when_mapping_is_the_one_published() -> None:
    body = {"identity": {"modified": "2024-03-05"}, "changed_at": "2026-01-02T03:04:05Z"}
    assert modified_literal({**body, "modified_date": "2023-12-31"}) == f'"2023-12-31"^^<{XSD}date>'
    # None: the register gave no whole date when mapped; the raw value is not parsed again
    none = modified_literal({**body, "modified_date": None})
    assert none == f'"2026-01-02T03:04:05Z"^^<{XSD}dateTime>'


# -- terms: what the store takes, written as pyoxigraph writes it ---------------------------
S, P = "https://x.test/s", "https://x.test/p"


def serialized(obj: ox.Literal | ox.NamedNode | ox.BlankNode) -> str:
    triple = ox.Triple(ox.NamedNode(S), ox.NamedNode(P), obj)
    return ox.serialize([triple], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def test_literals_are_written_byte_for_byte_as_pyoxigraph_writes_them() -> None:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(chars), 4096):
        text = "".join(chars[start : start + 4096])
        assert t(iri(S), iri(P), lit(text)) == serialized(ox.Literal(text)), start
    for lang in ("nl", "en-GB", "FY"):
        expected = serialized(ox.Literal('a "b" \\ c', language=lang))
        assert t(iri(S), iri(P), lit('a "b" \\ c', lang)) == expected
    dtype = XSD + "date"
    expected = serialized(ox.Literal("2024-03-05", datatype=ox.NamedNode(dtype)))
    assert t(iri(S), iri(P), lit("2024-03-05", dtype=dtype)) == expected
    assert lit("x", dtype=XSD + "string") == '"x"'  # xsd:string is implicit


@pytest.mark.parametrize(
    "value",
    [
        "https://example.org/{x}",
        "https://example.org/a|b",
        "https://example.org/`x`",
        "https://example.org/a^b",
        "https://example.org/a\\b",
        'mailto:a"b@example.org',
        "https://example.org/a b",
        "https://example.org/<a>",
        "http://x/%zz",
        "relative/path",
        "https://example.org/\ufffd",
        "https://example.org/é?q=1#f",
        "mailto:info@example.org",
        "urn:uuid:0d4c7d3c-6a2d-4d7d-9f3b-1f0a2f7a6f11",
    ],
)
def test_iris_are_checked_as_the_store_checks_them(value: str) -> None:
    try:
        ox.NamedNode(value)
        store_takes = True
    except ValueError:
        store_takes = False
    assert valid_iri(value) is store_takes
    if store_takes:
        assert iri(value) == f"<{value}>"
    else:
        with pytest.raises(ValueError):
            iri(value)


def test_no_text_written_here_holds_a_lone_surrogate() -> None:
    assert lit("a\ud800b") == '"a\ufffdb"'
    lit("\udfff", "nl").encode("utf-8")


def test_rdflib_terms_are_written_as_the_store_reads_them() -> None:
    triples = [
        (URIRef(S), URIRef(P), Literal('tab\tquote" nl\n \x01', lang="nl")),
        (URIRef(S), URIRef(P), Literal("2024-03", datatype=XSD_NS.gYearMonth)),
        (URIRef(S), URIRef(P), Literal("plain", datatype=XSD_NS.string)),
        (URIRef(S), URIRef(P), Literal(True)),
        (URIRef(S), URIRef(P), URIRef("https://example.org/é")),
        (URIRef(S), URIRef(P), BNode("b1")),
    ]
    text = nt_lines(triples)
    parsed = list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
    assert len(parsed) == len(triples)
    assert text == "".join(serialized(q.object) for q in parsed)
    with pytest.raises(ValueError):
        nt_lines([(URIRef(S), URIRef(P), URIRef("https://example.org/{x}"))])


def test_a_source_graph_with_hostile_texts_loads_into_the_store() -> None:
    view = SourceView(
        SourceConfig("s", 'Titel "met" \\ tekens', "municipal", "algoritmeregister-json", "x"),
        "https://x.test/o",
        "O",
        [
            {
                "native_id": 'n"1\\',
                "subject": "https://x.test/d/1",
                "identity": {},
                "modified_date": "2024-03-05",
                "nt": {},
                "warnings": [{"message_en": 'value \'a"b\\\' \x07 is "odd"\n'}],
            }
        ],
    )
    minter = Minter("https://x.test/")
    text = "".join(source_graph(view, minter, Unified({("s", 'n"1\\'): "https://x.test/a/1"})))
    store = ox.Store()
    store.load(text.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    values = {q.object.value for q in store if isinstance(q.object, ox.Literal)}
    assert {'n"1\\', 'value \'a"b\\\' \x07 is "odd"\n'} <= values
