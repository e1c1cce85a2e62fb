"""Mapping on worker processes gives the same records and verdicts as in one process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import SHARED, serve_scenario, write_config

from federator import config
from federator.map import parallel
from federator.pipeline import Federator
from federator.sim import Registers, RegisterServer


def federate(tmp_path: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str, ...]]]:
    tmp_path.mkdir()
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, SHARED / "federation-dev")
        fed = Federator(config.load(write_config(tmp_path / "f.yaml", sources)))
        report = fed.run_once()
        assert all(sr.outcome == "synced" for sr in report.sources.values())
        db = fed.state.db
        records = db.execute(
            "SELECT source, native_id, body FROM records ORDER BY source, native_id"
        ).fetchall()
        issues = db.execute(
            "SELECT source, native_id, code, field, severity FROM issues "
            "ORDER BY source, native_id, code, field"
        ).fetchall()
        fed.close()
    return [tuple(r) for r in records], [tuple(i) for i in issues]


def test_workers_map_and_validate_like_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if parallel.WORKERS < 2:
        pytest.skip("one core: the workers are never started")
    alone = federate(tmp_path / "alone")
    monkeypatch.setattr(parallel, "MIN_RECORDS", 100)  # the national register: 2 workers
    monkeypatch.setattr(parallel, "PART", 300)  # ... given several parts each
    started: list[str] = []

    class Counted:  # the real context, counting the pools it starts
        def __init__(self, name: str) -> None:
            self.real = multiprocessing.get_context(name)
            started.append(name)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    monkeypatch.setattr(parallel, "multiprocessing", SimpleNamespace(get_context=Counted))
    shared = federate(tmp_path / "shared")
    assert started == ["spawn"]
    assert shared == alone


def test_mapping_in_small_batches_gives_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = federate(tmp_path / "whole")
    monkeypatch.setattr(parallel, "BATCH", 50)  # in this process: every source in parts
    assert federate(tmp_path / "parts") == whole
