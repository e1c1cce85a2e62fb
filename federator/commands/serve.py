"""Commands that keep running or send elsewhere: ``serve``, ``daemon`` and ``push``."""

from __future__ import annotations

import argparse

from federator.config import Config
from federator.daemon import run_daemon
from federator.push import push_all
from federator.server.serve import serve_forever


def push(cfg: Config, args: argparse.Namespace) -> int:
    return push_all(cfg, args.target)


def daemon(cfg: Config, args: argparse.Namespace) -> int:
    return run_daemon(cfg)


def serve(cfg: Config, args: argparse.Namespace) -> int:
    return serve_forever(cfg)
