"""What the endpoints share, and how an endpoint reaches it from its request.

Every endpoint module imports this one (and never ``app``, which imports them all): the
application builds one ``Context`` and keeps it on ``app.state``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from starlette.requests import Request

from federator.config import Config
from federator.publish import snapshot
from federator.server.metrics import Metrics
from federator.server.pool import QueryPool
from federator.state import State

Planner = Callable[[str], str | None]  # source id -> next run (ISO 8601), None when unscheduled


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
class Context:
    """What the endpoints share: the config, the worker pool, a snapshot reader, metrics."""

    cfg: Config
    planner: Planner
    reader: SnapshotReader
    pool: QueryPool | None = None
    metrics: Metrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = Metrics(self.cfg, lambda: self.pool)

    @property
    def base_iri(self) -> str:
        return self.cfg.base_iri

    @property
    def data_dir(self) -> Path:
        return self.cfg.data_dir

    @property
    def result_limit(self) -> int:
        return self.cfg.server.result_limit

    def state(self) -> State:
        # One connection per request: SQLite connections are not for sharing across threads.
        return State(self.cfg.data_dir)


def context(request: Request) -> Context:
    """The context of the application that serves ``request``."""
    ctx: Context = request.app.state.ctx
    return ctx
