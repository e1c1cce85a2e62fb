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
  sub-select, VALUES, dataset clause, property path, variable predicate or blank node);
- every solution is needed: ORDER BY, GROUP BY or an aggregate, or no LIMIT and no row cap
  at or below ``BIG`` (nested loops give the first rows at once; a hash join reads everything
  first);
- no BASE, no escaped local names (rdflib and Oxigraph read those differently), and no
  pattern names a resource or a value other than the class of ``rdf:type``: with one, such as
  ``?c dcterms:identifier "utrecht"``, nested loops start from the few solutions it has;
- a star (patterns sharing a variable subject) of two or more patterns, each with at least
  ``BIG`` solutions, and each group of the other patterns joined to it (say, the catalogues
  and their ``dcat:record`` links) has at least ``BIG`` solutions too: otherwise nested loops
  enter the star from those few. Each count stops at ``BIG`` solutions: milliseconds for a
  pattern, tens of milliseconds for a group that reaches it. A group whose patterns are large
  and whose join is small is read whole, about what the lookups would have cost.
One reading: a query is only rewritten when rdflib's reading of it is Oxigraph's. So the text
must be plainly written (no backslash, no carriage return outside CRLF: ``text``), hold no
SERVICE and declare no dataset (``reading``), and Oxigraph must accept it as written (no
prefix that only rdflib predeclares); and rdflib must read the rewritten text as the same query
with only its WHERE clause changed (so the clause replaced is the one rdflib and Oxigraph read),
and Oxigraph accept that too. Anything else runs as written, and so does a rewrite Oxigraph
refuses, so that its error is about the text the user wrote.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from federator.sparql.reading import Reading, probe, read
from federator.sparql.text import keywords, masked, plainly_written

BIG = 10_000  # solutions from which a pattern is read whole rather than looked up

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
# Words that may make a query read every solution whatever its LIMIT. Bare words can only say
# "maybe" (ex:item-count has COUNT in it): the parse tree decides.
_MAY_READ_ALL = {
    "ORDER",
    "GROUP",
    "HAVING",
    "COUNT",
    "SUM",
    "MIN",
    "MAX",
    "AVG",
    "SAMPLE",
    "GROUP_CONCAT",
}
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

Triple = tuple[str, str, str]  # terms as SPARQL writes them: ?var, <iri>, "literal"


def run_planned(
    store: ox.Store, reading: Reading, dataset: dict[str, Any], row_limit: int | None = None
) -> Any:
    """``store.query`` of the planned query; of the query as written if Oxigraph refuses it.

    ``reading`` is the query ``reading.read`` let through (no SERVICE).
    """
    sparql = reading.text
    planned = plan(store, reading, dataset, row_limit)
    if planned != sparql:
        try:
            return store.query(planned, **dataset)
        except SyntaxError:
            pass  # its error would be about a text nobody wrote
    return store.query(sparql, **dataset)


def plan(
    store: ox.Store,
    query: str | Reading,
    dataset: dict[str, Any],
    row_limit: int | None = None,
    big: int | None = None,
) -> str:
    """The query to run: the text itself, or the same query with its large stars hash-joined.

    ``query`` is a text, or its ``reading.read``; ``dataset`` holds the keyword arguments the
    query will run with (its default graph), ``row_limit`` the most rows the caller will read.
    """
    sparql = query if isinstance(query, str) else query.text
    try:
        return _plan(store, query, dataset, row_limit, BIG if big is None else big)
    except Exception:  # noqa: BLE001 - what the planner cannot read or count runs as written
        return sparql


