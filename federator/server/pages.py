"""Pages for people: the list of registers, harvest logs for source agencies, small messages.

Each page is a template under ``federator/templates`` (see ``templating``); these functions
gather what it shows. Dutch by default, English with ``?lang=en``. The pages show the same
facts as ``federator log`` and ``federator status``: a run is read once, as a
``report.RunLog``, whatever shows it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from federator.config import Config, SourceConfig
from federator.map import spec
from federator.report import RunLog
from federator.server.context import context
from federator.server.templating import lang_of, page
from federator.state.search import SearchIndex
from federator.vocab import Minter

__all__ = ["index", "lang_of", "message", "run_page", "source_log"]


@lru_cache(maxsize=1)
def field_labels() -> dict[str, dict[str, str]]:
    """The standard's field names as agencies know them, in Dutch and English."""
    return {f.name: f.label for f in spec.load(spec.builtin_path("algoritmeregister-json")).fields}


def index(
    request: Request, cfg: Config, last_runs: dict[str, dict[str, Any] | None]
) -> HTMLResponse:
    """The front page: every source with its last run, and the endpoints for machines."""
    sources = []
    for src in cfg.sources:
        run = last_runs.get(src.id)
        sources.append((src, RunLog.of(run) if run else None))
    return page(request, "index.html", sources=sources)


def record_links(request: Request, source: str, run: RunLog | None) -> dict[str, tuple[str, str]]:
    """Native id -> (the page of its record in this register, the page of the algorithm it
    describes), for the ids a run names that are published (by the search index)."""
    if run is None:
        return {}
    ids = {str(i["native_id"]) for i in [*run.rejected, *run.warnings] if i.get("native_id")}
    ctx = context(request)
    try:
        index = SearchIndex(ctx.data_dir)
    except FileNotFoundError:
        return {}
    with index:
        found = index.tokens((source, native) for native in sorted(ids))
    minter = Minter(ctx.base_iri)
    return {
        native: (
            "/" + minter.description(source, native)[len(minter.base) :],
            f"/id/algorithm/{token}",
        )
        for (_, native), token in found.items()
    }


def source_log(
    request: Request,
    src: SourceConfig,
    runs: list[dict[str, Any]],
    latest: dict[str, Any] | None,
    next_run: str | None,
) -> HTMLResponse:
    """A source's harvest log: a plain table of runs, then the latest run in full."""
    latest_log = RunLog.of(latest) if latest else None
    return page(
        request,
        "source_log.html",
        source=src,
        runs=[RunLog.of(r) for r in runs],
        latest=latest_log,
        next_run=next_run,
        labels=field_labels(),
        links=record_links(request, src.id, latest_log),
    )


def run_page(request: Request, src: SourceConfig, detail: dict[str, Any]) -> HTMLResponse:
    """One run in full."""
    run = RunLog.of(detail)
    return page(
        request,
        "run.html",
        source=src,
        run=run,
        labels=field_labels(),
        links=record_links(request, src.id, run),
    )


def message(request: Request, title_key: str, text: str, status_code: int) -> HTMLResponse:
    """A small page that says one thing (unknown source, unknown run)."""
    return page(request, "message.html", status_code, title_key=title_key, text=text)
