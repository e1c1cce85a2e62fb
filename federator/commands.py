"""The commands behind the CLI: each takes the loaded config and the parsed arguments."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from federator import check as check_mapping
from federator import report
from federator.config import Config
from federator.daemon import run_daemon
from federator.errors import ConfigError
from federator.explain import explain
from federator.pipeline import Federator
from federator.publish import snapshot
from federator.publish.export import export as export_dump
from federator.push import push_all
from federator.push.report import status_table as targets_table
from federator.query import QueryError, run_query, write_results
from federator.server.serve import serve_forever
from federator.state import State

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _check_sources(cfg: Config, ids: list[str]) -> None:
    known = {s.id for s in cfg.sources}
    for sid in ids:
        if sid not in known:
            raise ConfigError(
                f"unknown source {sid!r} (known: {', '.join(sorted(known))})",
                file=str(cfg.path),
                key="--source",
            )


def run(cfg: Config, args: argparse.Namespace) -> int:
    _check_sources(cfg, args.source)
    fed = Federator(cfg)
    fed.state.abandon_leftovers()
    result = fed.run_once(args.source or None, accept_withdrawals=args.accept_withdrawals)
    for sid, sr in result.sources.items():
        line = report.source_line(sid, sr.outcome, sr.stats, sr.error)
        print(line)
    return EXIT_FAILED if result.failed else EXIT_OK


def check(cfg: Config, args: argparse.Namespace) -> int:
    """Fetch (or read stored payloads), map and validate without publishing; say per field
    what the mapping found."""
    _check_sources(cfg, args.source)
    results = check_mapping.check(cfg, args.source or None)
    check_mapping.write(results, sys.stdout)
    return check_mapping.exit_code(results)


def remap(cfg: Config, args: argparse.Namespace) -> int:
    _check_sources(cfg, args.source)
    fed = Federator(cfg)
    fed.state.abandon_leftovers()
    result = fed.remap(args.source or None)
    for sid, sr in result.sources.items():
        print(report.source_line(sid, sr.outcome, sr.stats, sr.error))
    return EXIT_FAILED if result.failed else EXIT_OK


def _open_store(cfg: Config) -> Any:
    store = snapshot.open_current(cfg.data_dir)
    if store is None:
        print(
            f"federator: nothing is published yet under {cfg.data_dir} "
            "(run 'federator run --once' first)",
            file=sys.stderr,
        )
    return store


def query(cfg: Config, args: argparse.Namespace) -> int:
    store = _open_store(cfg)
    if store is None:
        return EXIT_FAILED
    try:
        result = run_query(store, args.sparql)
    except QueryError as exc:
        print(f"federator: malformed query: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    write_results(result, args.format, sys.stdout.buffer)
    sys.stdout.flush()
    return EXIT_OK


def export(cfg: Config, args: argparse.Namespace) -> int:
    store = _open_store(cfg)
    if store is None:
        return EXIT_FAILED
    checksum = export_dump(store, args.format, args.output, sys.stdout.buffer)
    if args.output:
        print(f"wrote {args.output} (sha256 {checksum})", file=sys.stderr)
    return EXIT_OK


def status(cfg: Config, args: argparse.Namespace) -> int:
    state = State(cfg.data_dir)
    print(report.status_table(cfg, state, datetime.now(UTC)))
    targets = targets_table(cfg, state)
    if targets:
        print("\n" + targets)
    return EXIT_OK


def log(cfg: Config, args: argparse.Namespace) -> int:
    _check_sources(cfg, [args.source])
    state = State(cfg.data_dir)
    text = report.source_log(state, args.source, args.run, fmt=args.format)
    if text is None:
        print(f"federator: source {args.source!r} has no run {args.run!r}", file=sys.stderr)
        return EXIT_FAILED
    print(text)
    return EXIT_OK


def clusters(cfg: Config, args: argparse.Namespace) -> int:
    if args.source:
        _check_sources(cfg, [args.source])
    print(explain(cfg, source=args.source, uncertain=args.uncertain, limit=args.limit))
    return EXIT_OK


def push(cfg: Config, args: argparse.Namespace) -> int:
    return push_all(cfg, args.target)


def daemon(cfg: Config, args: argparse.Namespace) -> int:
    return run_daemon(cfg)


def serve(cfg: Config, args: argparse.Namespace) -> int:
    return serve_forever(cfg)