def _plan(
    store: ox.Store,
    query: str | Reading,
    dataset: dict[str, Any],
    row_limit: int | None,
    big: int,
) -> str:
    sparql = query if isinstance(query, str) else query.text
    words = keywords(sparql)
    first = next((w for w in words if w != "PREFIX"), None)  # a BASE comes first: not planned
    if first != "SELECT" or words.count("SELECT") != 1 or _NOT_PLANNED.intersection(words):
        return sparql
    # Without ORDER BY, GROUP BY or an aggregate, a LIMIT or a row cap at or below BIG is
    # reached by nested loops from at most that many solutions: fewer than reading a pattern
    # of at least BIG whole. For the cap, that is settled on the bare words, so that the
    # endpoint's capped listings are not parsed at all (a LIMIT is left to the parse tree: a
    # name such as ex:speed-limit has the word in it).
    capped = row_limit is not None and row_limit <= big
    if capped and not _MAY_READ_ALL.intersection(words):
        return sparql
    # Refuses a SERVICE (the planner probes only texts that call nothing), tells a dataset.
    reading = read(sparql) if isinstance(query, str) else query
    if not reading.plain or reading.declares_dataset:
        return sparql
    where = _where_span(masked(sparql))
    if where is None:
        return sparql
    found = _read(sparql)
    if found is None:
        return sparql
    triples, reads_all, limited, outside = found
    if not reads_all and (limited or capped):
        return sparql
    if any(_names_a_term(t) for t in triples):
        return sparql
    if probe(sparql) is not None:  # Oxigraph refuses it as written: its error, not a rewrite
        return sparql
    counts = _Counts(store, dataset, big)
    split = [star for star in _stars(triples) if _worth_splitting(star, triples, counts)]
    if not split:
        return sparql
    clause = _where_clause(triples, split)
    planned = sparql[: where[0]] + clause + sparql[where[1] :]
    if not plainly_written(planned) or not _only_where_differs(outside, planned, clause):
        return sparql
    if probe(planned) is not None:
        return sparql
    return planned


def _read(sparql: str) -> tuple[list[Triple], bool, bool, Any] | None:
    """The WHERE clause's triple patterns in the order written, when it is exactly one block
    of them; whether the query reads every solution whatever its LIMIT (ORDER BY, GROUP BY,
    an aggregate); whether it has a LIMIT; and its parse tree outside the WHERE clause."""
    # Imported here: most queries never get this far, and rdflib is slow to load.
    from rdflib import Literal, URIRef, Variable
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    tree = parseQuery(sparql)
    query = tree[1]
    if query.name != "SelectQuery" or query.datasetClause or len(query.where.part) != 1:
        return None
    outside = _outside_where(tree)  # before translateQuery resolves names in place
    if query.where.part[0].name != "TriplesBlock":
        return None
    algebra = translateQuery(tree).algebra  # also resolves the block's names, in place
    if sum(1 for _ in _nodes(algebra, "BGP")) != 1:
        return None
    reads_all = bool(
        query.orderby
        or query.groupby
        or query.having
        or next(_nodes(algebra, "AggregateJoin"), None) is not None
    )
    limited = bool(query.limitoffset and query.limitoffset.limit is not None)
    triples: list[Triple] = []
    for same_subject in query.where.part[0].triples:
        terms = list(same_subject)
        for i in range(0, len(terms), 3):
            s, p, o = terms[i : i + 3]
            if not isinstance(p, URIRef):
                return None  # a property path, or a variable predicate
            if not all(isinstance(term, Variable | URIRef | Literal) for term in (s, o)):
                return None  # a blank node
            triples.append((s.n3(), p.n3(), o.n3()))
    return triples, reads_all, limited, outside


def _only_where_differs(outside: Any, planned: str, clause: str) -> bool:
    """Whether rdflib reads ``planned`` as the query whose tree outside its WHERE clause is
    ``outside``, with ``clause`` for its WHERE clause.

    The clause replaced was found by a lexer of our own; this is what makes sure it is the
    WHERE clause that rdflib (and so Oxigraph, on a plainly written text) reads.
    """
    from rdflib.plugins.sparql.parser import parseQuery

    after = parseQuery(planned)
    if _outside_where(after) != outside:
        return False
    alone = parseQuery("SELECT * " + clause)
    return bool(_tree(after[1]["where"]) == _tree(alone[1]["where"]))


def _outside_where(tree: Any) -> Any:
    """A query's prologue and the rest of its parse tree but the WHERE clause, comparable."""
    return _tree(tree[0]), [(k, _tree(v)) for k, v in tree[1].items() if k != "where"]


