"""The embedded Oxigraph store under ``data_dir/store``: atomic graph replacement, bulk loads.

Known traps of pyoxigraph 0.5 handled here: ``bulk_load`` is not transactional, so a graph is
replaced in one SPARQL Update (one transaction: a concurrent query sees the old graph or the
new one, never half); and with the default graph as union a statement stored in two graphs is
counted twice, so every statement lives in exactly one graph (see ``graphs``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

Triple = tuple[Node, Node, Node]
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def nt_term(term: Node) -> str:
    """N-Triples form of an rdflib term (rdflib's ``n3()`` is close but not N-Triples-exact)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = str(term).translate(_ESCAPES)
        if term.language:
            return f'"{text}"@{term.language}'
        if term.datatype and str(term.datatype) != _XSD_STRING:
            return f'"{text}"^^<{term.datatype}>'
        return f'"{text}"'
    if isinstance(term, BNode):
        return f"_:{term}"
    raise TypeError(type(term))


def nt_lines(triples: Iterable[Triple]) -> str:
    return "".join(f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in triples)


class Store:
    """Owner of the on-disk store; one process holds it read-write at a time."""

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        if path is None:
            self.ox = ox.Store()
        elif read_only:
            self.ox = ox.Store.read_only(str(path))
        else:
            path.mkdir(parents=True, exist_ok=True)
            self.ox = ox.Store(str(path))

    def replace_graph(self, graph: str, ntriples: str) -> None:
        """Replace one named graph with the given N-Triples, atomically."""
        update = (
            f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{ntriples}}} }}"
        )
        if not ntriples.strip():
            update = f"DROP SILENT GRAPH <{graph}>"
        self.ox.update(update)

    def replace_graphs(self, graphs: dict[str, str]) -> None:
        """Replace several named graphs in one transaction."""
        parts = []
        for graph, ntriples in graphs.items():
            parts.append(f"DROP SILENT GRAPH <{graph}>")
            if ntriples.strip():
                parts.append(f"INSERT DATA {{ GRAPH <{graph}> {{\n{ntriples}}} }}")
        if parts:
            self.ox.update(" ;\n".join(parts))

    def append(self, graph: str, ntriples: str) -> None:
        """Add statements to a graph in one transaction (the provenance log only grows)."""
        if ntriples.strip():
            self.ox.load(
                ntriples.encode("utf-8"),
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode(graph),
            )

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.ox.named_graphs() if isinstance(g, ox.NamedNode))

    def count(self, graph: str | None = None) -> int:
        g = ox.NamedNode(graph) if graph else None
        return sum(1 for _ in self.ox.quads_for_pattern(None, None, None, g))

    def flush(self) -> None:
        if self.path is not None:
            self.ox.flush()
