"""Oxigraph's reading of a query, without any data: SERVICE, dataset, plainly written."""

from __future__ import annotations

import pytest

from federator.sparql import Refused, read

G = "<http://example.org/g>"


@pytest.mark.parametrize(
    ("sparql", "declares"),
    [
        (f"SELECT * FROM {G} WHERE {{ ?s ?p ?o }}", True),
        (f"SELECT * FROM NAMED {G} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", True),
        (f"select * from {G} where {{ ?s ?p ?o }}", True),
        (f"SELECT * #x\rFROM {G} WHERE {{ ?s ?p ?o }}", True),
        (f"ASK FROM {G} {{ ?s ?p ?o }}", True),
        (f"DESCRIBE <http://example.org/a> FROM {G}", True),
        (f"SELECT * # FROM {G}\nWHERE {{ ?s ?p ?o }}", False),
        ('SELECT * WHERE { ?s ?p "FROM <x>" }', False),
        ("SELECT ?from WHERE { ?from ?p ?o }", False),
        ("PREFIX prov: <http://www.w3.org/ns/prov#> SELECT * { ?s prov:wasDerivedFrom ?o }", False),
        ("PREFIX from: <http://example.org/> SELECT * WHERE { ?s from:p ?o }", False),
        (f"SELECT * WHERE {{ ?s ?p {G} }}", False),
    ],
)
def test_a_declared_dataset_is_read_as_oxigraph_reads_it(sparql: str, declares: bool) -> None:
    assert read(sparql).declares_dataset is declares


@pytest.mark.parametrize(
    "sparql",
    [
        "PREFIX reg: <urn:x#> SELECT * WHERE { ?s reg:self-service ?o }",
        'SELECT * WHERE { ?s ?p "x"@x-service }',
        "SELECT ?service WHERE { ?service ?p ?o }",
        "PREFIX service: <urn:x#> SELECT * WHERE { ?s service:p ?o }",
        "SELECT * WHERE { ?s ?p <http://example.org/SERVICE> } # SERVICE <http://x/> {}",
        "SELECT * WHERE { _:service ?p ?o }",
        'SELECT * WHERE { ?s ?p """\nSERVICE <http://x/> { }\n""" }',
    ],
)
def test_the_word_service_as_a_name_is_no_service(sparql: str) -> None:
    read(sparql)


@pytest.mark.parametrize(
    ("sparql", "plain"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", True),
        ("SELECT * WHERE {\r\n ?s ?p ?o\r\n}", True),
        ("SELECT * WHERE { #x\r ?s ?p ?o }", False),
        ('SELECT * WHERE { ?s ?p "\\u0041" }', False),
        ("PREFIX ex: <urn:x#> SELECT * WHERE { ?s ex:a\\-b ?o }", False),
    ],
)
def test_plainly_written(sparql: str, plain: bool) -> None:
    assert read(sparql).plain is plain


def test_a_malformed_service_is_refused_without_running() -> None:
    with pytest.raises(Refused) as refused:
        read("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p } }")
    assert refused.value.status == 400