def _tree(node: Any) -> Any:
    """A parse tree of rdflib's as plain tuples, to compare."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        return (node.name, tuple((k, _tree(v)) for k, v in node.items()))
    if isinstance(node, ParseResults | list | tuple):
        return tuple(_tree(v) for v in node)
    if isinstance(node, dict):
        return tuple(sorted((str(k), _tree(v)) for k, v in node.items()))
    return (type(node).__name__, repr(node))


def _nodes(node: Any, name: str) -> Any:
    if getattr(node, "name", None) == name:
        yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _nodes(value, name)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _nodes(value, name)


def _names_a_term(triple: Triple) -> bool:
    s, p, o = triple
    return not s.startswith("?") or not (o.startswith("?") or (p == _RDF_TYPE and o[0] == "<"))


def _stars(triples: list[Triple]) -> list[list[Triple]]:
    by_subject: dict[str, list[Triple]] = {}
    for triple in triples:
        by_subject.setdefault(triple[0], []).append(triple)
    return [star for star in by_subject.values() if len(star) > 1]


class _Counts:
    """Solutions of a pattern or a group of patterns, counted up to ``big``, remembered."""

    def __init__(self, store: ox.Store, dataset: dict[str, Any], big: int) -> None:
        self.store, self.dataset, self.big = store, dataset, big
        self.known: dict[frozenset[Triple], int] = {}

    def large(self, group: list[Triple]) -> bool:
        key = frozenset(group)
        if key not in self.known:
            patterns = " ".join(f"{_n3(t)} ." for t in group)
            probe = (
                f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT * WHERE {{ {patterns} }} "
                f"LIMIT {self.big} }}"
            )
            solutions = self.store.query(probe, **self.dataset)
            assert isinstance(solutions, ox.QuerySolutions)
            self.known[key] = int(next(solutions)["n"].value)
        return self.known[key] >= self.big


def _worth_splitting(star: list[Triple], triples: list[Triple], counts: _Counts) -> bool:
    # Class patterns first: they are the likeliest to be small, and one small pattern settles it.
    own = sorted(star, key=lambda t: t[1] != _RDF_TYPE)
    if not all(counts.large([t]) for t in own):
        return False
    others = [t for t in triples if t not in star]
    return all(counts.large(group) for group in _joined_to(star, others))


def _joined_to(star: list[Triple], others: list[Triple]) -> list[list[Triple]]:
    """The other patterns in groups connected by shared variables, those that touch the star."""
    groups: list[tuple[set[str], list[Triple]]] = []
    for triple in others:
        names = {term for term in triple if term.startswith("?")}
        touching = [g for g in groups if g[0] & names]
        merged = (names.union(*(g[0] for g in touching)), [x for g in touching for x in g[1]])
        merged[1].append(triple)
        groups = [g for g in groups if g not in touching] + [merged]
    star_names = {term for triple in star for term in triple if term.startswith("?")}
    return [patterns for names, patterns in groups if names & star_names]


def _where_span(text: str) -> tuple[int, int] | None:
    """Where the WHERE clause's braces open and close (both included) in the ``masked`` query.
    Sub-selects, EXISTS and VALUES were refused before, so the first braces outside strings,
    IRIs and comments are the WHERE clause's, and nothing inside it has braces (a guess that
    ``_only_where_differs`` checks against rdflib's parse)."""
    start = text.find("{")
    end = text.find("}", start)
    if start < 0 or end < 0 or "{" in text[start + 1 : end]:
        return None
    return start, end + 1


def _where_clause(triples: list[Triple], split: list[list[Triple]]) -> str:
    apart = {triple for star in split for triple in star}
    lines = [f"  {_n3(t)} ." for t in triples if t not in apart]
    lines += [f"  {{ SELECT * WHERE {{ {_n3(t)} }} }}" for t in triples if t in apart]
    return "{\n" + "\n".join(lines) + "\n}"


def _n3(triple: Triple) -> str:
    return " ".join(triple)
