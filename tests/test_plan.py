"""Join planning: a planned query answers exactly what it answers as written.

The store is a real published one (the bundled demo registers, federated once). With 145
records, a pattern counts as large from 20 solutions here, so the planner has real choices;
the queries are in ``data/queries``: ``planned/`` must be rewritten, ``as-written/`` must not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from helpers import demo_sources, write_config

from federator import config, query
from federator.demo import demo_registers
from federator.pipeline import Federator
from federator.publish import snapshot
from federator.sim import RegisterServer
from federator.sparql import plan, read

QUERIES = Path(__file__).parent / "data" / "queries"
UNION: dict[str, Any] = {"use_default_graph_as_union": True}
BIG = 20


def queries(kind: str) -> list[pytest.ParameterSet]:
    return [
        pytest.param(p.read_text(encoding="utf-8"), id=p.stem)
        for p in sorted((QUERIES / kind).glob("*.rq"))
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ox.Store]:
    tmp = tmp_path_factory.mktemp("plan")
    with RegisterServer(demo_registers()) as server:
        path = write_config(
            tmp / "federator.yaml",
            demo_sources(server),
        )
        fed = Federator(config.load(path))
        try:
            assert not fed.run_once().failed
        finally:
            fed.close()
    published = snapshot.open_current(tmp / "var")
    assert published is not None
    yield published


def run_planned(store: ox.Store, sparql: str, dataset: dict[str, Any]) -> Any:
    return plan.run_planned(store, read(sparql), dataset)


def answers(store: ox.Store, sparql: str, run: Any = None) -> Counter[tuple[str, ...]]:
    solutions = run(store, sparql, UNION) if run else store.query(sparql, **UNION)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return Counter(tuple(str(s[n]) for n in names) for s in solutions)


@pytest.mark.parametrize("sparql", queries("planned"))
def test_a_planned_query_answers_as_written(store: ox.Store, sparql: str) -> None:
    planned = plan.plan(store, sparql, UNION, big=BIG)
    assert planned != sparql
    assert "{ SELECT * WHERE {" in planned
    expected = answers(store, sparql)
    assert sum(expected.values()) > 0
    assert answers(store, planned) == expected


@pytest.mark.parametrize("sparql", queries("as-written"))
def test_a_query_outside_the_plan_runs_as_written(store: ox.Store, sparql: str) -> None:
    assert plan.plan(store, sparql, UNION, big=BIG) == sparql


def test_large_stars_only_are_read_whole(store: ox.Store) -> None:
    contract = (QUERIES / "planned" / "contract.rq").read_text(encoding="utf-8")
    planned = plan.plan(store, contract, UNION, big=BIG)
    # The catalogues are few: their star keeps its lookups; the records' patterns are read whole.
    assert "?catalog <http://www.w3.org/ns/dcat#record> ?record ." in planned
    assert "{ SELECT * WHERE { ?record <http://xmlns.com/foaf/0.1/primaryTopic> ?algorithm } }" in (
        planned
    )
    assert planned.count("SELECT * WHERE") == 3
    # With more records needed before a pattern counts as large, nothing is rewritten.
    assert plan.plan(store, contract, UNION, big=1000) == contract


def test_a_named_value_is_what_keeps_the_lookups(store: ox.Store) -> None:
    named = (QUERIES / "as-written" / "constant-object.rq").read_text(encoding="utf-8")
    unnamed = named.replace("<https://w3id.org/federator/vocab/status/in-gebruik>", "?status")
    assert plan.plan(store, unnamed, UNION, big=BIG) != unnamed


def test_a_small_group_two_patterns_away_keeps_the_lookups(store: ox.Store) -> None:
    two_hops = (QUERIES / "as-written" / "small-group-two-hops.rq").read_text(encoding="utf-8")
    # Without the labels, the publishers are joined to the records by many solutions.
    one_hop = two_hops.replace("?org skos:altLabel ?label .", "").replace("?label", "?org")
    assert plan.plan(store, one_hop, UNION, big=BIG) != one_hop


def test_a_row_cap_keeps_the_first_rows_quick(store: ox.Store) -> None:
    contract = (QUERIES / "planned" / "contract.rq").read_text(encoding="utf-8")
    assert plan.plan(store, contract, UNION, row_limit=BIG, big=BIG) == contract
    assert plan.plan(store, contract, UNION, row_limit=BIG + 1, big=BIG) != contract
    grouped = (QUERIES / "planned" / "count-per-organisation.rq").read_text(encoding="utf-8")
    assert plan.plan(store, grouped, UNION, row_limit=BIG, big=BIG) != grouped


def test_the_query_command_runs_the_plan(store: ox.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def planned(*args: object, **kwargs: object) -> str:
        ran.append(original(*args, **kwargs))  # type: ignore[arg-type]
        return ran[-1]

    original = plan.plan
    monkeypatch.setattr(plan, "BIG", BIG)
    monkeypatch.setattr(plan, "plan", planned)
    contract = (QUERIES / "planned" / "contract.rq").read_text(encoding="utf-8")
    rows = Counter(
        (str(s["source"]), str(s["id"]), str(s["algorithm"]))
        for s in query.run_query(store, contract)
    )
    assert ran and ran[0] != contract
    assert rows == answers(store, contract)


# Edge cases of reading a query, on a small store of thirty resources made here.
EX = "http://ex/"


@pytest.fixture(scope="module")
def small() -> ox.Store:
    """Thirty ``ex:R`` in two graphs, every fifth typed in a third graph too."""
    store = ox.Store()
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for i in range(30):
        s, graph = ox.NamedNode(f"{EX}r{i}"), ox.NamedNode(f"{EX}g{i % 2}")
        store.add(ox.Quad(s, rdf_type, ox.NamedNode(f"{EX}R"), graph))
        if i % 5 == 0:
            store.add(ox.Quad(s, rdf_type, ox.NamedNode(f"{EX}R"), ox.NamedNode(f"{EX}g9")))
        store.add(ox.Quad(s, ox.NamedNode(f"{EX}id"), ox.Literal(f"r{i}"), graph))
        store.add(ox.Quad(s, ox.NamedNode(f"{EX}item-count"), ox.Literal(str(i)), graph))
        store.add(ox.Quad(s, ox.NamedNode(f"{EX}a.b"), ox.Literal(str(i)), graph))
    return store


def test_a_hyphenated_name_is_not_an_aggregate(small: ox.Store) -> None:
    listing = f"PREFIX ex: <{EX}> SELECT ?r ?n WHERE {{ ?r a ex:R ; ex:item-count ?n }}"
    assert plan.plan(small, listing, UNION, big=BIG) != listing
    first = listing + " LIMIT 5"
    assert plan.plan(small, first, UNION, big=BIG) == first


def test_base_and_escaped_names_run_as_written(small: ox.Store) -> None:
    based = "BASE <http://ex/> SELECT ?s ?o WHERE { ?s a <R> ; <id> ?o }"
    escaped = f"PREFIX ex: <{EX}> SELECT ?s ?o WHERE {{ ?s a ex:R ; ex:a\\.b ?o }}"
    for sparql in (based, escaped):
        assert plan.plan(small, sparql, UNION, big=BIG) == sparql
        expected = answers(small, sparql)
        assert sum(expected.values()) > 0 and answers(small, sparql, run_planned) == expected


def test_a_statement_in_two_graphs_counts_the_same_either_way(small: ox.Store) -> None:
    sparql = f"PREFIX ex: <{EX}> SELECT ?s ?i WHERE {{ ?s a ex:R ; ex:id ?i }}"
    planned = plan.plan(small, sparql, UNION, big=BIG)
    assert planned != sparql
    assert answers(small, planned) == answers(small, sparql)


def test_a_query_oxigraph_refuses_is_not_rewritten_and_gets_its_own_error(
    small: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ungrouped = f"PREFIX ex: <{EX}>\nSELECT ?s ?i WHERE {{ ?s a ex:R ; ex:id ?i }} GROUP BY ?s"
    grouped = ungrouped.replace("?s ?i WHERE", "?s (SAMPLE(?i) AS ?j) WHERE")
    monkeypatch.setattr(plan, "BIG", BIG)
    assert plan.plan(small, grouped, UNION) != grouped  # the same shape, accepted: planned
    assert plan.plan(small, ungrouped, UNION) == ungrouped
    with pytest.raises(SyntaxError) as as_written:
        small.query(ungrouped, **UNION)
    with pytest.raises(SyntaxError) as answered:
        run_planned(small, ungrouped, UNION)
    assert str(answered.value) == str(as_written.value)


@pytest.mark.parametrize(
    "sparql",
    [
        # rdflib predeclares rdf:, xsd:, dcterms: and more; Oxigraph none: as written, refused.
        "SELECT ?s ?i WHERE { ?s rdf:type <http://ex/R> ; <http://ex/id> ?i }",
        # A comment ended by a lone CR: the FILTER after it is read by Oxigraph, not rdflib.
        f"PREFIX ex: <{EX}> SELECT ?s ?i WHERE {{ ?s a ex:R ; ex:id ?i # r0 only\r"
        ' FILTER(?i = "r0") }',
        # A \u escape in a comment: rdflib expands it into a line break, Oxigraph does not.
        f"PREFIX ex: <{EX}> SELECT ?s ?i WHERE {{ ?s a ex:R ; ex:id ?i }} # \\u000A LIMIT 1",
        f"PREFIX ex: <{EX}> SELECT ?s ?i FROM <{EX}g0> WHERE {{ ?s a ex:R ; ex:id ?i }}",
        f"PREFIX ex: <{EX}> SELECT ?s ?i FROM NAMED <{EX}g0> WHERE {{ ?s a ex:R ; ex:id ?i }}",
    ],
    ids=["predeclared-prefix", "comment-ended-by-cr", "escape-in-comment", "from", "from-named"],
)
def test_a_text_rdflib_may_read_otherwise_is_not_rewritten(small: ox.Store, sparql: str) -> None:
    assert plan.plan(small, sparql, UNION, big=BIG) == sparql


def test_a_capped_listing_is_not_even_parsed(
    small: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(plan, "_read", lambda sparql: parsed.append(sparql))
    listing = f"PREFIX ex: <{EX}> SELECT ?s ?i WHERE {{ ?s a ex:R ; ex:id ?i }}"
    assert plan.plan(small, listing, UNION, row_limit=BIG, big=BIG) == listing
    assert parsed == []
    assert plan.plan(small, listing, UNION, big=BIG) == listing  # _read gave nothing to plan
    assert parsed == [listing]
