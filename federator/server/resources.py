"""``GET /id/...``: every IRI minted under ``base_iri`` dereferences here.

The answer is DESCRIBE-like: every statement with the IRI as subject, in any graph, plus those
of its ``#fragment`` nodes and blank nodes it points at; as HTML for browsers, Turtle,
N-Triples or JSON-LD by ``Accept`` (or ``?format=``). A canonical algorithm that was merged
into another answers 301 to the survivor; one that no register describes any more, 410.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from federator.publish import snapshot
from federator.server import negotiate, pages
from federator.server.worker import GRAPH_TYPES, PREFIXES
from federator.state import State

MAX_STATEMENTS = 5000  # a description larger than this is cut off (no minted IRI comes close)
MAX_INCOMING = 200  # statements pointing at the resource shown on its HTML page
IS_REPLACED_BY = "http://purl.org/dc/terms/isReplacedBy"
_MEDIA = {  # first = the default: a bare client (curl, a library) wants data
    "text/turtle": "turtle",
    "text/html": "html",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/json": "jsonld",
}


class SnapshotReader:
    """The server's own read-only view of the current snapshot, for cheap lookups.

    Thread-safe; reopens when a publish made a newer snapshot current. Queries of unknown
    cost never run here: they go to the worker pool.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.lock = threading.Lock()
        self.path: Path | None = None
        self.store: ox.Store | None = None

    def get(self) -> ox.Store | None:
        with self.lock:
            path = snapshot.current(self.data_dir)
            if path is not None and (path != self.path or self.store is None):
                self.store = ox.Store.read_only(str(path))
                self.path = path
            return self.store


@dataclass
class Description:
    iri: str
    quads: list[ox.Quad]
    incoming: list[ox.Quad]

    def triples(self) -> list[ox.Triple]:
        seen: dict[ox.Triple, None] = {}
        for q in self.quads:
            seen.setdefault(q.triple, None)
        return list(seen)


def describe(store: ox.Store, iri: str, incoming: bool = False) -> Description:
    """Statements about ``iri``, its ``#fragment`` nodes and the blank nodes it points at."""
    out: list[ox.Quad] = []
    todo: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(iri)]
    seen: set[str] = {str(todo[0])}
    while todo and len(out) < MAX_STATEMENTS:
        subject = todo.pop(0)
        for quad in store.quads_for_pattern(subject, None, None, None):
            out.append(quad)
            obj = quad.object
            inner = isinstance(obj, ox.BlankNode) or (
                isinstance(obj, ox.NamedNode) and obj.value.startswith(iri + "#")
            )
            if inner and str(obj) not in seen:
                seen.add(str(obj))
                todo.append(obj)  # type: ignore[arg-type]
    back: list[ox.Quad] = []
    if incoming:
        for quad in store.quads_for_pattern(None, None, ox.NamedNode(iri), None):
            back.append(quad)
            if len(back) >= MAX_INCOMING:
                break
    return Description(iri, out[:MAX_STATEMENTS], back)


def _canonical(data_dir: Path, token: str) -> dict[str, Any] | None:
    state = State(data_dir)
    try:
        row = state.db.execute("SELECT * FROM canonicals WHERE token = ?", (token,)).fetchone()
        return dict(row) if row else None
    finally:
        state.close()


def survivor(data_dir: Path, token: str) -> tuple[str | None, bool]:
    """(the token that replaced ``token``, following chains; whether ``token`` is retired)."""
    row = _canonical(data_dir, token)
    if row is None:
        return None, False
    current, hops = row, 0
    while current and current.get("replaced_by") and hops < 20:
        nxt = _canonical(data_dir, current["replaced_by"])
        if nxt is None:
            return current["replaced_by"], False
        current, hops = nxt, hops + 1
    if current is row:
        return None, bool(row.get("retired_at"))
    return current["token"], False


def local_path(iri: str, base_iri: str) -> str | None:
    """The request path that dereferences ``iri``, when it is minted here."""
    if iri.startswith(base_iri + "id/"):
        return "/" + iri[len(base_iri) :]
    return None


def endpoint(request: Request) -> Response:
    """Dereference ``/id/{rest}`` (sync: Starlette runs it in its thread pool)."""
    ctx: Any = request.app.state.ctx
    rest = request.path_params["rest"]
    iri = f"{ctx.base_iri}id/{rest}"
    lang = pages.lang_of(request)
    fmt = request.query_params.get("format")
    if fmt not in (None, "html", "turtle", "jsonld", "ntriples"):
        return PlainTextResponse("unknown format (html, turtle, jsonld, ntriples)\n", 400)
    if fmt is None:
        media = negotiate.choose(request.headers.get("accept"), list(_MEDIA))
        if media is None:
            return PlainTextResponse("acceptable: " + ", ".join(_MEDIA) + "\n", 406)
        fmt = _MEDIA[media]
    if rest.startswith("algorithm/") and "/" not in rest[len("algorithm/") :]:
        token = rest[len("algorithm/") :]
        replacement, retired = survivor(ctx.data_dir, token)
        if replacement:
            return _moved(request, f"/id/algorithm/{replacement}")
    else:
        retired = False
    store = ctx.reader.get()
    if store is None:
        return PlainTextResponse("nothing is published yet\n", 503)
    desc = describe(store, iri, incoming=fmt == "html")
    for quad in desc.quads:
        target = quad.object
        if str(quad.subject) == f"<{iri}>" and quad.predicate.value == IS_REPLACED_BY:
            if not isinstance(target, ox.NamedNode):
                continue
            return _moved(request, local_path(target.value, ctx.base_iri) or target.value)
    if not desc.quads:
        status, key = (410, "gone") if retired else (404, "not_found")
        if fmt == "html":
            return HTMLResponse(pages.missing(iri, key, lang, request.url.path), status_code=status)
        return PlainTextResponse(f"{pages.t(key, 'en')}: {iri}\n", status)
    headers = {"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'}
    if fmt == "html":
        return HTMLResponse(
            pages.resource(desc, ctx.base_iri, lang, request.url.path), 200, headers
        )
    media_type, rdf_format = GRAPH_TYPES[fmt]
    prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
    body = ox.serialize(desc.triples(), format=rdf_format, prefixes=prefixes) or b""
    return Response(body, 200, headers, media_type=media_type)


def _moved(request: Request, path: str) -> Response:
    if request.url.query and path.startswith("/"):
        path += "?" + request.url.query
    return RedirectResponse(path, status_code=301)
