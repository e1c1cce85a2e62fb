"""A SPARQL query worker: a child process that answers queries over the current snapshot.

pyoxigraph cannot cancel a query, so queries run here, where the server can stop a runaway
one by killing the process. Each worker opens the current read-only snapshot and reopens it
when a publish made a newer one current. This module imports only what a worker needs, so a
worker (started with the ``spawn`` method) is ready quickly.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from federator.plan import run_planned
from federator.publish import snapshot
from federator.server.lifeline import die_with_parent

RESULT_TYPES: dict[str, tuple[str, ox.QueryResultsFormat]] = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv; charset=utf-8", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values; charset=utf-8", ox.QueryResultsFormat.TSV),
}
GRAPH_TYPES: dict[str, tuple[str, ox.RdfFormat]] = {
    "turtle": ("text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
}
PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "reg": "https://w3id.org/federator/vocab#",
}


@dataclass(frozen=True)
class Job:
    """One query to answer, with the formats the client accepts for each kind of result."""

    query: str
    results: str = "json"  # a key of RESULT_TYPES, for SELECT and ASK
    graph: str = "turtle"  # a key of GRAPH_TYPES, for CONSTRUCT and DESCRIBE
    limit: int = 10000
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass
class Answer:
    """What a worker answers: an HTTP status, a media type and a body."""

    status: int
    media_type: str
    body: bytes
    truncated: bool = False
    rows: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def text(cls, status: int, message: str) -> Answer:
        return cls(status, "text/plain; charset=utf-8", (message.rstrip() + "\n").encode("utf-8"))


class SnapshotView:
    """The current snapshot, opened read-only and reopened when a newer one is current."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path: Path | None = None
        self.store: ox.Store | None = None

    def get(self) -> ox.Store | None:
        path = snapshot.current(self.data_dir)
        if path is None:
            return self.store  # keep answering from what is open if the pointer vanished
        if path != self.path or self.store is None:
            self.store = ox.Store.read_only(str(path))
            self.path = path
        return self.store


def execute(view: SnapshotView, job: Job) -> Answer:
    """Run one query and serialize its result; never raises for the query's own faults."""
    try:
        store = view.get()
    except OSError as exc:
        return Answer.text(503, f"the published graph cannot be opened: {exc}")
    if store is None:
        return Answer.text(503, "nothing is published yet")
    kwargs: dict[str, Any] = {}
    if job.default_graphs:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if job.named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    try:
        result = run_planned(store, job.query, kwargs, row_limit=job.limit)
        if isinstance(result, ox.QueryBoolean):
            media, fmt = RESULT_TYPES[job.results]
            return Answer(200, media, result.serialize(format=fmt) or b"")
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, job)
        return _triples(result, job)
    except SyntaxError as exc:
        return Answer.text(400, f"malformed query: {exc}")
    except (OSError, ValueError, TypeError) as exc:
        return Answer.text(500, f"the query failed: {exc}")


def _solutions(result: ox.QuerySolutions, job: Job) -> Answer:
    # Serializing the iterator would write every row; to stop at the limit, the first rows are
    # written as SPARQL TSV (terms in their N-Triples form, which str() gives), parsed back and
    # serialized by pyoxigraph itself, so every format stays exactly W3C.
    variables = result.variables
    lines = ["\t".join(f"?{v.value}" for v in variables)]
    truncated = False
    for n, solution in enumerate(result):
        if n >= job.limit:
            truncated = True
            break
        cells = (solution[v] for v in variables)
        lines.append("\t".join("" if c is None else str(c) for c in cells))
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    media, fmt = RESULT_TYPES[job.results]
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    body = parsed.serialize(format=fmt) or b""
    return _limited(Answer(200, media, body, truncated, len(lines) - 1), job)


def _triples(result: ox.QueryTriples, job: Job) -> Answer:
    triples: list[ox.Triple] = []
    truncated = False
    for triple in result:
        if len(triples) >= job.limit:
            truncated = True
            break
        triples.append(triple)
    media, fmt = GRAPH_TYPES[job.graph]
    prefixes = PREFIXES if fmt == ox.RdfFormat.TURTLE else None
    body = ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
    return _limited(Answer(200, media, body, truncated, len(triples)), job)


def _limited(answer: Answer, job: Job) -> Answer:
    if answer.truncated:
        # Virtuoso's header for the same thing; clients that know it need nothing new.
        answer.headers["X-SPARQL-MaxRows"] = str(job.limit)
    return answer


def main(data_dir: str, conn: Connection, parent: int) -> None:
    """Worker loop: receive a ``Job``, send an ``Answer``; stop at None or a closed pipe."""
    die_with_parent(parent)
    # Ctrl-C in a terminal reaches the whole process group; the server decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    view = SnapshotView(Path(data_dir))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            answer = execute(view, job)
        except Exception as exc:  # a bug answers 500, and the worker goes on
            answer = Answer.text(500, f"internal error: {exc!r}")
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return
