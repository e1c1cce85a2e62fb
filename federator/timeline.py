"""When each stage of a run was under way, in wall-clock seconds from the run's start.

Stages overlap (a rebuild loads the store while the next source is harvested and the sources
are resolved), so their seconds add up to more than the run's: the windows show where.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timeline:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.windows: dict[str, tuple[float, float]] = {}  # stage -> (from, to)
        self.busy: dict[str, float] = {}  # stage -> seconds under way (windows may have gaps)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.mark(name, start, time.perf_counter())

    def mark(self, name: str, start: float, end: float) -> None:
        """``name`` was under way from ``start`` to ``end`` (``time.perf_counter`` values)."""
        begin, finish = start - self.started, end - self.started
        if name in self.windows:
            old = self.windows[name]
            begin, finish = min(old[0], begin), max(old[1], finish)
        self.windows[name] = (begin, finish)
        self.busy[name] = self.busy.get(name, 0.0) + end - start

    def wall(self) -> float:
        return time.perf_counter() - self.started

    def summary(self) -> dict[str, dict[str, float]]:
        """Per stage: from, to (seconds since the run began) and seconds under way."""
        return {
            name: {
                "from": round(begin, 3),
                "to": round(end, 3),
                "seconds": round(self.busy[name], 3),
            }
            for name, (begin, end) in sorted(self.windows.items(), key=lambda kv: kv[1])
        }
