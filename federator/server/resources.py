"""``GET /id/...``: every IRI minted under ``base_iri`` dereferences here.

The answer is DESCRIBE-like: every statement with the IRI as subject, in any graph, plus those
of its ``#fragment`` nodes and blank nodes it points at; as HTML for browsers, Turtle,
N-Triples or JSON-LD by ``Accept`` (or ``?format=``). A canonical algorithm that was merged
into another answers 301 to the survivor; one that no register describes any more, 410.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from federator.server import labels, negotiate, site
from federator.server.context import context
from federator.server.templating import lang_of, page
from federator.server.texts import t
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
    ctx = context(request)
    rest = request.path_params["rest"]
    iri = f"{ctx.base_iri}id/{rest}"
    try:
        ox.NamedNode(iri)
    except ValueError:  # a space, a quote, ...: no IRI, so nothing minted (issue 18)
        return PlainTextResponse(f"not an IRI: {ctx.base_iri}id/... holds no such name\n", 400)
    fmt = request.query_params.get("format")
    if fmt not in (None, "html", "turtle", "jsonld", "ntriples"):
        return PlainTextResponse("unknown format (html, turtle, jsonld, ntriples)\n", 400)
    if fmt is None:
        media = negotiate.choose(request.headers.get("accept"), list(_MEDIA))
        if media is None:
            return PlainTextResponse("acceptable: " + ", ".join(_MEDIA) + "\n", 406)
        fmt = _MEDIA[media]
    token = None
    if rest.startswith("algorithm/") and "/" not in rest[len("algorithm/") :]:
        token = rest[len("algorithm/") :]
        replacement, retired = survivor(ctx.data_dir, token)
        if replacement:
            return _moved(request, f"/id/algorithm/{replacement}")
    else:
        retired = False
    if fmt == "html" and token and not retired and request.query_params.get("view") is None:
        # A person reads the algorithm in words (from the search index, no SPARQL).
        headers = {"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'}
        answer = site.algorithm_page(request, token, headers)
        if answer is not None:
            return answer
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
            text = t(key + "_text", lang_of(request))
            return page(request, "message.html", status, title_key=key, text=text, iri=iri)
        return PlainTextResponse(f"{t(key, 'en')}: {iri}\n", status)
    headers = {"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'}
    if fmt == "html":
        return html_page(request, desc, ctx.base_iri, headers)
    media_type, rdf_format = GRAPH_TYPES[fmt]
    prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
    body = ox.serialize(desc.triples(), format=rdf_format, prefixes=prefixes) or b""
    return Response(body, 200, headers, media_type=media_type)


def _moved(request: Request, path: str) -> Response:
    if request.url.query and path.startswith("/"):
        path += "?" + request.url.query
    return RedirectResponse(path, status_code=301)


# -- the page in words ---------------------------------------------------------------------
FORMATS = (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"))
TITLE = "http://purl.org/dc/terms/title"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
MAX_LITERAL = 2000  # characters of a literal the page shows


def curie(iri: str) -> str:
    """``iri`` shortened by the prefixes the SPARQL endpoint knows, when one fits."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def view_term(
    term: Any,
    base_iri: str,
    lang: str = "nl",
    names: dict[str, str] | None = None,
    pages: dict[str, str] | None = None,
) -> dict[str, str]:
    """A term as ``resource.html`` shows it: a link (``href``, ``label``: its name where one
    is known), a literal (``text``, ``note``: its language or datatype) or anything else
    (``code``).
    """
    if isinstance(term, ox.NamedNode):
        iri = term.value
        name = (names or {}).get(iri) or labels.label(iri, lang)
        local = local_path(iri, base_iri)
        href = (pages or {}).get(iri) or local or iri
        return {"href": href, "label": name or local or iri}
    if isinstance(term, ox.Literal):
        note = ""
        if term.language:
            note = term.language
        elif term.datatype.value != XSD_STRING:
            note = labels.name_or_tail(term.datatype.value, lang)
        text = term.value
        if len(text) > MAX_LITERAL:
            text = text[: MAX_LITERAL - 1] + "…"
        return {"text": text, "note": note}
    return {"code": str(term)}


def view_predicate(term: Any, base_iri: str, lang: str) -> dict[str, str]:
    """A property in words: its label, else the last part of its IRI."""
    iri = term.value
    return {"href": local_path(iri, base_iri) or iri, "label": labels.name_or_tail(iri, lang)}


