"""The public site for people: the front page, search, organisations, algorithm pages.

Everything here reads the search index (``federator.state.search``, rebuilt after each
publish) and the state; nothing runs a SPARQL query. Pages are Dutch by default, English with
``?lang=en`` or by ``Accept-Language``; every value with a name in the vocabulary shows that
name. ``/algorithms`` answers the same search as HTML, JSON (by ``Accept``) and CSV
(``?format=csv``).
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from federator import search
from federator.config import Config, SourceConfig
from federator.map import spec
from federator.server import labels, negotiate
from federator.server.context import Context, context
from federator.server.templating import lang_of, page
from federator.server.texts import CHANGE_KINDS, ORG_KINDS, pick, t
from federator.state.search import SearchIndex

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_CSV = 100_000
FACET_PARAMS = ("organisation", "kind", "status", "theme", "pubcat", "impact", "registers")
ORDERS = ("relevance", "title", "modified")
FACET_SHOWN = 12  # values of a facet shown before "more"

# The unified description in words: these fields first, in this order; then the rest.
ABOUT_FIELDS = (
    "description_short",
    "description",
    "goal",
    "status",
    "category",
    "publication_category",
    "lawful_basis",
    "lawful_basis_grouping",
    "human_intervention",
    "risks",
    "impact",
    "proportionality",
    "impacttoetsen_grouping",
    "impacttoetsen",
    "iama",
    "iama_description",
    "dpia",
    "dpia_description",
    "contact_email",
    "website",
    "url",
    "begin_date",
    "end_date",
)


@lru_cache(maxsize=1)
def fields() -> list[tuple[str, dict[str, str]]]:
    """The standard's fields in its order, with their names in Dutch and English."""
    return [
        (f.name, f.label) for f in spec.load(spec.builtin_path("algoritmeregister-json")).fields
    ]


def field_name(name: str, lang: str) -> str:
    return dict(fields()).get(name, {}).get(lang, name.replace("_", " "))


def open_index(ctx: Context) -> SearchIndex | None:
    try:
        return SearchIndex(ctx.data_dir)
    except FileNotFoundError:
        return None


def _wants(request: Request) -> str:
    fmt = request.query_params.get("format")
    if fmt in ("html", "json", "csv"):
        return fmt
    accept = request.headers.get("accept")
    if negotiate.prefers_html(accept):
        return "html"
    chosen = negotiate.choose(accept, ["application/json", "text/csv", "text/html"])
    return {"text/csv": "csv", "text/html": "html"}.get(chosen or "", "json")


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return Response(body, status, media_type="application/json")


def _no_index(request: Request) -> Response:
    text = t("not_indexed", lang_of(request))
    if _wants(request) == "html":
        return page(request, "message.html", 503, title_key="algorithms_title", text=text)
    return _json({"error": t("not_indexed", "en")}, 503)


# -- values in words -----------------------------------------------------------------------
def words(value: Any, lang: str, base_iri: str) -> list[dict[str, str]]:
    """A register's value as parts a template shows: ``text``, with ``href`` for a link."""
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, bool):
        return [{"text": t("yes" if value else "no", lang)}]
    if isinstance(value, list):
        return [part for v in value for part in words(v, lang, base_iri)]
    if isinstance(value, dict):
        if "iri" in value:
            return words(str(value["iri"]), lang, base_iri)
        return [{"text": ", ".join(str(v) for v in value.values() if v not in (None, ""))}]
    text = str(value)
    if text.startswith(("http://", "https://")):
        name = labels.label(text, lang)
        if name:
            return [{"text": name}]
        local = text[len(base_iri) - 1 :] if text.startswith(base_iri + "id/") else text
        return [{"text": text, "href": local}]
    if text.startswith("mailto:"):
        return [{"text": text[len("mailto:") :], "href": text}]
    return [{"text": text}]


def _norm(value: Any) -> str:
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, list):
        return json.dumps(sorted(map(_norm, value)))
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return json.dumps(value, sort_keys=True)


# -- search --------------------------------------------------------------------------------
def _filters(request: Request) -> dict[str, list[str]]:
    out = {}
    for name in FACET_PARAMS:
        values = [v for v in request.query_params.getlist(name) if v]
        if values:
            out[name] = values
    return out


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        return default


def facet_label(name: str, value: Any, lang: str, extra: Any = None) -> str:
    if name == "organisation":
        return str(extra or value)
    if name == "kind":
        return pick(ORG_KINDS, str(value), lang)
    if name == "impact":
        return t(f"impact_{int(value)}", lang)
    if name == "registers":
        return t("registers_1", lang) if str(value) == "1" else t("registers_n", lang, n=value)
    return labels.name_or_tail(str(value), lang)


