"""SPARQL for people: the query form with example queries, and a query's answer as an HTML
table (with links to download the same result as CSV or JSON).

``sparql.endpoint`` calls these for a browser (``Accept`` prefers HTML, no ``format``): the
query still runs in the worker pool, as SPARQL JSON, and is shown here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from federator.server import labels, negotiate
from federator.server.context import context
from federator.server.templating import lang_of, page
from federator.state.search import SearchIndex

MAX_SHOWN = 1000  # rows a page shows (the downloads have them all, up to the result limit)

EXAMPLES: list[tuple[tuple[str, str], str]] = [
    (
        (
            "Elke registratie en het algoritme dat ze beschrijft",
            "Every registration and the algorithm it describes",
        ),
        """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?source ?id ?algorithm WHERE {
  ?catalog a dcat:Catalog ; dcterms:identifier ?source ; dcat:record ?record .
  ?record a dcat:CatalogRecord ; dcterms:identifier ?id ; foaf:primaryTopic ?algorithm .
} LIMIT 20""",
    ),
    (
        (
            "Algoritmes die meer dan één register beschrijft",
            "Algorithms that more than one register describes",
        ),
        """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?algorithm (SAMPLE(?t) AS ?title) (COUNT(?record) AS ?registers) WHERE {
  ?record foaf:primaryTopic ?algorithm .
  OPTIONAL { ?algorithm dcterms:title ?t }
} GROUP BY ?algorithm HAVING (COUNT(?record) > 1) ORDER BY DESC(?registers) LIMIT 20""",
    ),
    (
        ("Aantal algoritmes per organisatie", "Number of algorithms per organisation"),
        """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX reg: <https://w3id.org/federator/vocab#>
SELECT ?organisation (COUNT(DISTINCT ?algorithm) AS ?algorithms) WHERE {
  ?algorithm a reg:Algorithm ; dcterms:publisher ?organisation .
} GROUP BY ?organisation ORDER BY DESC(?algorithms) LIMIT 20""",
    ),
    (
        ("Algoritmes per status", "Algorithms by status"),
        """PREFIX dpv: <https://w3id.org/dpv#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX reg: <https://w3id.org/federator/vocab#>
SELECT ?status ?label (COUNT(?algorithm) AS ?algorithms) WHERE {
  ?algorithm a reg:Algorithm ; dpv:hasActivityStatus ?status .
  OPTIONAL { ?status skos:prefLabel ?label FILTER(LANG(?label) = "nl") }
} GROUP BY ?status ?label ORDER BY DESC(?algorithms)""",
    ),
]


def wants_page(request: Request, results: list[str]) -> bool:
    """Whether a GET comes from a person: no ``format``, and text/html wanted more than any
    of the ``results`` media types (ties go to the data: ``*/*`` is a program)."""
    if request.method != "GET" or {"format", "output"} & set(request.query_params):
        return False
    accept = request.headers.get("accept")
    return negotiate.prefers_html(accept) and (
        negotiate.choose(accept, [*results, "text/html"]) == "text/html"
    )


def examples(lang: str) -> list[dict[str, str]]:
    return [
        {"title": title[1] if lang == "en" else title[0], "query": q, "href": _self(q, lang)}
        for title, q in EXAMPLES
    ]


def _self(query: str, lang: str, fmt: str | None = None) -> str:
    params = [("query", query)]
    if fmt:
        params.append(("format", fmt))
    elif lang == "en":
        params.append(("lang", "en"))
    return "/sparql?" + urlencode(params)


def form(
    request: Request,
    query: str | None = None,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The query form (with the examples); ``error`` says why the last query failed."""
    lang = lang_of(request)
    return page(
        request,
        "sparql.html",
        status,
        headers,
        query=query or EXAMPLES[0][1],
        examples=examples(lang),
        error=error,
        table=None,
    )


def _cell(
    term: dict[str, Any] | None, lang: str, base_iri: str, names: dict[str, str]
) -> dict[str, str]:
    if term is None:
        return {"text": ""}
    value = str(term.get("value", ""))
    if term.get("type") == "uri":
        local = "/" + value[len(base_iri) :] if value.startswith(base_iri + "id/") else value
        name = names.get(value) or labels.label(value, lang)
        return {"text": name or value, "href": local, "title": value}
    note = term.get("xml:lang") or ""
    return {"text": value, "note": note}


def _names(request: Request, iris: set[str], base_iri: str) -> dict[str, str]:
    """Titles of algorithms and names of organisations among ``iris`` (the search index)."""
    try:
        index = SearchIndex(context(request).data_dir)
    except FileNotFoundError:
        return {}
    with index:
        return index.names(sorted(iris), base_iri + "id/algorithm/")


def results(request: Request, query: str, answer: Any) -> HTMLResponse:
    """A query's answer (the worker pool's, as SPARQL JSON or Turtle) on a page: a table for
    SELECT, yes or no for ASK, the text of a graph; an error on the form, with its status."""
    lang = lang_of(request)
    base_iri = context(request).base_iri
    status, media_type, body = answer.status, answer.media_type, answer.body
    headers = {k: v for k, v in dict(answer.headers).items() if k.lower() != "content-type"}
    if status != 200:
        return form(request, query, body.decode("utf-8", errors="replace").strip(), status, headers)
    table: dict[str, Any] = {
        "csv": _self(query, lang, "csv"),
        "json": _self(query, lang, "json"),
        "truncated": False,
        "cut_at": headers.get("X-SPARQL-MaxRows"),
    }
    if "json" in media_type and "ld+json" not in media_type:
        data = json.loads(body)
        if "boolean" in data:
            table["boolean"] = bool(data["boolean"])
        else:
            names = data.get("head", {}).get("vars", [])
            bindings = data.get("results", {}).get("bindings", [])
            table["vars"] = names
            table["count"] = len(bindings)
            table["truncated"] = len(bindings) > MAX_SHOWN
            shown = bindings[:MAX_SHOWN]
            iris = {t["value"] for b in shown for t in b.values() if t.get("type") == "uri"}
            known = _names(request, iris, base_iri)
            table["rows"] = [[_cell(b.get(v), lang, base_iri, known) for v in names] for b in shown]
    else:
        table["graph"] = body.decode("utf-8", errors="replace")
        table["csv"] = None
        table["json"] = _self(query, lang, "jsonld")
    return page(
        request,
        "sparql.html",
        200,
        headers,
        query=query,
        examples=examples(lang),
        error=None,
        table=table,
    )
