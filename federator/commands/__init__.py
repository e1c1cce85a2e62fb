"""The commands behind the CLI, by name: each takes the loaded config and the parsed arguments.

A named registry (as rdflib's plug-ins are): the command line imports only the module of the
command it runs, so that ``run --once`` (and the worker processes it spawns, which import the
command line again) do not load the HTTP server, the scheduler or the query planner.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from federator.config import Config

Handler = Callable[[Config, argparse.Namespace], int]

# command -> the module under ``federator.commands`` that defines it, by the same name
REGISTRY = {
    "run": "sync",
    "remap": "sync",
    "check": "check",
    "query": "read",
    "export": "read",
    "status": "read",
    "log": "read",
    "clusters": "read",
    "push": "serve",
    "daemon": "serve",
    "serve": "serve",
}


def handler(command: str) -> Handler:
    """The function behind ``command``."""
    module = importlib.import_module(f"{__name__}.{REGISTRY[command]}")
    found: Handler = getattr(module, command)
    return found


def demo(args: argparse.Namespace) -> int:
    """``federator demo``: it builds its own configuration, so it takes none."""
    module = importlib.import_module("federator.demo")
    code: int = module.main(args.data_dir, serve=args.serve)
    return code
