"""The graphs published locally, each with a digest and its N-Triples, as targets must hold them.

Graphs the publisher writes whole (sources, unified, links, federation, vocabulary, quality)
are read from what the store keeps of their last text (``data_dir/published``), so a graph is
only read when it is sent; a graph last patched (the unified graph, see
``Store.patch_graph``) has no such copy and is dumped from the store when it is sent. A graph
the store only appends to (provenance) has no digest either: it is read from the store itself
and digested each time. A graph whose last text is empty
(a source removed from the configuration) is not published any more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox

from federator.publish.store import Store
from federator.vocab import Minter

EMPTY = hashlib.sha256(b"").hexdigest()
# The order graphs are sent in: sources before what is derived from them, the log last.
ORDER = ("source/", "unified", "links", "federation", "vocabulary", "quality", "provenance", "void")


@dataclass(frozen=True)
class LocalGraph:
    iri: str
    digest: str
    body: Callable[[], bytes]  # the N-Triples to send


def store_text(store: ox.Store, graph: str) -> str:
    """A named graph's statements as N-Triples, a statement a line, sorted (a stable text)."""
    triples = (q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    lines = sorted(line for line in data.decode("utf-8").splitlines() if line.strip())
    return "".join(line + "\n" for line in lines)


def _published(store: Store, graph: str, digest: str) -> LocalGraph:
    def body() -> bytes:
        text = store.published_text(graph)
        if text is None:  # no copy (a patched graph) or written again meanwhile: as it stands
            data = store.ox.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            return data or b""
        return text.encode("utf-8")

    return LocalGraph(graph, digest, body)


def _stored(store: Store, graph: str) -> LocalGraph | None:
    data = store_text(store.ox, graph).encode("utf-8")
    if not data:
        return None
    return _constant(graph, data)


def _constant(graph: str, data: bytes) -> LocalGraph:
    return LocalGraph(graph, hashlib.sha256(data).hexdigest(), lambda: data)


def local_graphs(store: Store, extra: dict[str, str] | None = None) -> dict[str, LocalGraph]:
    """Every non-empty named graph of the store, plus ``extra`` graphs (IRI -> N-Triples),
    in the order they should be sent."""
    found: dict[str, LocalGraph] = {}
    for graph in store.graph_names():
        digest = store.published_digest(graph)
        if digest is None:
            g = _stored(store, graph)
            if g is not None:
                found[graph] = g
        elif digest != EMPTY:
            found[graph] = _published(store, graph, digest)
    for graph, text in (extra or {}).items():
        found[graph] = _constant(graph, text.encode("utf-8"))
    return dict(sorted(found.items(), key=lambda kv: (_rank(kv[0]), kv[0])))


def _rank(graph: str) -> int:
    name = graph.split("/graph/", 1)[-1]
    for i, prefix in enumerate(ORDER):
        if name.startswith(prefix):
            return i
    return len(ORDER)


def graph_prefix(minter: Minter) -> str:
    """Every graph federator publishes is named under this IRI."""
    return minter.graph("")
