"""Commands that harvest, map and publish: ``run`` and ``remap`` (``check``, which publishes
nothing, is ``commands.check``: a run process does not load it)."""

from __future__ import annotations

import argparse

from federator import report
from federator.commands.common import EXIT_FAILED, EXIT_OK, check_sources
from federator.config import Config
from federator.pipeline import Federator


def run(cfg: Config, args: argparse.Namespace) -> int:
    check_sources(cfg, args.source)
    fed = Federator(cfg)
    try:
        fed.state.abandon_leftovers()
        result = fed.run_once(args.source or None, accept_withdrawals=args.accept_withdrawals)
    finally:
        fed.close()  # not left to the collector at the process's exit (``cli.finish``)
    for sid, sr in result.sources.items():
        line = report.source_line(sid, sr.outcome, sr.stats, sr.error)
        print(line)
    return EXIT_FAILED if result.failed else EXIT_OK


def remap(cfg: Config, args: argparse.Namespace) -> int:
    check_sources(cfg, args.source)
    fed = Federator(cfg)
    try:
        fed.state.abandon_leftovers()
        result = fed.remap(args.source or None)
    finally:
        fed.close()
    for sid, sr in result.sources.items():
        print(report.source_line(sid, sr.outcome, sr.stats, sr.error))
    return EXIT_FAILED if result.failed else EXIT_OK