def _link(params: list[tuple[str, str]], lang: str | None, path: str = "/algorithms") -> str:
    """A link within the site with these parameters, in language ``lang`` (None: the
    reader's own, by their browser)."""
    params = [(k, v) for k, v in params if k != "lang"]
    if lang:
        params.append(("lang", lang))
    return path + ("?" + urlencode(params) if params else "")


def _keep_lang(request: Request) -> str | None:
    """The language links must carry: the one asked for with ``?lang=``, or English."""
    lang = lang_of(request)
    return lang if lang == "en" or "lang" in request.query_params else None


def result_json(doc: dict[str, Any], lang: str, base_iri: str) -> dict[str, Any]:
    status = doc["status"]
    return {
        "id": f"{base_iri}id/algorithm/{doc['token']}",
        "url": f"/id/algorithm/{doc['token']}",
        "title": doc["title"],
        "organisation": {
            "id": doc["organisation"],
            "name": doc["organisation_name"],
            "url": f"/organisations/{doc['org_key']}",
        },
        "status": {"id": status, "label": labels.label(status, lang)} if status else None,
        "registers": doc["registers"],
        "described_by": [
            {"register": source, "id": native} for source, native in doc["data"]["members"]
        ],
        "modified": doc["modified"],
        "description": doc["description"],
    }


