"""``/id/...``: minted IRIs dereference as HTML, Turtle or JSON-LD; 301, 404 and 410."""

from __future__ import annotations

import httpx
import pyoxigraph as ox
import pytest

from .serverkit import Published

BASE = "https://algoritmes.example.org/"
DCT = "http://purl.org/dc/terms/"


def test_algorithm_as_turtle_with_its_fragment_nodes(
    client: httpx.Client, published: Published
) -> None:
    iri = f"{BASE}id/algorithm/{published.algorithm}"
    r = client.get(f"/id/algorithm/{published.algorithm}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    triples = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    subjects = {t.subject.value for t in triples}
    assert iri in subjects
    assert all(s == iri or s.startswith(iri + "#") for s in subjects)
    assert any(t.predicate.value == DCT + "title" for t in triples)
    # The records of several registers point at it: one real-world algorithm.
    assert (
        sum(1 for t in triples if t.predicate.value == "http://www.w3.org/ns/prov#wasDerivedFrom")
        > 1
    )


def test_algorithm_as_json_ld(client: httpx.Client, published: Published) -> None:
    r = client.get(
        f"/id/algorithm/{published.algorithm}", headers={"Accept": "application/ld+json"}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/ld+json")
    triples = list(ox.parse(r.content, format=ox.RdfFormat.JSON_LD))
    assert any(t.predicate.value == DCT + "title" for t in triples)


def test_algorithm_as_html_for_browsers(client: httpx.Client, published: Published) -> None:
    r = client.get(
        f"/id/algorithm/{published.algorithm}",
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert f"{BASE}id/algorithm/{published.algorithm}" in r.text
    assert "dcterms:" not in r.text and "dpv#" not in r.text  # words, not CURIEs
    assert 'href="/id/description/' in r.text  # each register's own record
    assert "De registers naast elkaar" in r.text
    # Every statement stays available as a table, in words too.
    r = client.get(
        f"/id/algorithm/{published.algorithm}?view=statements", headers={"Accept": "text/html"}
    )
    assert r.status_code == 200
    assert "Verwijzingen hiernaar" in r.text  # the records that point at it
    assert ">naam<" in r.text and "dcterms:title" not in r.text


@pytest.mark.parametrize("path", ["/id/catalog/national", "/id/catalog", "/id/agent/federator"])
def test_other_minted_iris_dereference(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, path
    assert r.headers["content-type"].startswith("text/turtle")
    assert list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))


def test_record_iri_dereferences(client: httpx.Client) -> None:
    query = "SELECT ?r WHERE { ?r a <http://www.w3.org/ns/dcat#CatalogRecord> } ORDER BY ?r LIMIT 1"
    record = client.get("/sparql", params={"query": query}).json()["results"]["bindings"][0]
    path = "/" + record["r"]["value"][len(BASE) :]
    r = client.get(path, headers={"Accept": "application/ld+json"})
    assert r.status_code == 200


def test_replaced_algorithm_redirects_to_the_survivor(
    client: httpx.Client, published: Published
) -> None:
    r = client.get(f"/id/algorithm/{published.replaced}", headers={"Accept": "text/turtle"})
    assert r.status_code == 301
    assert r.headers["location"] == f"/id/algorithm/{published.algorithm}"


def test_retired_algorithm_is_gone(client: httpx.Client, published: Published) -> None:
    assert client.get(f"/id/algorithm/{published.retired}").status_code == 410
    page = client.get(f"/id/algorithm/{published.retired}", headers={"Accept": "text/html"})
    assert page.status_code == 410 and "Niet meer beschikbaar" in page.text


def test_unknown_iri_is_404(client: httpx.Client) -> None:
    assert client.get("/id/algorithm/0000000000").status_code == 404
    assert client.get("/id/record/nope/nope", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/id/", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/nothing-here").status_code == 404
