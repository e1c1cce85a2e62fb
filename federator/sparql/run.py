"""Run a read-only query over the published store: its dataset, its plan, its refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from federator.sparql.plan import run_planned
from federator.sparql.reading import Reading, Refused, read, refusal
from federator.sparql.text import lone_crs_as_lf


def dataset(
    reading: Reading, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
) -> dict[str, Any]:
    """The keyword arguments of ``Store.query`` that give a query its dataset (SPARQL 1.1).

    The Protocol's ``default-graph-uri``/``named-graph-uri`` rule when a request gives any
    (a graph not given is not in the dataset: ``named-graph-uri`` alone leaves the default
    graph empty); else the query's ``FROM``/``FROM NAMED``; else the default graph is the
    union of all named graphs, and every named graph is available to ``GRAPH``.
    """
    if default_graphs or named_graphs:
        return {
            "default_graph": [_graph(g) for g in default_graphs],
            "named_graphs": [_graph(g) for g in named_graphs],
        }
    if reading.declares_dataset:
        return {}
    return {"use_default_graph_as_union": True}


def execute(
    store: ox.Store,
    sparql: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    row_limit: int | None = None,
) -> Any:
    """Run a query as Oxigraph reads it; raise ``Refused`` for what will not run.

    ``row_limit`` is the most rows the caller will read (the planner keeps the first rows
    quick below it).
    """
    reading = read(sparql)
    kwargs = dataset(reading, default_graphs, named_graphs)
    try:
        return run_planned(store, reading, kwargs, row_limit)
    except SyntaxError as exc:
        raise refusal(sparql, exc) from exc


def _graph(name: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(name)
    except ValueError as exc:
        raise Refused(400, f"a graph name must be an absolute IRI: {name!r} ({exc})") from exc


def requested_limit(sparql: str) -> int | None:
    """The ``LIMIT`` of a SELECT's outermost query, when it is plainly written; else None.

    Only to tell a client why its answer was cut off: it never changes what runs.
    """
    if "\\" in sparql or "limit" not in sparql.lower():
        return None
    from rdflib.plugins.sparql.parser import parseQuery  # loaded for cut-off answers only

    try:
        query = parseQuery(lone_crs_as_lf(sparql))[1]
    except Exception:  # noqa: BLE001 - unreadable to rdflib: no limit to name
        return None
    if query.name != "SelectQuery" or not query.limitoffset:
        return None
    limit = query.limitoffset.limit
    return None if limit is None else int(limit)
