"""Prometheus metrics of the remote targets, read from the push tables at each scrape.

Per target (label ``target``):
- ``federator_target_lag_graphs``: graphs the latest push left unsent or undeleted;
- ``federator_target_up``: 1 when the latest push reached the target without error;
- ``federator_target_last_success_timestamp_seconds`` and
  ``federator_target_seconds_since_last_success``: when the target was last fully up to date
  (absent until it first was).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from federator.config import Config
from federator.push.report import epoch, target_status
from federator.state import State


class TargetCollector(Collector):
    """Reads each configured target's push status at each scrape."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "federator_target_lag_graphs",
            "Graphs the latest push left unsent or undeleted on a remote target",
            labels=["target"],
        )
        up = GaugeMetricFamily(
            "federator_target_up",
            "1 when the latest push reached the target without error, 0 otherwise",
            labels=["target"],
        )
        success = GaugeMetricFamily(
            "federator_target_last_success_timestamp_seconds",
            "When the target was last fully up to date (Unix time)",
            labels=["target"],
        )
        age = GaugeMetricFamily(
            "federator_target_seconds_since_last_success",
            "Seconds since the target was last fully up to date",
            labels=["target"],
        )
        if self.cfg.publish.targets:
            state = State(self.cfg.data_dir)
            try:
                rows = target_status(self.cfg, state)
            finally:
                state.close()
            now = time.time()
            for name, row in rows.items():
                if row is None:
                    continue
                lag.add_metric([name], row["lag_graphs"])
                up.add_metric([name], 0 if row["error"] else 1)
                synced = epoch(row["synced_at"])
                if synced is not None:
                    success.add_metric([name], synced)
                    age.add_metric([name], max(0.0, now - synced))
        yield from (lag, up, success, age)
