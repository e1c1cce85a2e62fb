"""The Starlette application: every HTTP endpoint of ``CONTRACT.md``.

Blocking work (SQLite, lookups in the snapshot) runs in sync endpoints, which Starlette runs
in its thread pool; SPARQL queries run in the worker pool (see ``pool``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from importlib import resources as package_files
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federator import log
from federator.config import Config, SourceConfig
from federator.push.metrics import TargetCollector
from federator.report import COUNTS, RunLog, run_detail
from federator.schedule import planned_next_run
from federator.server import changes, dataset, negotiate, pages, resources, site, sparql
from federator.server.context import Context, Planner, SnapshotReader, context
from federator.server.pool import QueryPool

MAX_RUNS = 200  # runs one log page or JSON list shows at most


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return Response(body, status, media_type="application/json")


def _wants_html(request: Request) -> bool:
    fmt = request.query_params.get("format")
    if fmt:
        return fmt == "html"
    return negotiate.prefers_html(request.headers.get("accept"))


# -- endpoints -----------------------------------------------------------------------------
def health(request: Request) -> Response:
    """200 when the published snapshot answers a trivial query; 503 otherwise."""
    ctx = context(request)
    try:
        store = ctx.reader.get()
        if store is None:
            return _json({"status": "unavailable", "reason": "nothing is published yet"}, 503)
        answered = bool(store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True))
    except OSError as exc:
        return _json({"status": "unavailable", "reason": f"the store does not answer: {exc}"}, 503)
    path = ctx.reader.path
    published = (
        datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
        if path is not None and path.exists()
        else None
    )
    pool = ctx.pool
    return _json(
        {
            "status": "ok",
            "published": published,
            "snapshot": path.name if path is not None else None,
            "empty": not answered,
            "query_workers": {"size": pool.size, "busy": pool.busy} if pool else None,
        }
    )


def metrics(request: Request) -> Response:
    return Response(
        generate_latest(context(request).metrics.registry), media_type=CONTENT_TYPE_LATEST
    )


def _last_run(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run_id": run["run_id"],
        "started": run["started"],
        "ended": run["ended"],
        "outcome": run["outcome"],
        "error": run["error"],
        "counts": {k: run["stats"][k] for k in COUNTS if k in (run["stats"] or {})},
    }


def _source_json(src: SourceConfig, run: dict[str, Any] | None, next_run: str | None) -> Any:
    return {
        "id": src.id,
        "title": src.title,
        "level": src.level,
        "format": src.format,
        "schedule": src.schedule,
        "last_run": _last_run(run),
        "next_run": next_run,
        "log": f"/sources/{src.id}/runs",
    }


def _latest_runs(ctx: Context) -> dict[str, dict[str, Any] | None]:
    state = ctx.state()
    try:
        return {s.id: next(iter(state.source_runs(s.id, limit=1)), None) for s in ctx.cfg.sources}
    finally:
        state.close()


def sources(request: Request) -> Response:
    """Every configured source with its last run and next run (JSON; HTML for browsers)."""
    ctx = context(request)
    latest = _latest_runs(ctx)
    if _wants_html(request):
        return pages.index(request, ctx.cfg, latest)
    return _json([_source_json(s, latest[s.id], ctx.planner(s.id)) for s in ctx.cfg.sources])


def index(request: Request) -> Response:
    """The sources and the endpoints, for people; a map of the endpoints for machines."""
    # The dataset's description, for machines that look for it in a header (RFC 8288).
    described_by = {"Link": '</void>; rel="describedby"; type="text/turtle"'}
    if _wants_html(request):
        ctx = context(request)
        latest = _latest_runs(ctx)
        runs = []
        for src in ctx.cfg.sources:
            run = latest[src.id]
            runs.append((src, RunLog.of(run) if run is not None else None))
        return site.front(request, runs)
    answer = _json(
        {
            "sparql": "/sparql",
            "algorithms": "/algorithms",
            "organisations": "/organisations",
            "sources": "/sources",
            "health": "/health",
            "metrics": "/metrics",
            "vocabulary": "/vocabulary",
            "void": "/void",
            "dump": "/dump/latest.nq.gz",
        }
    )
    answer.headers.update(described_by)
    return answer


def _source_or_404(request: Request) -> SourceConfig | Response:
    ctx = context(request)
    sid = request.path_params["source"]
    try:
        return ctx.cfg.source(sid)
    except KeyError:
        text = f"no source {sid!r} is configured"
        if _wants_html(request):
            return pages.message(request, "unknown_source", text, 404)
        return _json({"error": text}, 404)


def source_runs(request: Request) -> Response:
    """A source's harvest log, newest first (JSON, or HTML for browsers)."""
    ctx = context(request)
    src = _source_or_404(request)
    if isinstance(src, Response):
        return src
    try:
        limit = max(1, min(MAX_RUNS, int(request.query_params.get("limit", 50))))
    except ValueError:
        return _json({"error": "limit must be a number"}, 400)
    state = ctx.state()
    try:
        runs = state.source_runs(src.id, limit=limit)
        latest = run_detail(state, src.id, runs[0]["run_id"]) if runs else None
    finally:
        state.close()
    if _wants_html(request):
        return pages.source_log(request, src, runs, latest, ctx.planner(src.id))
    for r in runs:
        r.pop("payloads", None)
    return _json(
        {
            "source": {"id": src.id, "title": src.title},
            "next_run": ctx.planner(src.id),
            "runs": runs,
        }
    )


