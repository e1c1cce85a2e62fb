"""The ``federator`` command line, as ``CONTRACT.md`` describes it.

Results go to standard output, logs and diagnostics to standard error. Exit status: 0 done,
1 a source failed (the others were published), 2 configuration or usage error.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from federator import __version__, commands, config, configcheck, log
from federator.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="configuration file (default: $FEDERATOR_CONFIG, else config/federator.yaml)",
    )
    common.add_argument(
        "--log-format",
        choices=("json", "console"),
        default=argparse.SUPPRESS,
        help="log format on standard error (default: console on a terminal)",
    )
    parser = argparse.ArgumentParser(
        prog="federator", parents=[common], description="Federate public algorithm registers."
    )
    parser.add_argument("--version", action="version", version=f"federator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="one full cycle")
    run.add_argument(
        "--once",
        action="store_true",
        required=True,
        help="run one cycle and exit (the daemon schedules cycles)",
    )
    run.add_argument(
        "--source", action="append", default=[], metavar="ID", help="only this source (repeatable)"
    )
    run.add_argument(
        "--accept-withdrawals",
        action="store_true",
        help="apply a withdrawal that the mass-withdrawal guard held back",
    )

    sub.add_parser("daemon", parents=[common], help="scheduler plus HTTP server")
    sub.add_parser("serve", parents=[common], help="the HTTP server alone")

    q = sub.add_parser("query", parents=[common], help="read-only SPARQL on the published graph")
    q.add_argument("sparql")
    q.add_argument("--format", choices=("csv", "tsv", "json", "table"), default="table")

    ex = sub.add_parser("export", parents=[common], help="dump the published graph")
    ex.add_argument("--format", choices=("nquads", "trig", "turtle", "jsonld"), default="nquads")
    ex.add_argument("--output", type=Path, help="file to write (gzip when it ends in .gz)")

    sub.add_parser("status", parents=[common], help="per source: last run, outcome, next run")

    lg = sub.add_parser("log", parents=[common], help="a source's harvest log")
    lg.add_argument("source")
    lg.add_argument("--run", metavar="ID")
    lg.add_argument("--format", choices=("text", "json"), default="text")

    cl = sub.add_parser("clusters", parents=[common], help="resolution explained")
    cl.add_argument("--source", metavar="ID")
    cl.add_argument("--uncertain", action="store_true", help="only borderline pairs")
    cl.add_argument("--limit", type=int, metavar="N", help="at most N pairs or clusters")

    ck = sub.add_parser(
        "check",
        parents=[common],
        help="fetch, map and validate without publishing: what the mapping found, per field",
    )
    ck.add_argument(
        "--source", action="append", default=[], metavar="ID", help="only this source (repeatable)"
    )

    rm = sub.add_parser("remap", parents=[common], help="re-map stored raw payloads")
    rm.add_argument("--source", action="append", default=[], metavar="ID")

    push = sub.add_parser("push", parents=[common], help="re-send every graph to remote targets")
    push.add_argument("--target", metavar="NAME", help="only this target")

    demo = sub.add_parser("demo", parents=[common], help="offline demo on bundled registers")
    demo.add_argument("--serve", action="store_true", help="keep serving the result over HTTP")
    demo.add_argument(
        "--data-dir",
        type=Path,
        default=Path("var/demo"),
        help="where the demo keeps its state (default: var/demo)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fmt = getattr(args, "log_format", None)
    log.configure(json=None if fmt is None else fmt == "json")
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"federator: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def entry(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``federator`` command, as installed and as ``python -m federator``: ``main``, then
    the process's exit (``finish``)."""
    sys.exit(finish(main(argv)))


def finish(code: int) -> int:
    """Before the process exits with ``code``: what is loaded by now is left to the exit as
    it is (``gc.freeze``), so the interpreter's exit does not make the collector pass over it
    again and again (0.08 s of a 1.1 s run that found nothing changed: 0.10 s to 0.02 s).
    Object finalizers, atexit handlers and the streams' flushing still run; only garbage in
    reference cycles is left to the operating system, and the commands close what they opened
    themselves (``Federator.close``) instead of leaving it to the collector."""
    gc.freeze()
    return code


def load_config(args: argparse.Namespace) -> config.Config:
    path = getattr(args, "config", None) or config.default_path()
    return configcheck.load(path)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        # The demo prints its own story; only problems go to the log.
        log.configure(json=getattr(args, "log_format", None) == "json", level="warning")
        return commands.demo(args)
    cfg = load_config(args)
    command = commands.handler(args.command)
    # What is loaded by now (modules, the configuration) lasts as long as the command: the
    # garbage collector's full passes need not go over it again and again (a no-change run
    # of 20,000 registrations spent 0.09 s in them; 0.04 s so).
    gc.freeze()
    try:
        return int(command(cfg, args))
    finally:
        gc.unfreeze()  # a caller that goes on (tests, the daemon's run process) as before


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
