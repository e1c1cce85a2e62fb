"""Read-only SPARQL over the published store, and dumps of it (``query`` and ``export``)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from federator.plan import run_planned

RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
GRAPH_FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
DATASET_FORMATS = ("nquads", "trig", "jsonld")


class QueryError(Exception):
    """A malformed or refused query; the message is the parser's."""


def run_query(store: ox.Store, sparql: str) -> Any:
    """Run a read-only query with the union of all graphs as default graph."""
    from federator.server.sparql import Refused, check_read_only

    try:
        check_read_only(sparql)  # updates and SERVICE are refused without running anything
    except Refused as exc:
        raise QueryError(exc.message) from exc
    dataset: dict[str, Any] = {"use_default_graph_as_union": True}
    try:
        return run_planned(store, sparql, dataset)
    except SyntaxError as exc:
        raise QueryError(str(exc)) from exc


def write_results(result: Any, fmt: str, out: IO[bytes]) -> None:
    """SELECT/ASK in the W3C result formats (or a plain table); CONSTRUCT as N-Triples/Turtle."""
    if isinstance(result, ox.QueryTriples):
        fmt_ = ox.RdfFormat.TURTLE if fmt in ("table", "turtle") else ox.RdfFormat.N_TRIPLES
        out.write(result.serialize(format=fmt_) or b"")
        return
    if fmt == "table":
        out.write(_table(result).encode("utf-8"))
        return
    data = result.serialize(format=RESULT_FORMATS[fmt])
    out.write(data or b"")


def _table(result: Any) -> str:
    if isinstance(result, ox.QueryBoolean):
        return ("true" if bool(result) else "false") + "\n"
    names = [v.value for v in result.variables]
    rows = [[_plain(sol[n]) for n in names] for sol in result]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    widths = [min(w, 80) for w in widths]
    lines = [" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for r in rows:
        lines.append(" | ".join(c[:80].ljust(w) for c, w in zip(r, widths, strict=True)))
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines) + "\n"


def _plain(term: Any) -> str:
    if term is None:
        return ""
    return str(term.value)


def export(store: ox.Store, fmt: str, output: Path | None, stdout: IO[bytes]) -> str | None:
    """Dump every graph; atomic file write, gzip for '.gz', a SHA-256 file beside it."""
    buffer = io.BytesIO()
    if fmt in DATASET_FORMATS:
        store.dump(buffer, format=GRAPH_FORMATS[fmt])
    else:
        # Graph-only formats get the union of all graphs (without duplicates).
        result = store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert isinstance(result, ox.QueryTriples)
        buffer.write(result.serialize(format=GRAPH_FORMATS[fmt]) or b"")
    data = buffer.getvalue()
    if output is None:
        stdout.write(data)
        return None
    if output.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".export-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, output)
    checksum = hashlib.sha256(data).hexdigest()
    side = Path(str(output) + ".sha256")
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=".export-sum-")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{checksum}  {output.name}\n")
    os.replace(tmp, side)
    return checksum


def as_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, default=str)
