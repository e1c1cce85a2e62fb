"""Commands that read what is published: query, export, status, log, clusters."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from federator import report
from federator.commands.common import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, check_sources
from federator.config import Config
from federator.explain import explain
from federator.publish import snapshot
from federator.publish.export import export as export_dump
from federator.push.report import status_table as targets_table
from federator.query import QueryError, run_query, write_results
from federator.state import State


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
    with State(cfg.data_dir) as state:
        table = report.status_table(cfg, state, datetime.now(UTC))
        targets = targets_table(cfg, state)
    print(table)
    if targets:
        print("\n" + targets)
    return EXIT_OK


def log(cfg: Config, args: argparse.Namespace) -> int:
    check_sources(cfg, [args.source])
    with State(cfg.data_dir) as state:
        text = report.source_log(state, args.source, args.run, fmt=args.format)
    if text is None:
        print(f"federator: source {args.source!r} has no run {args.run!r}", file=sys.stderr)
        return EXIT_FAILED
    print(text)
    return EXIT_OK


def clusters(cfg: Config, args: argparse.Namespace) -> int:
    if args.source:
        check_sources(cfg, [args.source])
    print(explain(cfg, source=args.source, uncertain=args.uncertain, limit=args.limit))
    return EXIT_OK
