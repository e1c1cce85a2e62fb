"""A SPARQL query worker: a child process that answers queries over the current snapshot.

pyoxigraph cannot cancel a query, so queries run here, where the server can stop a runaway
one by killing the process. Each worker opens the current read-only snapshot and reopens it
when a publish made a newer one current. This module imports only what a worker needs, so a
worker (started with the ``spawn`` method) is ready quickly.

A query is read and refused here too (``federator.sparql``): Oxigraph's parse of a text can
take as long as running it over no data, so it happens where a time limit can stop it. And a
worker cuts itself off the network as it starts (a network namespace of its own, with no
interface up; see SECURITY.md), so that nothing it runs can reach an address, whatever the
read-only check let through.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import resource
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from federator import log
from federator.publish import snapshot
from federator.server.lifeline import die_with_parent
from federator.sparql import NO_SERVICE, Refused, requested_limit
from federator.sparql import execute as run_query

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
    max_bytes: int = 64 * 1024 * 1024  # of the answer's body (``server.max_answer_bytes``)


@dataclass
class Answer:
    """What a worker answers: an HTTP status, a media type and a body."""

    status: int
    media_type: str
    body: bytes
    truncated: bool = False
    rows: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None  # how the pool counts it, when the status does not say
    retire: bool = False  # the worker leaves after this answer (its memory ran out)

    @classmethod
    def text(cls, status: int, message: str, outcome: str | None = None) -> Answer:
        body = (message.rstrip() + "\n").encode("utf-8")
        return cls(status, "text/plain; charset=utf-8", body, outcome=outcome)


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
    try:
        result = run_query(
            store, job.query, job.default_graphs, job.named_graphs, row_limit=job.limit
        )
        if isinstance(result, ox.QueryBoolean):
            media, fmt = RESULT_TYPES[job.results]
            return Answer(200, media, result.serialize(format=fmt) or b"")
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, job)
        return _triples(result, job)
    except Refused as exc:
        outcome = "refused" if exc.status == 403 else "malformed"
        if exc.message == NO_SERVICE:
            outcome = "rejected"
        return Answer.text(exc.status, exc.message, outcome)
    except MemoryError:
        answer = Answer.text(500, OUT_OF_MEMORY, "memory")
        answer.retire = True
        return answer
    except (OSError, ValueError, TypeError) as exc:
        return Answer.text(500, f"the query failed: {exc}")


OUT_OF_MEMORY = (
    "the query needed more memory than a query worker may take (server.worker_memory) and "
    "was stopped; narrow it down (fewer or shorter values, LIMIT) and try again"
)


def too_large(limit: int) -> Answer:
    """The answer for a query whose answer would pass ``server.max_answer_bytes``."""
    return Answer.text(
        500,
        f"the answer is larger than {limit:,} bytes, the most this endpoint sends in one answer "
        "(server.max_answer_bytes); ask for fewer rows or shorter values",
        "too_large",
    )


def _solutions(result: ox.QuerySolutions, job: Job) -> Answer:
    # Serializing the iterator would write every row; to stop at the limit, the first rows are
    # written as SPARQL TSV (terms in their N-Triples 1.2 form), parsed back and serialized by
    # pyoxigraph itself, so every format stays exactly W3C and every term comes through.
    variables = result.variables
    lines = ["\t".join(f"?{v.value}" for v in variables)]
    truncated = False
    size = 0
    for n, solution in enumerate(result):
        if n >= job.limit:
            truncated = True
            break
        line = "\t".join(_cell(solution[v]) for v in variables)
        size += len(line)
        if size > job.max_bytes:
            return too_large(job.max_bytes)
        lines.append(line)
    if truncated:
        asked = requested_limit(job.query)
        if asked is not None and asked > job.limit:
            refused = Answer.text(400, _too_many(asked, job.limit), "rejected")
            refused.headers["X-SPARQL-MaxRows"] = str(job.limit)
            return refused
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    media, fmt = RESULT_TYPES[job.results]
    parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    body = parsed.serialize(format=fmt) or b""
    if len(body) > job.max_bytes:
        return too_large(job.max_bytes)
    return _limited(Answer(200, media, body, truncated, len(lines) - 1), job)


def _cell(term: Any) -> str:
    """A term as SPARQL TSV writes it: N-Triples, with a triple term as ``<<( s p o )>>``."""
    if term is None:
        return ""
    if isinstance(term, ox.Triple):  # str() gives the triple's statement, without brackets
        parts = (_cell(term.subject), _cell(term.predicate), _cell(term.object))
        return "<<( " + " ".join(parts) + " )>>"
    return str(term)


def _too_many(asked: int, limit: int) -> str:
    return (
        f"the answer has more than {limit} rows, the most this endpoint sends in one answer, "
        f"and the query asks for up to {asked} (LIMIT {asked}): ask for {limit} rows or fewer "
        f"at a time (LIMIT {limit}), in pages with ORDER BY and OFFSET"
    )


def _triples(result: ox.QueryTriples, job: Job) -> Answer:
    triples: list[ox.Triple] = []
    truncated = False
    size = 0
    for triple in result:
        if len(triples) >= job.limit:
            truncated = True
            break
        size += len(str(triple))
        if size > job.max_bytes:
            return too_large(job.max_bytes)
        triples.append(triple)
    media, fmt = GRAPH_TYPES[job.graph]
    if fmt == ox.RdfFormat.JSON_LD and any(_holds_triple_term(t) for t in triples):
        return Answer.text(
            406,
            "this graph holds triple terms (RDF 1.2), which JSON-LD cannot carry: "
            "ask for Turtle, N-Triples or RDF/XML",
            "rejected",
        )
    prefixes = PREFIXES if fmt == ox.RdfFormat.TURTLE else None
    body = ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
    if len(body) > job.max_bytes:
        return too_large(job.max_bytes)
    return _limited(Answer(200, media, body, truncated, len(triples)), job)


def _holds_triple_term(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.Triple) or isinstance(triple.object, ox.Triple)


def _limited(answer: Answer, job: Job) -> Answer:
    if answer.truncated:
        # Virtuoso's header for the same thing; clients that know it need nothing new.
        answer.headers["X-SPARQL-MaxRows"] = str(job.limit)
    return answer


CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def cut_off_network() -> str | None:
    """Move this process into a network namespace of its own, with no interface up.

    None when done: from then on no address (loopback included) can be reached, while the
    pipe to the server and the snapshot's files stay open. Otherwise why the kernel refused
    (user namespaces disabled, a seccomp filter, a multi-threaded process); SECURITY.md says
    what stands in then.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return "no C library to call unshare(2) through"
    libc = ctypes.CDLL(name, use_errno=True)
    reasons = []
    # A user namespace first, so that no privilege is needed; as root, a network one alone.
    for flags in (CLONE_NEWUSER | CLONE_NEWNET, CLONE_NEWNET):
        if libc.unshare(flags) == 0:
            return None
        reasons.append(os.strerror(ctypes.get_errno()))
    return "unshare(2) refused: " + "; ".join(dict.fromkeys(reasons))


