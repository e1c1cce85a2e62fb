"""Source schedules: a cron expression, or ``{every: 6h}``, as APScheduler triggers."""

from __future__ import annotations

import re
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
DEFAULT_JITTER = 60


def parse_schedule(value: str | dict[str, Any], jitter: int | None = None) -> BaseTrigger:
    """Turn a configured schedule into a trigger; raise ``ValueError`` with a clear message."""
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
