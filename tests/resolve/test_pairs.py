"""Similarity pairs on worker processes are exactly the pairs found in this process."""

from __future__ import annotations

from typing import Any

import pytest

from federator import parallel
from federator.resolve import pairs
from federator.resolve.cluster import cluster


def test_workers_find_the_same_pairs_and_clusters(scenario: Any, monkeypatch: Any) -> None:
    if parallel.WORKERS < 2:
        pytest.skip("one core: the workers are never started")
    alone = cluster(scenario.candidates)
    monkeypatch.setattr(pairs, "PARALLEL_PAIRS", 0)  # real worker processes for a small input
    started: list[int] = []

    class CountedPool(parallel.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", CountedPool)
    shared = cluster(scenario.candidates)
    assert started == [1]
    assert [c.members for c in shared.clusters] == [c.members for c in alone.clusters]
    assert shared.uncertain == alone.uncertain
    assert [c.evidence for c in shared.clusters] == [c.evidence for c in alone.clusters]