def source_run(request: Request) -> Response:
    """One run of a source in full: counts, HTTP statuses, errors and every issue."""
    ctx = context(request)
    src = _source_or_404(request)
    if isinstance(src, Response):
        return src
    run_id = request.path_params["run"]
    state = ctx.state()
    try:
        detail = run_detail(state, src.id, run_id)
    finally:
        state.close()
    html = _wants_html(request)
    if detail is None:
        text = f"source {src.id!r} has no run {run_id!r}"
        if html:
            return pages.message(request, "unknown_run", text, 404)
        return _json({"error": text}, 404)
    if html:
        return pages.run_page(request, src, detail)
    answer = RunLog.of(detail).as_json()
    answer["source"] = {"id": src.id, "title": src.title}
    return _json(answer)


def _data_file(name: str) -> bytes | None:
    try:
        return package_files.files("federator.data").joinpath(name).read_bytes()
    except (FileNotFoundError, OSError):
        return None


def vocabulary(request: Request) -> Response:
    body = _data_file("vocabulary.ttl")
    if body is None:
        return Response("no vocabulary file\n", 404, media_type="text/plain")
    return Response(body, media_type="text/turtle; charset=utf-8")


def shapes(request: Request) -> Response:
    body = _data_file("shapes.ttl")
    if body is None:
        return Response("no shapes are published\n", 404, media_type="text/plain")
    return Response(body, media_type="text/turtle; charset=utf-8")


# -- middleware ----------------------------------------------------------------------------
class AccessLog:
    """Logs each request (method, path, status, time; never the query string) and counts it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = log.get("federator.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "other"
            ctx: Context | None = getattr(scope["app"].state, "ctx", None)
            if ctx is not None:
                ctx.metrics.requests.labels(route, scope["method"], str(status)).inc()
                ctx.metrics.latency.labels(route).observe(elapsed)
            # Query strings may carry credentials or whole queries: the path only.
            self.log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round(elapsed * 1000, 1),
            )


# -- the application -----------------------------------------------------------------------
def create_app(cfg: Config, planner: Planner | None = None) -> Starlette:
    """The application over ``cfg``; ``planner`` says when a source runs next."""
    if planner is None:

        def planner(source_id: str) -> str | None:
            return planned_next_run(cfg, source_id)

    ctx = Context(cfg, planner, SnapshotReader(cfg.data_dir))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        timeout = cfg.server.query_timeout
        ctx.pool = QueryPool(cfg.data_dir, timeout=timeout, limits=cfg.server)
        try:
            ctx.pool.start()
            yield
        finally:
            ctx.pool.close()

    routes = [
        Route("/", index),
        Route("/sparql", sparql.endpoint, methods=["GET", "POST"]),
        Route("/health", health),
        Route("/metrics", metrics),
        Route("/sources", sources),
        Route("/sources/{source}/runs", source_runs),
        Route("/sources/{source}/runs/{run}", source_run),
        Route("/algorithms", site.algorithms),
        Route("/organisations", site.organisations),
        Route("/organisations/{key}", site.organisation),
        Route("/id/{rest:path}", resources.endpoint),
        Route("/changes", changes.endpoint),
        Route("/vocabulary", vocabulary),
        Route("/shapes", shapes),
        Route("/void", dataset.void_endpoint),
        Route("/.well-known/void", dataset.void_endpoint),
        Route("/dump/latest.nq.gz", dataset.dump_endpoint),
        Route("/dump/latest.nq.gz.sha256", dataset.dump_checksum),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.ctx = ctx
    app.state.void = dataset.Description()
    ctx.metrics.registry.register(TargetCollector(cfg))
    # Public, read-only data without credentials: any web page may query it (YASGUI & co).
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST"],
        allow_headers=["Accept", "Content-Type"],
        expose_headers=["X-SPARQL-MaxRows"],
    )
    app.add_middleware(AccessLog)
    return app
