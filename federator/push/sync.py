"""Bring one target up to date: PUT every graph whose digest it does not have, DELETE every
graph it has that is no longer published.

A target that fails (after urllib3's retries) is left at the first failure: what was sent
stays recorded, the rest is its lag, and the next run goes on from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from federator import log
from federator.config import TargetConfig
from federator.push.gsp import GraphStore, TargetError
from federator.push.local import LocalGraph
from federator.state.ledger import Attempt, Ledger

Connect = Callable[[TargetConfig], GraphStore]
T = TypeVar("T")


class _Wire:
    """Runs the HTTP calls on a thread of their own.

    urllib3 keeps each retried error, with its traceback, in the ``Retry`` history that the
    traceback's frames hold: a reference cycle that keeps every calling frame alive, for as
    long as a log handler keeps the retry warning (pytest does), or until the collector runs.
    On this thread the calling frames are the executor's, not ours that hold the Store, which
    must close with the run: RocksDB allows one open store per directory and process.
    """

    def __init__(self, name: str) -> None:
        self.pool = ThreadPoolExecutor(1, thread_name_prefix=f"push-{name}")

    def __enter__(self) -> _Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown()

    def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        return self.pool.submit(fn, *args).result()


def sync_target(
    target: TargetConfig,
    local: Mapping[str, LocalGraph],
    ledger: Ledger,
    *,
    run_id: str | None = None,
    force: bool = False,
    prefix: str = "",
    connect: Connect = GraphStore,
) -> Attempt:
    """Push what changed to ``target`` (everything when ``force``); record and return it.

    With ``force`` and a query endpoint, graphs under ``prefix`` that the target holds but
    federator no longer publishes are deleted too, even those it never knew it had sent.
    """
    bound = log.get("federator.push").bind(target=target.name)
    started = time.perf_counter()
    attempt = Attempt(target.name, run_id=run_id, forced=force)
    if force:
        ledger.invalidate(target.name)
    pushed = ledger.pushed(target.name)
    to_put = [g for g, lg in local.items() if pushed.get(g) != lg.digest]
    to_delete = sorted(g for g in pushed if g not in local)
    attempt.unchanged = len(local) - len(to_put)
    try:
        with connect(target) as remote, _Wire(target.name) as wire:
            if force and prefix:
                held = wire(remote.graphs) or set()
                extra = {g for g in held if g.startswith(prefix) and g not in local}
                to_delete = sorted(set(to_delete) | extra)
            for graph in to_put:
                wire(remote.put, graph, local[graph].body())
                ledger.accepted(target.name, graph, local[graph].digest)
                attempt.sent += 1
            for graph in to_delete:
                wire(remote.delete, graph)
                ledger.removed(target.name, graph)
                attempt.deleted += 1
    except TargetError as exc:
        attempt.error = exc.message
    attempt.lag = len(to_put) - attempt.sent + len(to_delete) - attempt.deleted
    attempt.seconds = time.perf_counter() - started
    ledger.record(attempt)
    fields = {
        "sent": attempt.sent,
        "deleted": attempt.deleted,
        "unchanged": attempt.unchanged,
        "lag_graphs": attempt.lag,
        "seconds": round(attempt.seconds, 3),
    }
    if attempt.error:
        bound.warning("push.behind", error=attempt.error, **fields)
    else:
        bound.info("push.done", **fields)
    return attempt
