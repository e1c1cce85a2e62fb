"""Commands that harvest or map: ``run``, ``remap`` and ``check``."""

from __future__ import annotations

import argparse
import sys

from federator import check as check_mapping
from federator import report
from federator.commands.common import EXIT_FAILED, EXIT_OK, check_sources
from federator.config import Config
from federator.pipeline import Federator


def run(cfg: Config, args: argparse.Namespace) -> int:
    check_sources(cfg, args.source)
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
    check_sources(cfg, args.source)
    results = check_mapping.check(cfg, args.source or None)
    check_mapping.write(results, sys.stdout)
    return check_mapping.exit_code(results)


def remap(cfg: Config, args: argparse.Namespace) -> int:
    check_sources(cfg, args.source)
    fed = Federator(cfg)
    fed.state.abandon_leftovers()
    result = fed.remap(args.source or None)
    for sid, sr in result.sources.items():
        print(report.source_line(sid, sr.outcome, sr.stats, sr.error))
    return EXIT_FAILED if result.failed else EXIT_OK
