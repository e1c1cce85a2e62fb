"""The next registers' documents, fetched while the run is busy with an earlier one.

A run harvests its sources in turn, and a register that answers with one document (a CSV or
JSON file) only waited for its turn to be asked: each cost its round trip, one after another.
A first run over 27 such registers each 200 ms away took 7.2 s before, 2.0 s now (measured
over loopback with the delay added); on loopback, where a request takes milliseconds, no run
changed measurably. Each register is a server of its own, so asking the next ones
meanwhile is one request to each, as before. Each fetch has an ``HttpClient`` of its own (the
deadline, byte budget and statuses of that harvest alone) and at most ``WINDOW`` are under way
or waiting for their turn. A register's API is paged in its turn, never ahead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from federator.config import HarvestSettings, SourceConfig
from federator.harvest import Harvested, harvest
from federator.harvest.http import HttpClient
from federator.harvest.rawstore import RawStore

WINDOW = 4  # documents fetched ahead at most, each held until its register's turn


@dataclass
class Fetched:
    """A register's harvest, made ahead: what it gave (or raised, to be raised in its turn),
    the statuses its requests met, and when it ran (``time.perf_counter``)."""

    harvested: Harvested | None
    error: Exception | None
    statuses: dict[str, int]
    started: float
    ended: float


def fetched_ahead(source: SourceConfig) -> bool:
    """Whether ``source`` is one document on a register's server (its API is paged in turn)."""
    return source.is_remote and source.format != "algoritmeregister-api"


class Ahead:
    """Start (``start``) the harvests of the registers to come; ``take`` one in its turn."""

    def __init__(self, settings: HarvestSettings, raw: RawStore) -> None:
        self.settings, self.raw = settings, raw
        self.pool = ThreadPoolExecutor(WINDOW, thread_name_prefix="harvest-ahead")
        self.jobs: dict[str, Future[Fetched]] = {}

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        """Harvests not taken are dropped (those under way end first)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.jobs.clear()

    def start(
        self,
        upcoming: Sequence[SourceConfig],
        validators: dict[str, dict[str, str]],
        last: Callable[[str], Sequence[str | None]],
    ) -> None:
        """Start the next documents of ``upcoming`` (in order) while fewer than ``WINDOW``
        wait; ``last(source_id)``: the digests its last synced run read."""
        for source in upcoming:
            if len(self.jobs) >= WINDOW:
                return
            if fetched_ahead(source) and source.id not in self.jobs:
                job = self.pool.submit(self._fetch, source, validators, list(last(source.id)))
                self.jobs[source.id] = job

    def take(self, source_id: str) -> Fetched | None:
        """The source's harvest, once done; None when it was not started ahead."""
        job = self.jobs.pop(source_id, None)
        return None if job is None else job.result()

    def _fetch(
        self,
        source: SourceConfig,
        validators: dict[str, dict[str, str]],
        last: Sequence[str | None],
    ) -> Fetched:
        client = HttpClient.from_settings(self.settings)
        started = time.perf_counter()
        try:
            harvested: Harvested | None = harvest(source, client, self.raw, validators, last)
            error: Exception | None = None
        except Exception as exc:  # the source's own fault: said in its turn, as always
            harvested, error = None, exc
        return Fetched(harvested, error, dict(client.statuses), started, time.perf_counter())
