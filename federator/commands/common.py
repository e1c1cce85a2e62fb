"""What every command shares: exit statuses and the check of ``--source`` ids."""

from __future__ import annotations

from federator.config import Config
from federator.errors import ConfigError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def check_sources(cfg: Config, ids: list[str]) -> None:
    known = {s.id for s in cfg.sources}
    for sid in ids:
        if sid not in known:
            raise ConfigError(
                f"unknown source {sid!r} (known: {', '.join(sorted(known))})",
                file=str(cfg.path),
                key="--source",
            )