def cap_memory(allowed: int) -> None:
    """Let this process take at most ``allowed`` bytes of memory beyond what it holds now:
    an allocation past it fails (Python's MemoryError, or an abort in Oxigraph), and the pool
    answers the query with an error status and replaces the worker.

    The limit is on the data segment (``RLIMIT_DATA``: heap and private writable mappings),
    not the address space: RocksDB reserves hundreds of megabytes of addresses that it never
    fills, and a query's values are what grows.
    """
    try:
        status = Path("/proc/self/status").read_text()
        found = re.search(r"VmData:\s+(\d+) kB", status)
        now = int(found.group(1)) * 1024 if found else 0
        limit = now + allowed
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (OSError, ValueError):  # no /proc, or a hard limit already lower: keep it
        pass


def main(
    data_dir: str,
    conn: Connection,
    parent: int,
    report: bool = True,
    memory: int | None = None,
) -> None:
    """Worker loop: receive a ``Job``, send an ``Answer``; stop at None or a closed pipe.

    ``report``: log it when the worker cannot cut itself off the network (the pool asks the
    first worker only, so that the warning comes once). ``memory``: bytes of address space
    the worker may take beyond what it starts with (``server.worker_memory``).
    """
    die_with_parent(parent)
    refused = cut_off_network()
    if refused is not None and report:
        log.configure()
        log.get("federator.sparql").warning(
            "sparql.worker_network",
            isolated=False,
            reason=refused,
            note="query workers can open network connections; see SECURITY.md",
        )
    # Ctrl-C in a terminal reaches the whole process group; the server decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory is not None:
        cap_memory(memory)
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
        except MemoryError:
            answer = Answer.text(500, OUT_OF_MEMORY, "memory")
            answer.retire = True
        except Exception as exc:  # a bug answers 500, and the worker goes on
            answer = Answer.text(500, f"internal error: {exc!r}")
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return
        if answer.retire:
            return
