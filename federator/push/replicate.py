"""Replication proper: the dump and the targets after a publish, and ``federator push``."""

from __future__ import annotations

import sys
import traceback

import pyoxigraph as ox

from federator import log
from federator.config import Config, TargetConfig
from federator.errors import ConfigError, FederatorError
from federator.lock import RunLock
from federator.publish import snapshot
from federator.publish.store import Store
from federator.push import dump, void
from federator.push.local import graph_prefix, local_graphs
from federator.push.sync import sync_target
from federator.state import State
from federator.state.ledger import Attempt, Ledger
from federator.vocab import Minter

EXIT_OK, EXIT_BEHIND, EXIT_UNKNOWN_TARGET = 0, 1, 2


def description(config: Config, store: ox.Store) -> tuple[str, str]:
    """(graph IRI, N-Triples) of the VoID / Service Description of what ``store`` holds."""
    minter = Minter(config.base_iri)
    text = void.describe(minter, void.graph_counts(store))
    return void.void_graph(minter), text


def push_targets(
    config: Config,
    store: Store,
    state: State,
    targets: tuple[TargetConfig, ...],
    *,
    run_id: str | None = None,
    force: bool = False,
) -> list[Attempt]:
    """Bring each target up to date with the store (every graph again when ``force``)."""
    ledger = Ledger(state, keep=config.history.keep_runs)
    graph, text = description(config, store.ox)
    local = local_graphs(store, {graph: text})
    prefix = graph_prefix(Minter(config.base_iri))
    return [
        sync_target(target, local, ledger, run_id=run_id, force=force, prefix=prefix)
        for target in targets
    ]


def after_publish(config: Config, store: Store, state: State, run_id: str) -> None:
    """Dump and push after a successful local publish; report, never raise."""
    bound = log.get("federator.push").bind(run=run_id)
    if config.publish.dump and store.path is not None:
        try:
            made = dump.refresh(store, config.data_dir)
            if made is not None:
                bound.info("dump.written", sha256=made["sha256"], bytes=made["bytes"])
        except Exception as exc:  # a dump is a convenience: it must not fail the run
            bound.error("dump.failed", error=repr(exc), trace=traceback.format_exc(limit=5))
    if not config.publish.targets:
        return
    try:
        push_targets(config, store, state, config.publish.targets, run_id=run_id)
    except Exception as exc:  # a bug here must not undo a publish that succeeded
        bound.error("push.crashed", error=repr(exc), trace=traceback.format_exc(limit=5))


def push_all(config: Config, target_name: str | None) -> int:
    """``federator push [--target NAME]``: send every graph to the target(s) again."""
    targets = config.publish.targets
    if target_name is not None:
        try:
            targets = (config.publish.target(target_name),)
        except KeyError:
            known = ", ".join(t.name for t in config.publish.targets) or "none configured"
            error = ConfigError(
                f"unknown target {target_name!r} (known: {known})",
                file=str(config.path),
                key="--target",
            )
            print(f"federator: configuration error: {error}", file=sys.stderr)
            return EXIT_UNKNOWN_TARGET
    if not targets:
        print("federator: no publish targets are configured (publish.targets)", file=sys.stderr)
        return EXIT_OK
    if snapshot.current(config.data_dir) is None:
        print(
            f"federator: nothing is published yet under {config.data_dir} "
            "(run 'federator run --once' first)",
            file=sys.stderr,
        )
        return EXIT_BEHIND
    try:
        lock = RunLock(config.data_dir).acquire()
    except FederatorError as exc:
        print(f"federator: {exc.message}", file=sys.stderr)
        return EXIT_BEHIND
    try:
        attempts = _push_locked(config, targets)
    finally:
        lock.release()
    if attempts is None:
        print(
            "federator: the last publish was interrupted; run 'federator run --once' "
            "before pushing",
            file=sys.stderr,
        )
        return EXIT_BEHIND
    for a in attempts:
        print(summary(a))
    return EXIT_OK if all(a.up_to_date for a in attempts) else EXIT_BEHIND


def _push_locked(config: Config, targets: tuple[TargetConfig, ...]) -> list[Attempt] | None:
    """Push everything from the store (the caller holds the run lock); None when the last
    publish was interrupted, so the store holds no consistent state to copy."""
    with State(config.data_dir) as state:
        store = Store(config.data_dir / "store")
        if store.dirty():
            return None
        return push_targets(config, store, state, targets, force=True)


def summary(a: Attempt) -> str:
    """One line per target for a terminal."""
    done = f"sent {a.sent} graphs, deleted {a.deleted}"
    if a.up_to_date:
        return f"{a.target}: up to date ({done})"
    return f"{a.target}: {a.lag} graphs behind ({done}): {a.error}"
