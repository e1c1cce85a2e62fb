"""The ``check`` command: fetch (or read stored payloads), map and validate, publish nothing."""

from __future__ import annotations

import argparse
import sys

from federator import check as check_mapping
from federator.commands.common import check_sources
from federator.config import Config


def check(cfg: Config, args: argparse.Namespace) -> int:
    """Fetch (or read stored payloads), map and validate without publishing; say per field
    what the mapping found."""
    check_sources(cfg, args.source)
    results = check_mapping.check(cfg, args.source or None)
    check_mapping.write(results, sys.stdout)
    return check_mapping.exit_code(results)
