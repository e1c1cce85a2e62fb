"""The dataset described and dumped: ``/void`` (VoID + Service Description) and ``/dump/...``.

``GET /void`` (also ``/.well-known/void``, where VoID says to look) answers Turtle, JSON-LD or
N-Triples by ``Accept`` or ``?format=``; it is computed once per published snapshot.
``GET /dump/latest.nq.gz`` is the latest compressed N-Quads dump, with its SHA-256 at
``/dump/latest.nq.gz.sha256`` and as its ``ETag``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from federator.publish import snapshot
from federator.push import dump, void
from federator.server import negotiate
from federator.vocab import Minter

_MEDIA = {  # first = the default
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/json": "jsonld",
}
_FORMATS = {
    "turtle": ("text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
}


class Description:
    """The VoID text of the current snapshot, recomputed when a newer one is published."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.snapshot: Path | None = None
        self.text = ""

    def get(self, ctx: Any) -> str | None:
        with self.lock:
            store = ctx.reader.get()
            if store is None:
                return None
            if ctx.reader.path != self.snapshot or not self.text:
                counts = void.graph_counts(store)
                self.text = void.describe(Minter(ctx.base_iri), counts)
                self.snapshot = ctx.reader.path
            return self.text


def void_endpoint(request: Request) -> Response:
    """The VoID and SPARQL Service Description of the published dataset."""
    ctx: Any = request.app.state.ctx
    fmt = request.query_params.get("format")
    if fmt is not None and fmt not in _FORMATS:
        return PlainTextResponse("unknown format (" + ", ".join(_FORMATS) + ")\n", 400)
    if fmt is None:
        media = negotiate.choose(request.headers.get("accept"), list(_MEDIA))
        if media is None:
            return PlainTextResponse("acceptable: " + ", ".join(_MEDIA) + "\n", 406)
        fmt = _MEDIA[media]
    description: Description = request.app.state.void
    text = description.get(ctx)
    if text is None:
        return PlainTextResponse("nothing is published yet\n", 503)
    media_type, rdf_format = _FORMATS[fmt]
    return Response(void.render(text, rdf_format), 200, {"Vary": "Accept"}, media_type=media_type)


_DUMP_LOCK = threading.Lock()  # one dump is built at a time; other requests wait for it


def _fresh_dump(data_dir: Path) -> None:
    """Build the dump from the current snapshot when the graphs changed since the last one."""
    with _DUMP_LOCK:
        store = snapshot.open_current(data_dir)
        if store is not None:
            dump.refresh_from(store, data_dir)


def dump_endpoint(request: Request) -> Response:
    """The latest dump (gzip-compressed N-Quads of every graph), built on first request."""
    ctx: Any = request.app.state.ctx
    _fresh_dump(ctx.data_dir)
    path = dump.latest(ctx.data_dir)
    if path is None:
        return PlainTextResponse("no dump has been written yet\n", 404)
    checksum = dump.checksum(ctx.data_dir)
    headers = {"ETag": f'"{checksum}"'} if checksum else {}
    if checksum and request.headers.get("if-none-match") == f'"{checksum}"':
        return Response(status_code=304, headers=headers)
    # Opened before its size is taken: a newer dump may replace the file meanwhile, and this
    # answer must be one whole file, old or new.
    fh = path.open("rb")
    headers["Content-Length"] = str(os.fstat(fh.fileno()).st_size)
    headers["Content-Disposition"] = f'attachment; filename="{dump.NAME}"'

    def chunks() -> Iterator[bytes]:
        with fh:
            while block := fh.read(1 << 16):
                yield block

    return StreamingResponse(chunks(), headers=headers, media_type="application/gzip")


def dump_checksum(request: Request) -> Response:
    """The SHA-256 of the latest dump, in ``sha256sum`` format."""
    ctx: Any = request.app.state.ctx
    _fresh_dump(ctx.data_dir)
    checksum = dump.checksum(ctx.data_dir)
    if checksum is None:
        return PlainTextResponse("no dump has been written yet\n", 404)
    return PlainTextResponse(f"{checksum}  {dump.NAME}\n")
