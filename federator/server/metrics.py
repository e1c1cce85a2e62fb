"""``GET /metrics``: Prometheus text, from the run history at scrape time and the server itself.

Per source (label ``source``), read from State when scraped, so the daemon, ``run --once``
from cron and the server all count alike:

- ``federator_source_runs{outcome}``: runs in the retained history, by outcome (a gauge:
  history is pruned to ``history.keep_runs``);
- ``federator_source_records{kind}``: fetched/added/changed/unchanged/removed/rejected/... of
  the latest run;
- ``federator_source_stage_duration_seconds{stage}``: time per stage of the latest run;
- ``federator_source_http_responses{status}``: HTTP statuses the register answered in the
  latest run;
- ``federator_source_field_completeness{field}``: share of published records with a value;
- ``federator_source_last_run_timestamp_seconds``, ``federator_source_last_run_synced``;
- ``federator_source_last_success_timestamp_seconds`` and
  ``federator_source_seconds_since_last_success`` (freshness; absent until a first success).

The server's own: ``federator_http_requests_total{route,method,status}`` (a method other than
the standard ones is counted as ``other``: a client cannot make series without end),
``federator_http_request_duration_seconds{route}``, ``federator_sparql_queries_total{outcome}``
(ok, truncated, malformed, refused, rejected, timeout, busy, unavailable, over_limit, memory,
too_large, error), ``federator_sparql_workers_busy``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from federator.config import Config
from federator.push.report import epoch
from federator.state import State

RECORD_KINDS = (
    "fetched",
    "accepted",
    "added",
    "changed",
    "unchanged",
    "removed",
    "rejected",
    "warnings",
    "duplicates",
)


class StateCollector(Collector):
    """Reads the run history of every configured source at each scrape."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def collect(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "federator_source_runs",
            "Runs in the retained history, by outcome",
            labels=["source", "outcome"],
        )
        records = GaugeMetricFamily(
            "federator_source_records",
            "Records of the latest run, by kind (fetched, added, changed, ...)",
            labels=["source", "kind"],
        )
        durations = GaugeMetricFamily(
            "federator_source_stage_duration_seconds",
            "Seconds per stage of the latest run",
            labels=["source", "stage"],
        )
        statuses = GaugeMetricFamily(
            "federator_source_http_responses",
            "HTTP responses of the register in the latest run, by status",
            labels=["source", "status"],
        )
        last_run = GaugeMetricFamily(
            "federator_source_last_run_timestamp_seconds",
            "When the latest run started (Unix time)",
            labels=["source"],
        )
        synced = GaugeMetricFamily(
            "federator_source_last_run_synced",
            "1 when the latest run synced, 0 otherwise",
            labels=["source"],
        )
        success = GaugeMetricFamily(
            "federator_source_last_success_timestamp_seconds",
            "When the latest successful run ended (Unix time)",
            labels=["source"],
        )
        age = GaugeMetricFamily(
            "federator_source_seconds_since_last_success",
            "Seconds since the latest successful run ended (freshness)",
            labels=["source"],
        )
        completeness = GaugeMetricFamily(
            "federator_source_field_completeness",
            "Share of the latest run's published records with a value, per field of the standard",
            labels=["source", "field"],
        )
        state = State(self.cfg.data_dir)
        try:
            counted = state.db.execute(
                "SELECT source, outcome, COUNT(*) AS n FROM source_runs GROUP BY source, outcome"
            ).fetchall()
            by_source: dict[str, dict[str, int]] = {}
            for row in counted:
                by_source.setdefault(row["source"], {})[row["outcome"]] = row["n"]
            now = time.time()
            for src in self.cfg.sources:
                outcomes = {"synced": 0, "failed": 0, "abandoned": 0, "running": 0}
                outcomes.update(by_source.get(src.id, {}))
                for outcome, n in sorted(outcomes.items()):
                    runs.add_metric([src.id, outcome], n)
                latest = state.source_runs(src.id, limit=1)
                if latest:
                    r = latest[0]
                    stats = r["stats"] or {}
                    for kind in RECORD_KINDS:
                        if isinstance(stats.get(kind), int | float):
                            records.add_metric([src.id, kind], stats[kind])
                    filled = stats.get("completeness")
                    if isinstance(filled, dict):
                        for name, share in sorted(filled.items()):
                            if isinstance(share, int | float):
                                completeness.add_metric([src.id, name], share)
                    for stage, seconds in (r["durations"] or {}).items():
                        durations.add_metric([src.id, stage], seconds)
                    for status, n in sorted((r["statuses"] or {}).items()):
                        statuses.add_metric([src.id, str(status)], n)
                    started = epoch(r["started"])
                    if started is not None:
                        last_run.add_metric([src.id], started)
                    synced.add_metric([src.id], 1 if r["outcome"] == "synced" else 0)
                ended = epoch(state.last_success(src.id))
                if ended is not None:
                    success.add_metric([src.id], ended)
                    age.add_metric([src.id], max(0.0, now - ended))
        finally:
            state.close()
        yield from (runs, records, durations, statuses, completeness, last_run, synced)
        yield from (success, age)


class PoolCollector(Collector):
    """Query outcomes and busy workers of the SPARQL worker pool."""

    def __init__(self, pool: Callable[[], Any]) -> None:
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        pool = self.pool()
        queries = CounterMetricFamily(
            "federator_sparql_queries", "SPARQL requests by outcome", labels=["outcome"]
        )
        busy = GaugeMetricFamily("federator_sparql_workers_busy", "Query workers running a query")
        if pool is not None:
            for outcome, n in sorted(pool.outcomes.items()):
                queries.add_metric([outcome], n)
            busy.add_metric([], pool.busy)
        yield from (queries, busy)


METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT")
)


def method_label(method: str) -> str:
    """The ``method`` label of a request: a standard method, or ``other``."""
    return method if method in METHODS else "other"


class _Requests:
    """``federator_http_requests``, whose ``method`` label takes the standard methods only."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def labels(self, route: str, method: str, status: str) -> Any:
        return self.counter.labels(route, method_label(method), status)


class Metrics:
    """The server's own registry (never the global one: tests start several servers)."""

    def __init__(self, cfg: Config, pool: Callable[[], Any]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(StateCollector(cfg))
        self.registry.register(PoolCollector(pool))
        self.requests = _Requests(
            Counter(
                "federator_http_requests",
                "HTTP requests answered",
                ["route", "method", "status"],
                registry=self.registry,
            )
        )
        self.latency = Histogram(
            "federator_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            registry=self.registry,
        )
