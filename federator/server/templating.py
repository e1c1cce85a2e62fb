"""The HTML pages' templates (``federator/templates``, Jinja2 through Starlette), and what
every template may use: the language, the texts in it, and links that keep it.

Escaping is on for every template: a value from a register or the graph never becomes markup.
Templates read their language from ``lang`` ('nl' or 'en') and the page's own path from
``path``; ``t('key')`` says a text of ``texts`` in that language.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from federator.server import texts


def lang_of(request: Request) -> str:
    """The language a person asked for: ``?lang=`` when given, else the first of Dutch and
    English in the browser's ``Accept-Language`` (by its q-values), else Dutch."""
    asked = request.query_params.get("lang")
    if asked in ("nl", "en"):
        return asked
    best, best_q = "nl", 0.0
    for part in (request.headers.get("accept-language") or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("nl", "en"):
            continue
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = primary, q
    return best


def _finalize(value: Any) -> Any:
    # Nothing prints as nothing (not 'None'). Text is escaped as html.escape does (quotes
    # too, as &quot; and &#x27;), which is what the pages wrote before they had templates;
    # Markup (a block, a macro's output) is already safe and passes through.
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


@jinja2.pass_context
def _t(context: jinja2.runtime.Context, key: str, **args: object) -> str:
    return texts.t(key, context["lang"], **args)


@jinja2.pass_context
def _word(context: jinja2.runtime.Context, table: str, key: str) -> str:
    return texts.pick(getattr(texts, table), key, context["lang"])


@jinja2.pass_context
def _http_meaning(context: jinja2.runtime.Context, status: str | int) -> str:
    return texts.http_meaning(status, context["lang"])


@jinja2.pass_context
def _href(context: jinja2.runtime.Context, path: str) -> str:
    """A link within the site, in the page's language."""
    if context["lang"] != "en" and not context.get("lang_explicit"):
        return path
    return path + ("&" if "?" in path else "?") + "lang=" + context["lang"]


def _short(value: Any, n: int = 200) -> str:
    """A value cut to ``n`` characters (a register's text can be long)."""
    text = "" if value is None else str(value)
    return text if len(text) <= n else text[: n - 1] + "…"


def _when(value: Any) -> str:
    """An ISO 8601 time as people read it: date and minutes, UTC."""
    text = "" if value is None else str(value)
    return text[:16].replace("T", " ") + (" UTC" if len(text) > 10 else "")


def _pct(share: float) -> str:
    return f"{share:.0%}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("federator", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the page, not silently
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(t=_t, word=_word, http_meaning=_http_meaning, href=_href)
    env.globals["ERRORS"] = texts.ERRORS  # the failures that have words of their own
    env.filters["short"] = _short
    env.filters["pct"] = _pct
    env.filters["when"] = _when
    return env


templates = Jinja2Templates(env=_environment())


def render(name: str, lang: str, path: str, **values: Any) -> str:
    """The page ``name`` in ``lang``; ``path`` is the page's own (for its language switch)."""
    return templates.get_template(name).render(lang=lang, path=path, **values)


def page(
    request: Request,
    name: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **values: Any,
) -> HTMLResponse:
    """The page ``name`` as the answer to ``request``, in the language it asks for."""
    lang = lang_of(request)
    other = "nl" if lang == "en" else "en"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    switch = request.url.path + "?" + urlencode([*kept, ("lang", other)])
    context = {
        "lang": lang,
        "path": request.url.path,
        "switch_href": switch,
        "lang_explicit": "lang" in request.query_params,
        **values,
    }
    # The same URL answers in Dutch or English by Accept-Language: caches must know.
    merged = dict(headers or {})
    vary = [v.strip() for v in merged.get("Vary", "").split(",") if v.strip()]
    merged["Vary"] = ", ".join(dict.fromkeys([*vary, "Accept", "Accept-Language"]))
    merged["Content-Language"] = lang
    return templates.TemplateResponse(request, name, context, status_code, merged)