def algorithms(request: Request) -> Response:
    """``GET /algorithms``: search with facets and paging, as HTML, JSON or CSV."""
    ctx = context(request)
    lang = lang_of(request)
    wants = _wants(request)
    q = (request.query_params.get("q") or "").strip()[:200]
    filters = _filters(request)
    order = request.query_params.get("order") or ("relevance" if q else "title")
    if order not in ORDERS:
        order = "title"
    index = open_index(ctx)
    if index is None:
        return _no_index(request)
    with index:
        if wants == "csv":
            total, rows, _ = index.search(q, filters, order, MAX_CSV, 0, facets=False)
            return _csv(rows, lang, ctx.base_iri)
        per_page = _int(request.query_params.get("per_page"), PER_PAGE, 1, MAX_PER_PAGE)
        number = _int(request.query_params.get("page"), 1, 1, 10_000)
        total, rows, counts = index.search(
            q, filters, order, per_page, (number - 1) * per_page, facets=True
        )
        org_names = index.org_names(
            [str(r[0]) for r in counts.get("organisation", [])] + filters.get("organisation", [])
        )
    facets = {
        name: [
            {
                "value": str(row[0]),
                "label": facet_label(name, row[0], lang, org_names.get(str(row[0]))),
                "count": row[1],
            }
            for row in counts.get(name, [])
        ]
        for name in (*FACET_PARAMS,)
    }
    if wants == "json":
        return _json(
            {
                "q": q,
                "filters": filters,
                "order": order,
                "total": total,
                "page": number,
                "per_page": per_page,
                "results": [result_json(d, lang, ctx.base_iri) for d in rows],
                "facets": facets,
            }
        )
    # The search as it stands, without its page: a new filter starts at the first page.
    params = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("format", "page", "lang")
    ]
    keep = _keep_lang(request)
    for name, values in facets.items():
        chosen = set(filters.get(name, []))
        for f in values:
            on = f["value"] in chosen
            f["on"] = on
            if on:
                f["href"] = _link([(k, v) for k, v in params if (k, v) != (name, f["value"])], keep)
            else:
                f["href"] = _link(params + [(name, f["value"])], keep)
    active = [
        {
            "label": facet_label(name, value, lang, org_names.get(value)),
            "facet": t("facet_" + name, lang),
            "href": _link([(k, v) for k, v in params if (k, v) != (name, value)], keep),
        }
        for name, values in filters.items()
        for value in values
    ]
    last_page = max(1, -(-total // per_page))
    paging = {
        "first": (number - 1) * per_page + 1 if total else 0,
        "last": min(total, number * per_page),
        "prev": _link(params + [("page", str(number - 1))], keep) if number > 1 else None,
        "next": _link(params + [("page", str(number + 1))], keep) if number < last_page else None,
        "pages": [
            (n, _link(params + [("page", str(n))], keep))
            for n in sorted({1, number - 1, number, number + 1, last_page})
            if 1 <= n <= last_page
        ],
        "number": number,
    }
    csv_href = _link(params + [("format", "csv")], keep)
    json_href = _link(params + [("page", str(number)), ("format", "json")], keep)
    return page(
        request,
        "algorithms.html",
        q=q,
        order=order,
        orders=ORDERS,
        filters=filters,
        total=total,
        results=[_result_view(d, lang, ctx.base_iri) for d in rows],
        facets=[(name, facets[name]) for name in FACET_PARAMS if facets[name]],
        facet_shown=FACET_SHOWN,
        active=active,
        clear=_link([(k, v) for k, v in params if k in ("q", "order")], keep),
        paging=paging,
        csv_href=csv_href,
        json_href=json_href,
    )


def _result_view(doc: dict[str, Any], lang: str, base_iri: str) -> dict[str, Any]:
    view = result_json(doc, lang, base_iri)
    view["token"] = doc["token"]
    view["kind"] = pick(ORG_KINDS, doc["org_kind"], lang)
    return view


def _csv(rows: list[dict[str, Any]], lang: str, base_iri: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["id", "title", "organisation", "organisation_name", "status", "status_label",
         "registers", "modified", "url"]
    )  # fmt: skip
    for d in rows:
        r = result_json(d, lang, base_iri)
        status = r["status"] or {}
        writer.writerow(
            [r["id"], r["title"], r["organisation"]["id"], r["organisation"]["name"],
             status.get("id") or "", status.get("label") or "", r["registers"],
             r["modified"] or "", r["url"]]
        )  # fmt: skip
    headers = {"Content-Disposition": 'attachment; filename="algoritmes.csv"'}
    return Response(
        out.getvalue().encode("utf-8"), 200, headers, media_type="text/csv; charset=utf-8"
    )


# -- the front page ------------------------------------------------------------------------
def latest_runs(ctx: Context) -> dict[str, dict[str, Any] | None]:
    state = ctx.state()
    try:
        return {s.id: next(iter(state.source_runs(s.id, limit=1)), None) for s in ctx.cfg.sources}
    finally:
        state.close()


def front(request: Request, runs: list[tuple[SourceConfig, Any]]) -> HTMLResponse:
    """``GET /`` for people: what the federation holds, a search box, changes, ways in."""
    ctx = context(request)
    lang = lang_of(request)
    index = open_index(ctx)
    totals: dict[str, int] = {}
    recent: list[dict[str, Any]] = []
    themes: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    kinds: list[dict[str, Any]] = []
    if index is not None:
        with index:
            totals = index.totals()
            recent = index.recent(10)
            _, _, counts = index.search("", {}, "title", 0, 0, facets=True)
        for name, out in (("theme", themes), ("status", statuses), ("kind", kinds)):
            for row in counts.get(name, []):
                out.append(
                    {
                        "label": facet_label(name, row[0], lang),
                        "count": row[1],
                        "href": _link([(name, str(row[0]))], _keep_lang(request)),
                    }
                )
    titles = {s.id: s.title for s in ctx.cfg.sources}
    for r in recent:
        r["kind_label"] = pick(CHANGE_KINDS, r["kind"], lang)
        r["register"] = titles.get(r["source"], r["source"])
    ended = [run.ended for _, run in runs if run is not None and run.ended]
    return page(
        request,
        "front.html",
        headers={"Link": '</void>; rel="describedby"; type="text/turtle"'},
        totals=totals,
        registers=len(ctx.cfg.sources),
        last_harvest=max(ended) if ended else None,
        recent=recent,
        themes=themes,
        statuses=statuses,
        kinds=kinds,
        sources=runs,
    )


# -- organisations -------------------------------------------------------------------------
def organisations(request: Request) -> Response:
    """``GET /organisations``: every publishing body, its algorithms and registers."""
    ctx = context(request)
    lang = lang_of(request)
    index = open_index(ctx)
    if index is None:
        return _no_index(request)
    with index:
        bodies = index.organisations()
    titles = {s.id: s.title for s in ctx.cfg.sources}
    if _wants(request) != "html":
        return _json(
            [
                {
                    "id": o["iri"],
                    "name": o["name"],
                    "kind": o["kind"],
                    "algorithms": o["algorithms"],
                    "registers": o["registers"],
                    "url": f"/organisations/{o['key']}",
                }
                for o in bodies
            ]
        )
    for o in bodies:
        o["kind_label"] = pick(ORG_KINDS, o["kind"], lang)
        o["register_titles"] = [titles.get(s, s) for s in o["registers"]]
    return page(request, "organisations.html", organisations=bodies)


def completeness(run: dict[str, Any] | None) -> float | None:
    shares = ((run or {}).get("stats") or {}).get("completeness") or {}
    values = [v for v in shares.values() if isinstance(v, int | float)]
    return sum(values) / len(values) if values else None


def organisation(request: Request) -> Response:
    """``GET /organisations/{key}``: one body's algorithms across all registers."""
    ctx = context(request)
    lang = lang_of(request)
    key = request.path_params["key"]
    index = open_index(ctx)
    if index is None:
        return _no_index(request)
    with index:
        body = index.organisation(key)
        if body is not None:
            total, rows, _ = index.search(
                "", {"organisation": [key]}, "title", 200, 0, facets=False
            )
    if body is None:
        if _wants(request) == "html":
            text = t("unknown_organisation_text", lang)
            return page(request, "message.html", 404, title_key="unknown_organisation", text=text)
        return _json({"error": f"no organisation {key!r}"}, 404)
    runs = latest_runs(ctx)
    sources = {s.id: s for s in ctx.cfg.sources}
    per_source = []
    for source_id, n in body["per_source"]:
        src = sources.get(source_id)
        run = runs.get(source_id)
        per_source.append(
            {
                "id": source_id,
                "title": src.title if src else source_id,
                "algorithms": n,
                "completeness": completeness(run),
                "last_run": run,
            }
        )
    if _wants(request) != "html":
        return _json(
            {
                "id": body["iri"],
                "name": body["name"],
                "kind": body["kind"],
                "algorithms": body["algorithms"],
                "registers": [
                    {k: v for k, v in p.items() if k != "last_run"}
                    | {"last_harvest": (p["last_run"] or {}).get("ended")}
                    for p in per_source
                ],
                "results": [result_json(d, lang, ctx.base_iri) for d in rows],
            }
        )
    return page(
        request,
        "organisation.html",
        org=body,
        kind_label=pick(ORG_KINDS, body["kind"], lang),
        per_source=per_source,
        results=[_result_view(d, lang, ctx.base_iri) for d in rows],
        total=total,
        all_href=_link([("organisation", key)], _keep_lang(request)),
        external=body["iri"] if not body["iri"].startswith(ctx.base_iri) else None,
    )


# -- an algorithm --------------------------------------------------------------------------
def algorithm_page(request: Request, token: str, headers: dict[str, str]) -> Response | None:
    """The algorithm ``token`` in words, its registers side by side, its history; None when
    the index does not know it (the caller shows its statements instead)."""
    ctx = context(request)
    lang = lang_of(request)
    index = open_index(ctx)
    if index is None:
        return None
    with index:
        doc = index.doc(token)
        if doc is None:
            return None
        members = [(str(m[0]), str(m[1])) for m in doc["data"]["members"]]
        history = index.history(members)
    state = ctx.state()
    try:
        bodies = state.record_bodies(members)
    finally:
        state.close()
    base = ctx.base_iri
    cfg: Config = ctx.cfg
    # The unified description, by the rule that made the unified graph (and the index).
    priorities = {s.id: s.priority for s in cfg.sources}
    unified = search.document(token, list(bodies.values()), priorities).fields if bodies else {}
    about = _about(unified, lang, base)
    sources = {s.id: s for s in cfg.sources}
    columns = []
    for (source_id, native_id), body in sorted(
        bodies.items(),
        key=lambda kv: (-(sources[kv[0][0]].priority if kv[0][0] in sources else 0), kv[0]),
    ):
        src = sources.get(source_id)
        subject = body.get("subject") or ""
        columns.append(
            {
                "source": source_id,
                "title": src.title if src else source_id,
                "native_id": native_id,
                "record": subject[len(base) - 1 :] if subject.startswith(base) else None,
                "log": f"/sources/{source_id}/runs",
                "values": body.get("values", {}),
                "modified": body.get("identity", {}).get("modified"),
            }
        )
    rows = []
    for name, _label in fields():
        values = [c["values"].get(name) for c in columns]
        if all(v in (None, "", [], {}) for v in values):
            continue
        distinct = {_norm(v) for v in values}
        rows.append(
            {
                "name": field_name(name, lang),
                "cells": [words(v, lang, base) for v in values],
                "differs": len(columns) > 1 and len(distinct) > 1,
            }
        )
    titles = {s.id: s.title for s in cfg.sources}
    for h in history:
        h["kind_label"] = pick(CHANGE_KINDS, h["kind"], lang)
        h["register"] = titles.get(h["source"], h["source"])
    status = doc["status"]
    return page(
        request,
        "algorithm.html",
        headers=headers,
        doc=doc,
        iri=f"{base}id/algorithm/{token}",
        status_label=labels.label(status, lang) if status else None,
        kind_label=pick(ORG_KINDS, doc["org_kind"], lang),
        about=about,
        columns=columns,
        rows=rows,
        differing=sum(1 for r in rows if r["differs"]),
        history=history,
        formats=(("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples")),
    )


def _about(unified: dict[str, Any], lang: str, base: str) -> list[tuple[str, list[dict[str, str]]]]:
    names = [n for n in ABOUT_FIELDS if n in unified]
    names += [n for n, _ in fields() if n in unified and n not in ABOUT_FIELDS and n != "name"]
    out = []
    for name in names:
        parts = words(unified.get(name), lang, base)
        if parts:
            out.append((field_name(name, lang), parts))
    return out
