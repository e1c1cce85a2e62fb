"""Mapping on worker processes gives the same records and verdicts as in one process."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import SHARED, serve_scenario, write_config

from federator import codec, config, mapvalidate, parallel
from federator.pipeline import Federator
from federator.sim import Registers, RegisterServer
from federator.timeline import Timeline


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


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The worker pools started, with the national register (1,518 records) large enough for
    two workers and several parts each."""
    if parallel.WORKERS < 2:
        pytest.skip("one core: the workers are never started")
    monkeypatch.setattr(mapvalidate, "MIN_RECORDS", 100)
    monkeypatch.setattr(mapvalidate, "PART", 300)
    started: list[str] = []

    class Counted:  # the real context, counting the pools it starts
        def __init__(self, name: str) -> None:
            self.real = multiprocessing.get_context(name)
            started.append(name)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    monkeypatch.setattr(parallel, "multiprocessing", SimpleNamespace(get_context=Counted))
    return started


def test_workers_map_and_validate_like_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pools: list[str]
) -> None:
    with monkeypatch.context() as alone:
        alone.setattr(mapvalidate, "MIN_RECORDS", 10**9)  # every source in this process
        in_one = federate(tmp_path / "alone")
    assert pools == []
    shared = federate(tmp_path / "shared")
    assert pools == ["spawn"]
    assert shared == in_one


@pytest.mark.parametrize(
    ("min_records", "pools_after"), [(100, 1), (1, 2)], ids=["here", "workers"]
)
def test_a_rerun_maps_only_what_changed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pools: list[str],
    min_records: int,
    pools_after: int,
) -> None:
    batches: dict[str, mapvalidate.Batch] = {}
    run = mapvalidate.run

    def kept(source: Any, *args: Any, **kwargs: Any) -> mapvalidate.Batch:
        batches[source.id] = run(source, *args, **kwargs)
        return batches[source.id]

    monkeypatch.setattr(mapvalidate, "run", kept)
    scenario = SHARED / "federation-dev"
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, scenario)
        fed = Federator(config.load(write_config(tmp_path / "f.yaml", sources)))
        fed.run_once()
        assert pools == ["spawn"]
        api = server.registers.api_records
        in_order = server.registers.in_api_order()
        for i in (500, 900):  # two registrations edited, the other 1,516 as they were
            in_order[i]["name"] += " (gewijzigd)"
        monkeypatch.setattr(mapvalidate, "MIN_RECORDS", min_records)  # the two: here, or workers
        national = fed.run_once().sources["national"]
        rerun = stored_records(fed)
        fed.close()
    assert len(pools) == pools_after
    mapped = batches["national"]
    assert len(mapped.bodies) == 2 and len(mapped.reused) == 1516
    assert national.stats["changed"] == 2 and national.stats["unchanged"] == 1516
    assert sorted(b["position"] for b in mapped.bodies) == [500, 900]  # places in the harvest
    # The same records (positions included) as federating the edited registers from scratch.
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, scenario)
        server.registers.api_records = api
        fresh = Federator(config.load(write_config(tmp_path / "fresh.yaml", sources)))
        fresh.run_once()
        assert stored_records(fresh) == rerun
        fresh.close()


def stored_records(fed: Federator) -> list[tuple[str, str, dict[str, Any]]]:
    rows = fed.state.db.execute(
        "SELECT source, native_id, body FROM records ORDER BY source, native_id"
    )
    return [(source, native, codec.unpack_body(body)) for source, native, body in rows]


def test_mapping_in_small_batches_gives_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = federate(tmp_path / "whole")
    monkeypatch.setattr(mapvalidate, "BATCH", 50)  # in this process: every source in parts
    assert federate(tmp_path / "parts") == whole


def test_a_cold_run_maps_its_big_register_on_warm_workers_as_it_is_paged(
    tmp_path: Path, pools: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, bool]] = []
    sent: list[float] = []
    windows: list[tuple[str, float]] = []
    add, run, mark = parallel.Parts.add, mapvalidate.run, Timeline.mark

    def added(self: parallel.Parts[Any], part: Any) -> None:
        events.append(("part", parallel._warm is not None))
        sent.append(time.perf_counter())
        add(self, part)

    def marked(self: Timeline, name: str, start: float, end: float) -> None:
        windows.append((name, start))
        mark(self, name, start, end)

    def mapped(source: Any, *args: Any, **kwargs: Any) -> mapvalidate.Batch:
        events.append((f"harvested {source.id}", parallel._warm is not None))
        return run(source, *args, **kwargs)

    monkeypatch.setattr(parallel.Parts, "add", added)
    monkeypatch.setattr(mapvalidate, "run", mapped)
    monkeypatch.setattr(Timeline, "mark", marked)
    federate(tmp_path / "cold")  # the national register names 1,518: the workers start early
    national = events.index(("harvested national", True))
    # Parts of 300 went to the warm workers while the register was still paged, the rest
    # (18 registrations, in two parts) once it was; its mapping started no pool of its own,
    # and the workers stopped with it.
    assert national >= 2 and events[:national] == [("part", True)] * national
    assert events[national + 1 : national + 3] == [("part", True)] * 2
    assert all(name != "part" and not warm for name, warm in events[national + 3 :])
    assert pools == ["spawn"]
    assert parallel._warm is None  # stopped with the run
    # The run's stage windows show the mapping under way from the first part on.
    assert min(start for name, start in windows if name == "map+validate") <= sent[0]


def test_warm_workers_outlive_a_failing_step(pools: list[str]) -> None:
    parallel.warm("os")
    try:
        with pytest.raises(TypeError):
            parallel.run(int, [1, 2, 3])  # int(path): no part can be read so
        sizes = parallel.run(os.path.getsize, [b"x" * 10, b"y"])  # each part's pickle file
        assert pools == ["spawn"] and sizes[0] > sizes[1]
    finally:
        parallel.cool()
    assert parallel._warm is None
