"""Source schedules: a cron expression, or ``{every: 6h}``, as APScheduler triggers; and when a
source runs next, as the running daemon plans it or as its schedule gives.

A leaf: it imports nothing of federator, so that read models (``report``, the HTTP server) can
say when a source runs next without depending on the process supervisor (``daemon``).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # APScheduler is imported where a schedule is read (``parse_schedule``)
    from apscheduler.triggers.base import BaseTrigger

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
DEFAULT_JITTER = 60
STATUS_FILE = "daemon.json"  # in data_dir: the running daemon's pid and every source's next run


def parse_schedule(value: str | dict[str, Any], jitter: int | None = None) -> BaseTrigger:
    """Turn a configured schedule into a trigger; raise ``ValueError`` with a clear message."""
    # Here, not at the top: a command whose configuration names no schedule does not import
    # the scheduler (5-8 ms of its start, with the rest of federator loaded before it).
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if isinstance(value, str):
        try:
            trigger = CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {value!r}: {exc}") from exc
        trigger.jitter = jitter
        return trigger
    if isinstance(value, dict):
        unknown = set(value) - {"every", "jitter"}
        if unknown or "every" not in value:
            raise ValueError("a schedule mapping takes 'every' (like 6h, 30m, 10s) and 'jitter'")
        match = _EVERY.match(str(value["every"]))
        if not match:
            raise ValueError(f"invalid interval {value['every']!r}: use a number and s, m, h or d")
        amount = float(match.group(1))
        if amount <= 0:
            raise ValueError("the interval must be positive")
        j = value.get("jitter", jitter)
        return IntervalTrigger(**{_UNITS[match.group(2)]: amount}, jitter=j, timezone="UTC")
    raise ValueError("a schedule is a cron expression or {every: 6h}")


# -- when a source runs next ---------------------------------------------------------------
class Scheduled(Protocol):
    """What of a source's configuration the plan reads (``config.SourceConfig``)."""

    @property
    def schedule(self) -> str | dict[str, Any] | None: ...


class Configured(Protocol):
    """What of the configuration the plan reads (``config.Config``)."""

    @property
    def data_dir(self) -> Path: ...

    def source(self, source_id: str) -> Scheduled: ...


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(data_dir: Path) -> dict[str, Any] | None:
    """The running daemon's status file, or None when no daemon runs on ``data_dir``."""
    try:
        status: dict[str, Any] = json.loads((data_dir / STATUS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    pid = status.get("pid")
    return status if isinstance(pid, int) and _alive(pid) else None


def planned_next_run(cfg: Configured, source_id: str, at: datetime | None = None) -> str | None:
    """When ``source_id`` runs next: the running daemon's plan, else the schedule's next time
    exactly as ``report.next_run`` computes it; None when the source has no schedule.
    """
    src = cfg.source(source_id)
    if src.schedule is None:
        return None
    status = read_status(cfg.data_dir)
    if status is not None and source_id in status.get("next_runs", {}):
        planned: str | None = status["next_runs"][source_id]
        return planned
    fire = parse_schedule(src.schedule).get_next_fire_time(None, at or datetime.now(UTC))
    return fire.isoformat(timespec="seconds") if fire else None
