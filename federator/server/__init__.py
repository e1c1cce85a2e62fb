"""The HTTP server (``federator serve``, and inside ``federator daemon``).

Modules: ``app`` (routes), ``sparql`` (the SPARQL Protocol), ``pool`` and ``worker`` (queries in
killable processes), ``resources`` (``/id/...``), ``pages`` and ``texts`` (HTML in Dutch and
English), ``metrics`` (Prometheus), ``serve`` (uvicorn). This package imports nothing heavy
itself, so that query workers (which import ``worker``) start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from federator.config import Config


def serve_forever(cfg: Config) -> int:
    """``federator serve``: the HTTP server alone, over what is published; 0 after a clean stop."""
    from federator.server.serve import serve_forever as serve

    return serve(cfg)


def create_app(cfg: Config, planner: Any = None) -> Any:
    """The Starlette application over ``cfg`` (see ``federator.server.app.create_app``)."""
    from federator.server.app import create_app as create

    return create(cfg, planner)


__all__ = ["create_app", "serve_forever"]
