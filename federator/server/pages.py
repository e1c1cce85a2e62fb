"""HTML pages: harvest logs for source agencies, resource pages, the index, a query form.

Dutch by default with a link to English (``?lang=en``). Every value from a register or the
graph is escaped. The pages show the same facts as ``federator log`` and ``federator status``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request

from federator.config import Config, SourceConfig
from federator.report import COUNTS
from federator.server.texts import COUNT_LABELS, ERRORS, OUTCOMES, STAGES, http_meaning, pick, t

if TYPE_CHECKING:
    from federator.server.resources import Description

MAX_WARNINGS = 300  # warnings listed on one page; the JSON has them all
CSS = """
body{font-family:system-ui,sans-serif;max-width:70em;margin:1.5em auto;padding:0 1em;
line-height:1.45;color:#1a1a1a}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}
.synced{color:#176b2c}.failed,.abandoned{color:#a4161a}.running{color:#8a5a00}
.alt{color:#555;font-size:.9em;display:block;margin-top:.2em}
.num{text-align:right}nav{margin-bottom:1em}code{font-size:.95em}
textarea{width:100%;font-family:monospace}
"""
__all__ = ["t", "lang_of"]


def e(value: Any) -> str:
    """Escape anything for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def lang_of(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "nl"


def _href(path: str, lang: str) -> str:
    return e(path + ("?lang=en" if lang == "en" else ""))


def layout(title: str, body: str, lang: str, path: str) -> str:
    other = "nl" if lang == "en" else "en"
    switch = f'<a href="{e(path)}?lang={other}" hreflang="{other}">{e(t("other_lang", lang))}</a>'
    home = f'<a href="{_href("/", lang)}">{e(t("federator", lang))}</a>'
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<nav>{home} · {switch}</nav>\n<h1>{e(title)}</h1>\n{body}\n</body>\n</html>\n"
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()
) -> str:
    """A plain table; cells are HTML already (escape before). No header row without headers."""
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr>\n" if headers else ""
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return "<table>\n" + head + "\n".join(body) + "\n</table>"


def outcome(value: str, lang: str) -> str:
    return f'<span class="{e(value)}">{e(pick(OUTCOMES, value, lang))}</span>'


def counts_inline(stats: dict[str, Any], lang: str) -> str:
    return ", ".join(
        f"{e(pick(COUNT_LABELS, k, lang))} {e(stats[k])}" for k in COUNTS if k in (stats or {})
    )


# -- the index -----------------------------------------------------------------------------
def index(cfg: Config, last_runs: dict[str, dict[str, Any] | None], lang: str) -> str:
    rows = []
    for src in cfg.sources:
        run = last_runs.get(src.id)
        log_path = f"/sources/{quote(src.id)}/runs"
        rows.append(
            (
                f'<a href="{_href(log_path, lang)}">{e(src.title)}</a><br><code>{e(src.id)}</code>',
                e(src.level),
                e(run["started"]) if run else e(t("never", lang)),
                outcome(run["outcome"], lang) if run else "",
                counts_inline(run["stats"], lang) if run else "",
            )
        )
    heads = [t(k, lang) for k in ("source", "level", "last_run", "outcome", "counts")]
    machines = (
        '<ul><li><a href="/sparql"><code>/sparql</code></a> (SPARQL 1.1)</li>'
        '<li><a href="/sources"><code>/sources</code></a> (JSON)</li>'
        '<li><a href="/vocabulary"><code>/vocabulary</code></a> (Turtle)</li>'
        '<li><a href="/void"><code>/void</code></a> (VoID), '
        '<a href="/dump/latest.nq.gz"><code>/dump/latest.nq.gz</code></a> (N-Quads, gzip), '
        '<a href="/changes"><code>/changes</code></a> (change feed)</li>'
        '<li><a href="/health"><code>/health</code></a>, '
        '<a href="/metrics"><code>/metrics</code></a></li></ul>'
    )
    body = (
        f"<h2>{e(t('sources', lang))}</h2>\n{table([e(h) for h in heads], rows)}\n"
        f"<h2>{e(t('endpoints', lang))}</h2>\n{machines}"
    )
    return layout(t("federator", lang), body, lang, "/")


# -- harvest logs --------------------------------------------------------------------------
def source_log(
    src: SourceConfig,
    runs: list[dict[str, Any]],
    latest: dict[str, Any] | None,
    next_run: str | None,
    lang: str,
    path: str,
) -> str:
    """A source's harvest log: a plain table of runs, then the latest run in full."""
    parts = [f"<p>{e(t('intro_log', lang))}</p>"]
    parts.append(
        f"<p>{e(t('next_run', lang))}: {e(next_run or t('not_scheduled', lang))} · "
        f'<a href="{e(path)}?format=json">{e(t("as_json", lang))}</a></p>'
    )
    if not runs:
        parts.append(f"<p>{e(t('no_runs', lang))}</p>")
        return layout(t("harvest_log_of", lang, title=src.title), "\n".join(parts), lang, path)
    rows = []
    for r in runs:
        link = f"/sources/{quote(src.id)}/runs/{quote(r['run_id'])}"
        rows.append(
            (
                f'<a href="{_href(link, lang)}"><code>{e(r["run_id"])}</code></a>',
                e(r["started"]),
                e(r["ended"] or ""),
                outcome(r["outcome"], lang),
                counts_inline(r["stats"], lang),
            )
        )
    heads = [e(t(k, lang)) for k in ("run", "started", "ended", "outcome", "counts")]
    parts.append(f"<h2>{e(t('runs', lang))}</h2>\n{table(heads, rows)}")
    if latest is not None:
        parts.append(f"<h2>{e(t('latest_run', lang))}</h2>")
        parts.append(run_detail(latest, lang, level=3))
    return layout(t("harvest_log_of", lang, title=src.title), "\n".join(parts), lang, path)


def run_page(src: SourceConfig, detail: dict[str, Any], lang: str, path: str) -> str:
    """One run in full."""
    back = f"/sources/{quote(src.id)}/runs"
    body = (
        f'<p><a href="{_href(back, lang)}">{e(t("back_to_log", lang))}</a> · '
        f'<a href="{e(path)}?format=json">{e(t("as_json", lang))}</a></p>\n'
        + run_detail(detail, lang, level=2)
    )
    return layout(t("run_of", lang, run=detail["run_id"], title=src.title), body, lang, path)


@lru_cache(maxsize=1)
def field_labels() -> dict[str, dict[str, str]]:
    """The standard's field names as agencies know them, in Dutch and English."""
    from federator.map import spec

    return {f.name: f.label for f in spec.load(spec.builtin_path("algoritmeregister-json")).fields}


def run_detail(d: dict[str, Any], lang: str, level: int = 2) -> str:
    """Counts, HTTP answers, errors in words, and every rejected record with its reason."""
    h = f"h{level}"
    other = "en" if lang == "nl" else "nl"
    summary: list[tuple[str, ...]] = [
        (e(t("run", lang)), f"<code>{e(d['run_id'])}</code>"),
        (e(t("outcome", lang)), outcome(d["outcome"], lang)),
        (e(t("started", lang)), e(d["started"])),
        (e(t("ended", lang)), e(d["ended"] or "")),
    ]
    if d.get("error"):
        words = pick(ERRORS, d.get("error_code") or "", lang)
        said = f"{e(words)}<br>" if d.get("error_code") in ERRORS else ""
        summary.append((e(t("error", lang)), f"{said}<code>{e(d['error'])}</code>"))
    parts = [table([], summary)]
    stats = d.get("stats") or {}
    if stats:
        keys = [k for k in (*COUNTS, "accepted", "duplicates", "fetched_documents") if k in stats]
        rows: list[tuple[str, ...]] = [(e(pick(COUNT_LABELS, k, lang)), e(stats[k])) for k in keys]
        parts.append(f"<{h}>{e(t('records', lang))}</{h}>")
        parts.append(table([e(t("records", lang)), e(t("number", lang))], rows, numeric=[1]))
    filled = stats.get("completeness") or {}
    if filled:
        labels = field_labels()
        rows = [
            (f"<code>{e(name)}</code>", e(labels.get(name, {}).get(lang, name)), e(f"{share:.0%}"))
            for name, share in filled.items()
        ]
        heads = [e(t("field", lang)), "", e(t("share", lang))]
        parts.append(
            f"<{h}>{e(t('completeness', lang))}</{h}>\n"
            f"<p>{e(t('completeness_intro', lang))}</p>\n" + table(heads, rows, numeric=[2])
        )
    statuses = d.get("statuses") or {}
    if statuses:
        rows = [
            (e(code), e(http_meaning(code, lang)), e(n)) for code, n in sorted(statuses.items())
        ]
        heads = [e(t(k, lang)) for k in ("status", "meaning", "times")]
        parts.append(f"<{h}>{e(t('http', lang))}</{h}>\n" + table(heads, rows, numeric=[2]))
    durations = d.get("durations") or {}
    if durations:
        rows = [(e(pick(STAGES, k, lang)), e(f"{v:.2f}")) for k, v in durations.items()]
        heads = [e(t("stage", lang)), e(t("seconds", lang))]
        parts.append(f"<{h}>{e(t('durations', lang))}</{h}>\n" + table(heads, rows, numeric=[1]))
    issues = d.get("issues") or []
    rejected = [i for i in issues if i["severity"] == "error"]
    warnings = [i for i in issues if i["severity"] != "error"]
    parts.append(f"<{h}>{e(t('rejected', lang))} ({len(rejected)})</{h}>")
    if rejected:
        parts.append(f"<p>{e(t('rejected_intro', lang))}</p>")
        rows = [
            (
                f"<code>{e(i['native_id'] or '?')}</code>",
                e(i["title"] or ""),
                f"<code>{e(i['field'] or '')}</code>",
                f"<code>{e(i['code'])}</code>",
                e(_short(i["value"])),
                f"{e(i['message_' + lang])}"
                f'<span class="alt" lang="{other}">{e(i["message_" + other])}</span>',
            )
            for i in rejected
        ]
        heads = [e(t(k, lang)) for k in ("native_id", "title", "field", "rule", "value", "reason")]
        parts.append(table(heads, rows))
    elif "rejected" not in stats and d["outcome"] != "synced":
        parts.append(f"<p>{e(t('not_checked', lang))}</p>")
    elif stats.get("fetched") == 0 and "304" in statuses:
        parts.append(f"<p>{e(t('not_rechecked', lang))}</p>")
    else:
        parts.append(f"<p>{e(t('none_rejected', lang))}</p>")
    if warnings:
        parts.append(f"<{h}>{e(t('warnings', lang))} ({len(warnings)})</{h}>")
        parts.append(f"<p>{e(t('warnings_intro', lang))}</p>")
        rows = [
            (
                f"<code>{e(i['native_id'] or '?')}</code>",
                f"<code>{e(i['field'] or '')}</code>",
                f"<code>{e(i['code'])}</code>",
                e(i["message_" + lang]),
            )
            for i in warnings[:MAX_WARNINGS]
        ]
        heads = [e(t(k, lang)) for k in ("native_id", "field", "rule", "reason")]
        parts.append(table(heads, rows))
        if len(warnings) > MAX_WARNINGS:
            more = t("more_warnings", lang, n=len(warnings) - MAX_WARNINGS)
            parts.append(f"<p>{e(more)}</p>")
    return "\n".join(parts)


def _short(value: Any, n: int = 200) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[: n - 1] + "…"


def message(title_key: str, text: str, lang: str, path: str) -> str:
    """A small page that says one thing (unknown source, unknown run)."""
    return layout(t(title_key, lang), f"<p>{e(text)}</p>", lang, path)


# -- resources -----------------------------------------------------------------------------
def _term(term: Any, base_iri: str) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        iri = term.value
        href = "/" + iri[len(base_iri) :] if iri.startswith(base_iri + "id/") else iri
        return f'<a href="{e(href)}">{e(_curie(iri))}</a>'
    if isinstance(term, ox.Literal):
        extra = ""
        if term.language:
            extra = f" <small>@{e(term.language)}</small>"
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            extra = f" <small>{e(_curie(term.datatype.value))}</small>"
        return e(_short(term.value, 2000)) + extra
    return f"<code>{e(term)}</code>"


def _curie(iri: str) -> str:
    from federator.server.worker import PREFIXES

    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def resource(desc: Description, base_iri: str, lang: str, path: str) -> str:
    """A resource's statements, grouped by subject (the resource, then its inner nodes)."""
    me = f"<{desc.iri}>"
    title = desc.iri
    for q in desc.quads:
        if str(q.subject) == me and q.predicate.value == "http://purl.org/dc/terms/title":
            title = str(getattr(q.object, "value", q.object))
            if getattr(q.object, "language", None) == lang:
                break
    rows = [
        (
            _term(q.subject, base_iri) if str(q.subject) != me else "",
            _term(q.predicate, base_iri),
            _term(q.object, base_iri),
            e(_curie(getattr(q.graph_name, "value", "") or "")),
        )
        for q in desc.quads
    ]
    heads = ["", e(t("property", lang)), e(t("value", lang)), e(t("graph", lang))]
    formats = " · ".join(
        f'<a href="{e(path)}?format={f}">{label}</a>'
        for f, label in (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"))
    )
    parts = [
        f"<p><code>{e(desc.iri)}</code></p>",
        f"<p>{e(t('other_formats', lang))}: {formats}</p>",
        table(heads, rows),
    ]
    if desc.incoming:
        back = [(_term(q.subject, base_iri), _term(q.predicate, base_iri)) for q in desc.incoming]
        parts.append(f"<h2>{e(t('referenced_by', lang))}</h2>")
        parts.append(table(["", e(t("property", lang))], back))
    return layout(title, "\n".join(parts), lang, path)


def missing(iri: str, key: str, lang: str, path: str) -> str:
    body = f"<p><code>{e(iri)}</code></p>\n<p>{e(t(key + '_text', lang))}</p>"
    return layout(t(key, lang), body, lang, path)


def sparql_form(lang: str) -> str:
    example = (
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        "SELECT ?source ?id ?algorithm WHERE {\n"
        "  ?catalog a dcat:Catalog ; dcterms:identifier ?source ; dcat:record ?record .\n"
        "  ?record a dcat:CatalogRecord ; dcterms:identifier ?id ; foaf:primaryTopic ?algorithm .\n"
        "} LIMIT 20"
    )
    body = (
        f"<p>{e(t('sparql_intro', lang))}</p>\n"
        '<form method="get" action="/sparql">\n'
        f'<textarea name="query" rows="12">{e(example)}</textarea>\n'
        '<p><select name="format"><option>json</option><option>csv</option>'
        "<option>tsv</option><option>xml</option><option>turtle</option>"
        "<option>jsonld</option></select>\n"
        f'<button type="submit">{e(t("run_query", lang))}</button></p>\n</form>'
    )
    return layout(t("sparql_title", lang), body, lang, "/sparql")
