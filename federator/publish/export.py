"""Dumps of the published store (``federator export``, the served ``/dump``)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import IO

import pyoxigraph as ox

GRAPH_FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
DATASET_FORMATS = ("nquads", "trig", "jsonld")  # the formats that keep the named graphs


def export(store: ox.Store, fmt: str, output: Path | None, stdout: IO[bytes]) -> str | None:
    """Dump every graph; atomic file write, gzip for '.gz', a SHA-256 file beside it.
    Returns the file's SHA-256 (None when written to ``stdout``)."""
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
    _replace(output, data)
    checksum = hashlib.sha256(data).hexdigest()
    _replace(Path(str(output) + ".sha256"), f"{checksum}  {output.name}\n".encode())
    return checksum


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a reader never sees half a dump."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".export-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
