"""Every query answers what Oxigraph answers: ``federator query``, the endpoint, Oxigraph itself.

Each query in ``queries/`` runs three ways over the same published snapshot: through the
command line's query function (in process, planned as the CLI plans), through the HTTP
endpoint of a real ``federator serve`` (in its workers), and through a plain pyoxigraph store
opened on the snapshot with the dataset SPARQL 1.1 gives the query (the union of all graphs
as default graph unless the query or the request declares one). The bags of solutions must be
equal, except where SPARQL leaves the answer open.

A query file starts with directives, as comments (``#@ name: value``):
- ``compare: count`` only the number of rows is fixed (LIMIT or OFFSET without ORDER BY);
  ``compare: keys ?a ?b`` the rows are ordered by these and cut by a LIMIT: their sequence is
  fixed, the other columns of tied rows are not; ``compare: set`` (REDUCED) the distinct rows.
- ``dataset: query`` the query declares its dataset (FROM / FROM NAMED): Oxigraph runs it as
  it is, without the union default graph.
- ``default-graph-uri: IRI`` / ``named-graph-uri: IRI`` Protocol parameters (HTTP, and the
  library function that takes them; the command line has none).
- ``refused: 400`` / ``refused: 403`` every path refuses it (Oxigraph as a syntax error).
- ``planned`` the planner rewrites it (checked on the command line's path).
A ``␍`` in a file stands for a lone carriage return (editors and git keep those poorly).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from differential_data import RESULT_LIMIT, Published

from federator import query as cli
from federator.publish import snapshot
from federator.sparql import Refused, execute, plan

QUERIES = Path(__file__).parent / "queries"
UNION: dict[str, Any] = {"use_default_graph_as_union": True}
_BNODE = re.compile(r"_:[A-Za-z0-9_\-.]+")


@dataclass
class Case:
    name: str
    text: str
    compare: str = "bag"
    keys: list[str] = field(default_factory=list)
    declares_dataset: bool = False
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    refused: int | None = None
    planned: bool = False

    @property
    def protocol(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def load(path: Path) -> Case:
    text = path.read_bytes().decode("utf-8").replace("␍", "\r")
    case = Case(path.stem, text)
    for line in text.splitlines():
        if not line.startswith("#@"):
            continue
        name, _, value = line[2:].strip().partition(":")
        value = value.strip()
        if name == "compare":
            case.compare, *keys = value.split()
            case.keys = [k.lstrip("?") for k in keys]
        elif name == "dataset":
            case.declares_dataset = value == "query"
        elif name == "default-graph-uri":
            case.default_graphs.append(value)
        elif name == "named-graph-uri":
            case.named_graphs.append(value)
        elif name == "refused":
            case.refused = int(value)
        elif name == "planned":
            case.planned = True
    return case


CASES = [load(p) for p in sorted(QUERIES.glob("*.rq"))]


def test_there_are_enough_queries() -> None:
    assert len(CASES) >= 150


def term(t: Any) -> str:
    """A term's N-Triples 1.2 form, blank node labels made one (they name nothing outside)."""
    if t is None:
        return ""
    if isinstance(t, ox.Triple):
        return f"<<( {term(t.subject)} {term(t.predicate)} {term(t.object)} )>>"
    return _BNODE.sub("_:b", str(t))


def answer(result: Any) -> Any:
    """What a result says, as comparable values: a bool, or rows (a list), or triples."""
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return ("rows", names, [tuple(term(s[n]) for n in names) for s in result])
    return (
        "triples",
        Counter(f"{term(t.subject)} {term(t.predicate)} {term(t.object)}" for t in result),
    )


def same(case: Case, got: Any, expected: Any) -> None:
    if isinstance(expected, bool) or expected[0] == "triples":
        assert got == expected
        return
    _, names, rows = expected
    _, got_names, got_rows = got
    assert got_names == names
    if case.compare == "count":
        assert len(got_rows) == len(rows)
    elif case.compare == "set":
        assert set(got_rows) == set(rows)
    elif case.compare == "keys":
        index = [names.index(k) for k in case.keys]
        assert [tuple(r[i] for i in index) for r in got_rows] == [
            tuple(r[i] for i in index) for r in rows
        ]
    else:
        assert Counter(got_rows) == Counter(rows)


@pytest.fixture(scope="module")
def stores(published: Published) -> tuple[ox.Store, ox.Store]:
    """The store ``federator query`` opens, and a plain one on the same snapshot."""
    current = snapshot.open_current(published.data_dir)
    assert current is not None
    return current, ox.Store.read_only(str(published.snapshot))


def reference(store: ox.Store, case: Case) -> Any:
    if case.protocol:
        kwargs: dict[str, Any] = {
            "default_graph": [ox.NamedNode(g) for g in case.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in case.named_graphs],
        }
    else:
        kwargs = {} if case.declares_dataset else UNION
    return answer(store.query(case.text, **kwargs))


def over_http(client: httpx.Client, case: Case) -> tuple[int, Any]:
    form: dict[str, Any] = {"query": case.text}
    if case.default_graphs:
        form["default-graph-uri"] = case.default_graphs
    if case.named_graphs:
        form["named-graph-uri"] = case.named_graphs
    accept = "application/sparql-results+json, application/n-triples;q=0.9"
    r = client.post("/sparql", data=form, headers={"Accept": accept})
    if r.status_code != 200:
        return r.status_code, r.text
    assert "x-sparql-maxrows" not in r.headers
    if r.headers["content-type"].startswith("application/n-triples"):
        return 200, answer(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    return 200, answer(ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_path_answers_as_oxigraph(
    case: Case, stores: tuple[ox.Store, ox.Store], http: httpx.Client
) -> None:
    current, plain = stores
    if case.refused:
        if "SERVICE" not in case.text.upper():  # Oxigraph itself: never given a SERVICE
            with pytest.raises(SyntaxError):
                plain.query(case.text)
        if not case.protocol:
            with pytest.raises(cli.QueryError):
                cli.run_query(current, case.text)
        status, body = over_http(http, case)
        assert status == case.refused, body
        return
    expected = reference(plain, case)
    if not case.protocol:
        same(case, answer(cli.run_query(current, case.text)), expected)
    else:
        got = execute(current, case.text, case.default_graphs, case.named_graphs)
        same(case, answer(got), expected)
    status, body = over_http(http, case)
    assert status == 200, body
    same(case, body, expected)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.planned], ids=[c.name for c in CASES if c.planned]
)
def test_the_rewrite_engages(case: Case, stores: tuple[ox.Store, ox.Store]) -> None:
    current, _ = stores
    assert plan.plan(current, case.text, UNION) != case.text
    assert plan.plan(current, case.text, UNION, row_limit=RESULT_LIMIT) != case.text


def test_refusals_name_their_reason(stores: tuple[ox.Store, ox.Store]) -> None:
    current, _ = stores
    with pytest.raises(Refused) as refused:
        execute(current, "PREFIX x: <urn:x#> DELETE WHERE { ?s x:p ?o }")
    assert refused.value.status == 403
    with pytest.raises(Refused) as refused:
        execute(current, "SELECT * WHERE { ?s ?p }")
    assert refused.value.status == 400 and "error at 1:" in refused.value.message
