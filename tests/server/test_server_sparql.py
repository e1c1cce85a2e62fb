"""``/sparql`` over HTTP: the SPARQL 1.1 Protocol, read-only, with a size and a time limit."""

from __future__ import annotations

import csv
import io
import threading
import time
import xml.etree.ElementTree as ET

import httpx
import pyoxigraph as ox
import pytest

from federator.demo import CONTRACT_QUERY

from .serverkit import QUERY_TIMEOUT, RESULT_LIMIT, RunningServer

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CATALOGS = (
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/> "
    "SELECT ?source WHERE { ?c a dcat:Catalog ; dcterms:identifier ?source ; dcat:record ?r } "
    "GROUP BY ?source ORDER BY ?source"
)
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SPARQL_JSON = "application/sparql-results+json"


def count(client: httpx.Client) -> int:
    r = client.get("/sparql", params={"query": COUNT})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_select_answers_sparql_json_by_default(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": CATALOGS})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(SPARQL_JSON)
    sources = [b["source"]["value"] for b in r.json()["results"]["bindings"]]
    assert sources == ["gemeente-amsterdam", "gemeente-utrecht", "national"]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (SPARQL_JSON, SPARQL_JSON),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/html;q=0.5, text/csv", "text/csv"),
    ],
)
def test_select_negotiates_the_result_format(client: httpx.Client, accept: str, media: str) -> None:
    r = client.get("/sparql", params={"query": CATALOGS}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["source"] and rows[1] == ["gemeente-amsterdam"]
    elif media == "text/tab-separated-values":
        assert r.text.splitlines()[:2] == ["?source", '"gemeente-amsterdam"']
    elif media.endswith("+xml"):
        ns = "{http://www.w3.org/2005/sparql-results#}"
        root = ET.fromstring(r.content)
        assert len(root.iter(f"{ns}result").__next__()) == 1
        assert [v.get("name") for v in root.iter(f"{ns}variable")] == ["source"]


def test_query_by_form_post_and_by_sparql_query_body(client: httpx.Client) -> None:
    form = client.post("/sparql", data={"query": CATALOGS})
    body = client.post(
        "/sparql", content=CATALOGS, headers={"Content-Type": "application/sparql-query"}
    )
    assert form.status_code == body.status_code == 200
    assert form.json() == body.json()
    assert len(form.json()["results"]["bindings"]) == 3


def test_ask(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "ASK { ?s a <http://www.w3.org/ns/dcat#Catalog> }"})
    assert r.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "media", "fmt"),
    [
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("*/*", "text/turtle", ox.RdfFormat.TURTLE),
    ],
)
def test_construct_negotiates_the_graph_format(
    client: httpx.Client, accept: str, media: str, fmt: ox.RdfFormat
) -> None:
    query = (
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "CONSTRUCT { ?c dcterms:identifier ?id } "
        "WHERE { ?c a dcat:Catalog ; dcterms:identifier ?id }"
    )
    r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    triples = list(ox.parse(r.content, format=fmt))
    ids = sorted(t.object.value for t in triples)
    assert ids == ["gemeente-amsterdam", "gemeente-utrecht", "national"]


def test_default_graph_uri_narrows_the_default_graph(client: httpx.Client) -> None:
    graph = "https://algoritmes.example.org/graph/source/gemeente-utrecht"
    r = client.get("/sparql", params={"query": CATALOGS, "default-graph-uri": graph})
    assert [b["source"]["value"] for b in r.json()["results"]["bindings"]] == ["gemeente-utrecht"]


def test_result_limit_cuts_off_with_a_header(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": CONTRACT_QUERY})
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == RESULT_LIMIT
    assert r.headers["x-sparql-maxrows"] == str(RESULT_LIMIT)
    small = client.get("/sparql", params={"query": CONTRACT_QUERY + " LIMIT 5"})
    assert len(small.json()["results"]["bindings"]) == 5
    assert "x-sparql-maxrows" not in small.headers


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {
            "content": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"data": {"query": "PREFIX x: <urn:x#> INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"data": {"query": "DELETE WHERE { ?s ?p ?o }"}},
        {"data": {"query": "# comment\nDROP ALL"}},
        {"data": {"query": "CLEAR DEFAULT"}},
    ],
)
def test_updates_are_refused_and_change_nothing(
    client: httpx.Client, request_kwargs: dict[str, object]
) -> None:
    before = count(client)
    r = client.post("/sparql", **request_kwargs)  # type: ignore[arg-type]
    assert r.status_code == 403
    assert "read-only" in r.text
    assert count(client) == before


def test_update_by_get_is_refused(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"update": "CLEAR ALL"})
    assert r.status_code == 403


def test_federated_query_is_refused(client: httpx.Client) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 400
    assert "SERVICE" in r.text


