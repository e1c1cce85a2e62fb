"""``GET, POST /sparql``: the SPARQL 1.1 Protocol, read-only, with a time and a size limit.

- The query comes as the ``query`` parameter of a GET, a form POST, or an
  ``application/sparql-query`` body. The dataset is SPARQL 1.1's: ``default-graph-uri`` /
  ``named-graph-uri`` rule when given, else the query's ``FROM`` / ``FROM NAMED``, else the
  default graph is the union of all named graphs (``federator.sparql.run.dataset``).
- The query is read by Oxigraph's own parser (``federator.sparql``), in the query worker:
  updates (an ``update`` parameter, an ``application/sparql-update`` body, or update syntax in
  ``query``) are refused with 403 and never executed; ``SERVICE`` (federated query) is refused
  with 400 before Oxigraph sees the text (it would fetch any URL it names); a malformed query
  answers 400 with the parser's message.
- Results by ``Accept`` (or ``?format=``): SELECT/ASK as SPARQL JSON (default), XML, CSV, TSV;
  CONSTRUCT/DESCRIBE as Turtle (default), N-Triples, JSON-LD, RDF/XML. Every term comes
  through as it is (triple terms, language tags and directions, datatypes, blank nodes);
  JSON-LD cannot carry a triple term, so such a graph asked for as JSON-LD answers 406.
- Size limit: at most ``server.result_limit`` rows (or triples) are answered; a longer result
  is cut off there and the response carries ``X-SPARQL-MaxRows: <limit>`` (as Virtuoso does).
  A SELECT whose own ``LIMIT`` asks for more than that, and whose answer has more, is not cut
  off silently: it answers 400 naming the limit (and carries the header).
- Time limit: a query running past ``server.query_timeout`` seconds is stopped (its worker is
  killed) and answered with 504; when every worker stays busy that long, 503.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from federator.publish import snapshot
from federator.server import negotiate, sparql_page
from federator.server.worker import GRAPH_TYPES, RESULT_TYPES, Job
from federator.sparql import READ_ONLY, Refused, check_read_only

MAX_BODY = 1024 * 1024  # bytes of query text accepted

_RESULT_MEDIA = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
_GRAPH_MEDIA = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/rdf+xml": "rdfxml",
}
_FORMAT_PARAM = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", "turtle"),
    "tsv": ("tsv", "turtle"),
    "turtle": ("json", "turtle"),
    "ttl": ("json", "turtle"),
    "ntriples": ("json", "ntriples"),
    "nt": ("json", "ntriples"),
    "jsonld": ("json", "jsonld"),
    "rdfxml": ("xml", "rdfxml"),
}


async def read_params(request: Request) -> tuple[str | None, list[tuple[str, str]]]:
    """The query text and the protocol parameters of a GET or POST, per SPARQL 1.1 Protocol."""
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        chunks, size = [], 0
        async for chunk in request.stream():  # read with a cap, not all into memory first
            size += len(chunk)
            if size > MAX_BODY:
                raise Refused(413, f"the request body is larger than {MAX_BODY} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        if ctype == "application/sparql-update":
            raise Refused(403, READ_ONLY)
        if ctype == "application/sparql-query":
            return body.decode("utf-8", errors="replace"), params
        if ctype == "application/x-www-form-urlencoded":
            params += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        else:
            raise Refused(
                415,
                "send the query as application/sparql-query, or as a form field 'query' "
                "(application/x-www-form-urlencoded)",
            )
    if any(k == "update" for k, _ in params):
        raise Refused(403, READ_ONLY)
    queries = [v for k, v in params if k == "query"]
    if len(queries) > 1:
        raise Refused(400, "give exactly one 'query' parameter")
    return (queries[0] if queries else None), params


def formats(request: Request, params: list[tuple[str, str]]) -> tuple[str, str]:
    """The result format and the graph format the client wants."""
    wanted = next((v.lower() for k, v in params if k in ("format", "output")), None)
    if wanted:
        if wanted not in _FORMAT_PARAM:
            known = ", ".join(sorted(_FORMAT_PARAM))
            raise Refused(400, f"unknown format {wanted!r} (known: {known})")
        return _FORMAT_PARAM[wanted]
    accept = request.headers.get("accept")
    # A client that accepts none of one kind still gets an answer in the default format of
    # that kind: the query type is only known once it runs.
    results = negotiate.choose(accept, list(_RESULT_MEDIA)) or "application/sparql-results+json"
    graph = negotiate.choose(accept, list(_GRAPH_MEDIA)) or "text/turtle"
    return _RESULT_MEDIA[results], _GRAPH_MEDIA[graph]


async def endpoint(request: Request) -> Response:
    """Answer one SPARQL Protocol request."""
    ctx: Any = request.app.state.ctx
    # A person in a browser (no format asked for): the form, and answers as a page.
    for_person = sparql_page.wants_page(request, list(_RESULT_MEDIA))
    query: str | None = None
    try:
        query, params = await read_params(request)
        if query is None:
            if request.method == "GET" and negotiate.prefers_html(request.headers.get("accept")):
                return sparql_page.form(request)
            raise Refused(400, "no query: give the SPARQL query as the 'query' parameter")
        if not query.strip():
            raise Refused(400, "the query is empty")
        # Read-only and SERVICE are decided in the worker, by Oxigraph's parser, where the
        # time limit holds (a parse runs the query over an empty store).
        results, graph = formats(request, params)
        if for_person:
            results, graph = "json", "turtle"
    except Refused as exc:
        ctx.pool.outcomes["refused" if exc.status == 403 else "rejected"] += 1
        if for_person:
            return sparql_page.form(request, query, exc.message, exc.status)
        return PlainTextResponse(exc.message + "\n", status_code=exc.status)
    if snapshot.current(ctx.data_dir) is None:
        return PlainTextResponse("nothing is published yet\n", status_code=503)
    job = Job(
        query=query,
        results=results,
        graph=graph,
        limit=ctx.result_limit,
        default_graphs=tuple(v for k, v in params if k == "default-graph-uri"),
        named_graphs=tuple(v for k, v in params if k == "named-graph-uri"),
    )
    answer = await ctx.pool.execute(job, client=request.client.host if request.client else "")
    if for_person:
        return sparql_page.results(request, query, answer)
    headers = dict(answer.headers)
    if answer.status == 200:
        headers["Vary"] = "Accept"
    return Response(
        answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
    )


__all__ = ["GRAPH_TYPES", "RESULT_TYPES", "endpoint", "check_read_only", "Refused"]
