"""The checks of a configuration that need more of federator than the leaf ``config`` may import:
every source's mapping file must load and its schedule must parse. Commands load their
configuration through ``load`` here, so that these mistakes, too, stop federator before anything
runs, naming the file, line and key."""

from __future__ import annotations

from pathlib import Path

from federator import config
from federator.errors import ConfigError
from federator.map import spec
from federator.schedule import parse_schedule


def load(path: str | Path) -> config.Config:
    """``config.load`` and ``check``."""
    cfg = config.load(path)
    check(cfg)
    return cfg


def check(cfg: config.Config) -> None:
    """Raise ``ConfigError`` for an unreadable mapping file or a schedule that does not parse."""
    for i, src in enumerate(cfg.sources):
        if src.mapping is not None:
            try:
                mapping = spec.load(src.mapping)
            except ConfigError as exc:
                raise cfg.error(
                    f"unreadable mapping file: {exc.message}", "sources", i, "mapping"
                ) from exc
            if src.format == "rdf" and not mapping.record_types:
                raise cfg.error(
                    f"the mapping {mapping.path} names no 'records: {{type: ...}}': no subject "
                    "of the RDF would be a record (see docs/mappings.md)",
                    "sources",
                    i,
                    "mapping",
                )
        if src.schedule is not None:
            try:
                parse_schedule(src.schedule)
            except ValueError as exc:
                raise cfg.error(str(exc), "sources", i, "schedule") from exc
