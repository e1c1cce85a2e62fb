"""The dataset described and dumped: ``/void`` (VoID + Service Description) and ``/dump/...``.

``GET /void`` (also ``/.well-known/void``, where VoID says to look) answers Turtle, JSON-LD or
N-Triples by ``Accept`` or ``?format=``; it is computed once per published snapshot.
``GET /dump/latest.nq.gz`` is the latest compressed N-Quads dump, with its SHA-256 at
``/dump/latest.nq.gz.sha256`` and as its ``ETag``.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from federator.publish import snapshot
from federator.push import dump, void
from federator.server import negotiate
from federator.server.templating import page
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
    if fmt is not None and fmt not in _FORMATS and fmt != "html":
        return PlainTextResponse("unknown format (" + ", ".join(_FORMATS) + ")\n", 400)
    if fmt is None and negotiate.prefers_html(request.headers.get("accept")):
        fmt = "html"  # a browser: the description on a page, with links to its formats
    if fmt is None:
        media = negotiate.choose(request.headers.get("accept"), list(_MEDIA))
        if media is None:
            return PlainTextResponse("acceptable: " + ", ".join(_MEDIA) + "\n", 406)
        fmt = _MEDIA[media]
    description: Description = request.app.state.void
    text = description.get(ctx)
    if text is None:
        return PlainTextResponse("nothing is published yet\n", 503)
    if fmt == "html":
        turtle = void.render(text, ox.RdfFormat.TURTLE).decode("utf-8")
        return page(request, "void.html", headers={"Vary": "Accept"}, turtle=turtle)
    media_type, rdf_format = _FORMATS[fmt]
    return Response(void.render(text, rdf_format), 200, {"Vary": "Accept"}, media_type=media_type)


# One dump is built at a time, on a thread of its own: requests that wait for it wait on the
# event loop, holding none of the threads that every other sync endpoint (/health) needs.
_DUMP_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dump")


def _current(data_dir: Path) -> bool:
    """Whether the last dump is of the graphs published now (no store opened to know)."""
    try:
        meta = json.loads((dump.folder(data_dir) / "latest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("graphs") == dump.content_key(data_dir) and dump.latest(data_dir) is not None


def _fresh_dump(data_dir: Path) -> None:
    """Build the dump from the current snapshot when the graphs changed since the last one."""
    if _current(data_dir):
        return
    store = snapshot.open_current(data_dir)
    if store is not None:
        dump.refresh_from(store, data_dir)


async def _ensure_dump(data_dir: Path) -> None:
    if not _current(data_dir):
        await asyncio.wrap_future(_DUMP_BUILDER.submit(_fresh_dump, data_dir))


async def dump_endpoint(request: Request) -> Response:
    """The latest dump (gzip-compressed N-Quads of every graph), built on first request."""
    ctx: Any = request.app.state.ctx
    await _ensure_dump(ctx.data_dir)
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


async def dump_checksum(request: Request) -> Response:
    """The SHA-256 of the latest dump, in ``sha256sum`` format."""
    ctx: Any = request.app.state.ctx
    await _ensure_dump(ctx.data_dir)
    checksum = dump.checksum(ctx.data_dir)
    if checksum is None:
        return PlainTextResponse("no dump has been written yet\n", 404)
    return PlainTextResponse(f"{checksum}  {dump.NAME}\n")
