"""Hash joins for large subject stars, which Oxigraph does not choose on its own.

Oxigraph plans a basic graph pattern without statistics and joins it by nested loops: for each
solution so far it looks the next pattern up, one RocksDB seek each (about 10 µs from a store on
disk). For ``?record a dcat:CatalogRecord ; dcterms:identifier ?id ; foaf:primaryTopic ?a``
over 100,000 records that is 200,000 seeks, most of the contract query's 5 to 9 s. Reading each
of those patterns once and joining the readings in memory takes about 1.2 s. A pattern inside a
sub-select is evaluated on its own and hash-joined with the rest, so that is the rewrite:

    ?r a dcat:CatalogRecord ; dcterms:identifier ?id .
      becomes
    { SELECT * WHERE { ?r a dcat:CatalogRecord } } { SELECT * WHERE { ?r dcterms:identifier ?id } }

A BGP's solutions are the join of its patterns' solutions whatever the grouping, so the answer
is the same. The rewrite is kept to where that is plain and where it pays:
- a SELECT whose WHERE clause is one block of triple patterns (no FILTER, OPTIONAL, GRAPH,
  sub-select, VALUES, dataset clause, property path or blank node);
- every solution is needed: ORDER BY, GROUP BY or an aggregate, or no LIMIT and no row cap
  below ``BIG`` (nested loops give the first rows at once; a hash join reads everything first);
- no pattern names a resource or a value (other than the class of ``rdf:type``): with one, such
  as ``?c dcterms:identifier "utrecht"``, nested loops start from the few solutions it has;
- a star (patterns sharing a variable subject) of two or more patterns; it and every other
  pattern sharing one of its variables must each have at least ``BIG`` solutions. That is
  checked by counting at most ``BIG`` solutions of each pattern (a few milliseconds each), so a
  small pattern nearby (``?org skos:prefLabel ?name``) keeps the nested loops.
Anything else, or anything the parser does not take, runs as written.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.namespace import RDF

from federator.sparqltext import keywords, masked

BIG = 10_000  # solutions from which a pattern is read whole rather than looked up

_EVERY_SOLUTION = {"ORDER", "GROUP", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
_NOT_PLANNED = {
    "OPTIONAL",
    "FILTER",
    "UNION",
    "MINUS",
    "GRAPH",
    "BIND",
    "SERVICE",
    "EXISTS",
    "VALUES",
    "FROM",
}

Triple = tuple[Any, Any, Any]


def plan(
    store: ox.Store,
    sparql: str,
    dataset: dict[str, Any],
    row_limit: int | None = None,
    big: int | None = None,
) -> str:
    """The query to run: ``sparql`` itself, or the same query with its large stars hash-joined.

    ``dataset`` holds the keyword arguments the query will run with (its default graph),
    ``row_limit`` the most rows the caller will read.
    """
    big = BIG if big is None else big
    words = keywords(sparql)
    if not _plannable(words, row_limit, big):
        return sparql
    triples = _triples(sparql)
    if not triples or any(_names_a_term(t) for t in triples):
        return sparql
    counts = _Counts(store, dataset, big)
    split = [star for star in _stars(triples) if _worth_splitting(star, triples, counts)]
    if not split:
        return sparql
    where = _where_span(sparql)
    if where is None:
        return sparql
    return sparql[: where[0]] + _group(triples, split) + sparql[where[1] :]


def _plannable(words: list[str], row_limit: int | None, big: int) -> bool:
    first = next((w for w in words if w not in ("PREFIX", "BASE")), None)
    if first != "SELECT" or words.count("SELECT") != 1 or _NOT_PLANNED.intersection(words):
        return False
    if _EVERY_SOLUTION.intersection(words):
        return True
    return "LIMIT" not in words and (row_limit is None or row_limit > big)


def _triples(sparql: str) -> list[Triple] | None:
    """The WHERE clause's triple patterns, when it is exactly one block of them."""
    # Imported here: most queries never get this far, and rdflib's SPARQL parser is slow to load.
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(sparql)
        query = tree[1]
        parts = query.where.part
        if query.name != "SelectQuery" or query.datasetClause or len(parts) != 1:
            return None
        if parts[0].name != "TriplesBlock":
            return None
        bgps = list(_bgps(translateQuery(tree).algebra))
    except Exception:  # noqa: BLE001 - whatever rdflib cannot take runs unplanned
        return None
    if len(bgps) != 1:
        return None
    triples = [tuple(t) for t in bgps[0]["triples"]]
    for s, p, o in triples:
        if not isinstance(p, URIRef) or any(isinstance(term, BNode) for term in (s, o)):
            return None
        if not all(isinstance(term, (Variable, URIRef, Literal)) for term in (s, o)):
            return None
    return triples


def _bgps(node: Any) -> Any:
    if getattr(node, "name", None) == "BGP":
        yield node
        return
    if isinstance(node, dict):
        for value in node.values():
            yield from _bgps(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _bgps(value)


def _stars(triples: list[Triple]) -> list[list[Triple]]:
    by_subject: dict[Variable, list[Triple]] = defaultdict(list)
    for triple in triples:
        if isinstance(triple[0], Variable):
            by_subject[triple[0]].append(triple)
    return [star for star in by_subject.values() if len(star) > 1]


def _names_a_term(triple: Triple) -> bool:
    s, p, o = triple
    return not isinstance(s, Variable) or not (isinstance(o, Variable) or p == RDF.type)


class _Counts:
    """Solutions per pattern, counted up to ``big`` and remembered for the query."""

    def __init__(self, store: ox.Store, dataset: dict[str, Any], big: int) -> None:
        self.store, self.dataset, self.big = store, dataset, big
        self.known: dict[Triple, int] = {}

    def large(self, triple: Triple) -> bool:
        if triple not in self.known:
            probe = (
                f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT * WHERE {{ {_n3(triple)} }} "
                f"LIMIT {self.big} }}"
            )
            solutions = self.store.query(probe, **self.dataset)
            assert isinstance(solutions, ox.QuerySolutions)
            self.known[triple] = int(next(solutions)["n"].value)
        return self.known[triple] >= self.big


def _worth_splitting(star: list[Triple], triples: list[Triple], counts: _Counts) -> bool:
    names = {term for triple in star for term in triple if isinstance(term, Variable)}
    neighbours = [
        t
        for t in triples
        if t not in star and any(term in names for term in t if isinstance(term, Variable))
    ]
    # Class patterns first: they are the likeliest to be small, and one small pattern settles it.
    ordered = sorted(star, key=lambda t: t[1] != RDF.type) + neighbours
    return all(counts.large(triple) for triple in ordered)


def _where_span(sparql: str) -> tuple[int, int] | None:
    """Where the WHERE clause's braces open and close (both included)."""
    text = masked(sparql)
    start = text.find("{")
    end = text.find("}", start)
    if start < 0 or end < 0 or "{" in text[start + 1 : end]:
        return None
    return start, end + 1


def _group(triples: list[Triple], split: list[list[Triple]]) -> str:
    apart = {triple for star in split for triple in star}
    lines = [f"  {_n3(t)} ." for t in triples if t not in apart]
    lines += [f"  {{ SELECT * WHERE {{ {_n3(t)} }} }}" for t in triples if t in apart]
    return "{\n" + "\n".join(lines) + "\n}"


def _n3(triple: Triple) -> str:
    return " ".join(term.n3() for term in triple)