NAME_PROPERTIES = (
    TITLE,
    "http://xmlns.com/foaf/0.1/name",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
IDENTIFIER = "http://purl.org/dc/terms/identifier"


def title_of(desc: Description, lang: str) -> str:
    """A name for the resource: its title (or name, or label) in ``lang`` if it has one, else
    its kind and identifier in words, else the last part of its IRI."""
    me = f"<{desc.iri}>"
    own = [q for q in desc.quads if str(q.subject) == me]
    for prop in NAME_PROPERTIES:
        found = [q.object for q in own if q.predicate.value == prop]
        if found:
            best = next((o for o in found if getattr(o, "language", None) == lang), found[0])
            return str(getattr(best, "value", best))
    kinds = [
        labels.label(q.object.value, lang)
        for q in own
        if q.predicate.value == RDF_TYPE and isinstance(q.object, ox.NamedNode)
    ]
    kind = next((k for k in kinds if k), None)
    ident = next(
        (
            q.object.value
            for q in own
            if q.predicate.value == IDENTIFIER and isinstance(q.object, ox.Literal)
        ),
        None,
    )
    if kind and ident:
        return f"{kind[:1].upper()}{kind[1:]} {ident}"
    return labels.name_or_tail(desc.iri, lang)


def _names(
    request: Request, desc: Description, base_iri: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the organisations and algorithms the statements point at, and the pages of
    those organisations here (from the search index)."""
    iris = {
        q.object.value for q in [*desc.quads, *desc.incoming] if isinstance(q.object, ox.NamedNode)
    } | {q.subject.value for q in desc.incoming if isinstance(q.subject, ox.NamedNode)}
    index = site.open_index(context(request))
    if index is None:
        return {}, {}
    with index:
        names = index.names(iris, base_iri + "id/algorithm/")
        keys = index.organisation_pages(i for i in iris if i in names)
    return names, {iri: f"/organisations/{key}" for iri, key in keys.items()}


def html_page(
    request: Request, desc: Description, base_iri: str, headers: dict[str, str]
) -> Response:
    """A resource in words: its own statements as a list of properties and values, then each
    of its inner nodes (``#purpose``, blank nodes) under a heading of its kind, then what
    points at it."""
    lang = lang_of(request)
    me = f"<{desc.iri}>"
    names, pages = _names(request, desc, base_iri)
    for q in desc.quads:  # inner nodes are named by their kind (purpose, legal basis, ...)
        inner = q.subject.value if isinstance(q.subject, ox.NamedNode) else ""
        if inner.startswith(desc.iri + "#") and q.predicate.value == RDF_TYPE:
            kind = labels.label(getattr(q.object, "value", ""), lang)
            if kind:
                names.setdefault(inner, kind)
    groups: dict[str, dict[str, Any]] = {}
    for q in desc.quads:
        key = str(q.subject)
        group = groups.setdefault(key, {"subject": q.subject, "rows": {}, "kind": None})
        if q.predicate.value == RDF_TYPE and isinstance(q.object, ox.NamedNode):
            group["kind"] = group["kind"] or labels.label(q.object.value, lang)
        prop = view_predicate(q.predicate, base_iri, lang)
        values = group["rows"].setdefault(prop["label"], (prop, []))[1]
        value = view_term(q.object, base_iri, lang, names, pages)
        if value not in values:
            values.append(value)
    sections = []
    for key, group in groups.items():
        subject = group["subject"]
        if key == me:
            heading = None
        else:
            tail = key.strip("<>").rsplit("#", 1)[-1] if isinstance(subject, ox.NamedNode) else ""
            heading = group["kind"] or tail.replace("-", " ") or str(subject)
        sections.append((heading, list(group["rows"].values())))
    sections.sort(key=lambda s: s[0] is not None)  # the resource's own statements first
    incoming = [
        (
            view_term(q.subject, base_iri, lang, names, pages),
            view_predicate(q.predicate, base_iri, lang),
        )
        for q in desc.incoming
    ]
    return page(
        request,
        "resource.html",
        headers=headers,
        title=title_of(desc, lang),
        iri=desc.iri,
        formats=FORMATS,
        sections=sections,
        incoming=incoming,
    )