def test_malformed_query_answers_400_with_the_parser_message(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert "error at 1:" in r.text  # pyoxigraph's message: where, and what it expected


def test_missing_query_and_unknown_content_type(client: httpx.Client) -> None:
    assert client.get("/sparql").status_code == 400
    form = client.get("/sparql", headers={"Accept": "text/html"})
    assert form.status_code == 200 and "<form" in form.text
    odd = client.post("/sparql", content="x", headers={"Content-Type": "text/plain"})
    assert odd.status_code == 415


def test_slow_query_is_stopped_while_the_server_stays_responsive(
    server: RunningServer, client: httpx.Client
) -> None:
    workers_before = server.children()
    assert len(workers_before) == 2
    answer: dict[str, httpx.Response] = {}

    def slow() -> None:
        with server.client() as c:
            answer["r"] = c.get("/sparql", params={"query": SLOW})

    started = time.monotonic()
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    health_times = []
    # Another client's query goes to the other worker meanwhile (one client address may
    # have one query in flight: server.max_queries_per_client).
    other = server.client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    while thread.is_alive() and time.monotonic() - started < QUERY_TIMEOUT + 10:
        t0 = time.monotonic()
        assert client.get("/health").status_code == 200
        health_times.append(time.monotonic() - t0)
        assert other.get("/sparql", params={"query": CATALOGS}).status_code == 200
        time.sleep(0.1)
    other.close()
    thread.join()
    elapsed = time.monotonic() - started
    r = answer["r"]
    assert r.status_code == 504
    assert "time limit" in r.text
    assert QUERY_TIMEOUT <= elapsed < QUERY_TIMEOUT + 5
    assert health_times and max(health_times) < 1.0
    # The runaway worker is gone (its CPU freed) and a fresh one took its place.
    workers_after = server.children()
    assert len(workers_after) == 2
    gone = workers_before - workers_after
    assert len(gone) == 1
    assert count(client) > 0


STATEMENTS = (
    "PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/> "
    "SELECT ?t ?l ?b WHERE { ?c a dcat:Catalog ; dcterms:identifier ?id "
    'FILTER(?id = "national") BIND(TRIPLE(?c, dcterms:identifier, ?id) AS ?t) '
    'BIND(STRLANGDIR("hallo", "nl", "ltr") AS ?l) BIND(BNODE() AS ?b) }'
)
SAID = (
    "<https://algoritmes.example.org/id/catalog/national> <http://purl.org/dc/terms/identifier> "
    '"national"'
)


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        (SPARQL_JSON, ox.QueryResultsFormat.JSON),
        ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
        ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ],
)
def test_triple_terms_and_directions_come_through_every_result_format(
    client: httpx.Client, accept: str, fmt: ox.QueryResultsFormat
) -> None:
    r = client.get("/sparql", params={"query": STATEMENTS}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    parsed = ox.parse_query_results(r.content, format=fmt)
    assert isinstance(parsed, ox.QuerySolutions)
    rows = list(parsed)
    assert len(rows) == 1
    triple, literal, blank = rows[0]["t"], rows[0]["l"], rows[0]["b"]
    assert isinstance(triple, ox.Triple) and str(triple) == SAID
    assert (literal.value, literal.language, literal.direction) == (
        "hallo",
        "nl",
        ox.BaseDirection.LTR,
    )
    assert isinstance(blank, ox.BlankNode)


def test_triple_terms_in_csv_are_their_w3c_form(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": STATEMENTS}, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["t", "l", "b"] and rows[1][1] == "hallo"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ],
)
def test_triple_terms_come_through_every_graph_format(
    client: httpx.Client, accept: str, fmt: ox.RdfFormat
) -> None:
    query = STATEMENTS.replace("SELECT ?t ?l ?b WHERE", "CONSTRUCT { ?c <urn:says> ?t } WHERE")
    r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    (quad,) = list(ox.parse(r.content, format=fmt))
    assert isinstance(quad.object, ox.Triple) and str(quad.object) == SAID


def test_json_ld_says_it_cannot_carry_a_triple_term(client: httpx.Client) -> None:
    query = STATEMENTS.replace("SELECT ?t ?l ?b WHERE", "CONSTRUCT { ?c <urn:says> ?t } WHERE")
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/ld+json"})
    assert r.status_code == 406
    assert "Turtle" in r.text


def test_an_explicit_limit_above_the_row_limit_is_told_not_cut(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": CONTRACT_QUERY + f" LIMIT {RESULT_LIMIT + 10}"})
    assert r.status_code == 400
    assert f"LIMIT {RESULT_LIMIT}" in r.text and r.headers["x-sparql-maxrows"] == str(RESULT_LIMIT)
    exact = client.get("/sparql", params={"query": CONTRACT_QUERY + f" LIMIT {RESULT_LIMIT}"})
    assert exact.status_code == 200 and "x-sparql-maxrows" not in exact.headers
    assert len(exact.json()["results"]["bindings"]) == RESULT_LIMIT
    # An explicit LIMIT above the row limit is fine while the answer is shorter.
    few = client.get("/sparql", params={"query": CATALOGS + f" LIMIT {RESULT_LIMIT * 10}"})
    assert few.status_code == 200 and len(few.json()["results"]["bindings"]) == 3


def test_the_dataset_the_query_declares_rules(client: httpx.Client) -> None:
    unified = "https://algoritmes.example.org/graph/unified"
    everything = count(client)
    declared = client.get(
        "/sparql", params={"query": COUNT.replace(" WHERE", f" FROM <{unified}> WHERE")}
    )
    n = int(declared.json()["results"]["bindings"][0]["n"]["value"])
    assert 0 < n < everything
    # named-graph-uri alone: the named graph is there for GRAPH, the default graph is empty.
    named = client.get("/sparql", params={"query": COUNT, "named-graph-uri": unified})
    assert named.json()["results"]["bindings"][0]["n"]["value"] == "0"
    in_graph = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    named = client.get("/sparql", params={"query": in_graph, "named-graph-uri": unified})
    assert named.json()["results"]["bindings"][0]["n"]["value"] == str(n)


@pytest.mark.parametrize(
    "query",
    [
        "PREFIX reg: <urn:x#> SELECT * WHERE { ?s reg:self-service ?o }",
        'SELECT * WHERE { ?s ?p "x"@x-service }',
        "PREFIX delete-me: <urn:x#> SELECT * WHERE { ?s delete-me:p ?o }",
        "SELECT ?service ?from WHERE { ?service <urn:from> ?from }",
    ],
)
def test_names_like_keywords_are_answered(client: httpx.Client, query: str) -> None:
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 200, r.text
