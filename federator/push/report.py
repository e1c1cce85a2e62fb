"""How far behind each remote target is, for ``federator status`` (and ``push.metrics``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from federator.config import Config
from federator.state import State
from federator.state.ledger import Ledger


def epoch(stamp: str | None) -> float | None:
    """Unix time of an ISO 8601 stamp; None when there is none or it does not parse."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def target_status(cfg: Config, state: State) -> dict[str, dict[str, Any] | None]:
    """Configured target -> its latest attempt, None when it was never pushed to."""
    known = Ledger(state).status()
    return {t.name: known.get(t.name) for t in cfg.publish.targets}


def status_table(cfg: Config, state: State) -> str | None:
    """A table of the targets for ``federator status``; None when there are none."""
    if not cfg.publish.targets:
        return None
    rows = [("TARGET", "LAST PUSH", "LAG", "UP TO DATE AT", "ERROR")]
    for name, row in target_status(cfg, state).items():
        if row is None:
            rows.append((name, "never", "-", "-", ""))
            continue
        lag = f"{row['lag_graphs']} graphs"
        rows.append(
            (name, row["attempted_at"], lag, row["synced_at"] or "never", row["error"] or "")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
