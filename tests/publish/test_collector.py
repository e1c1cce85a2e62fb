"""The collector is off while a publish runs (``collector.paused``): what it leaves only the
collector would free (the rdflib graphs of the vocabulary and the quality measures, a few
objects per graph written) is as much whatever the number of records it publishes."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from helpers import write_config

from federator import config
from federator.pipeline import Federator
from federator.publish.publisher import Publisher
from federator.sim import Registers, RegisterServer


def national(n: int) -> list[dict[str, str]]:
    return [
        {
            "lars": f"{i:08d}",
            "name": f"Algoritme {i}",
            "organization": "Gemeente Utrecht",
            "description_short": f"Omschrijving van algoritme {i}.",
            "language": "NLD",
        }
        for i in range(n)
    ]


def cold_run(tmp_path: Path, n: int) -> None:
    """A cold run of a national register of ``n`` registrations."""
    with RegisterServer(Registers()) as server:
        server.registers.api_records = national(n)
        source = {
            "id": "national",
            "title": "Algoritmeregister",
            "level": "national",
            "format": "algoritmeregister-api",
            "url": server.api_url,
        }
        path = tmp_path / f"{n}" / "f.yaml"
        path.parent.mkdir()
        fed = Federator(config.load(write_config(path, [source])))
        try:
            report = fed.run_once()
        finally:
            fed.close()
    assert [sr.outcome for sr in report.sources.values()] == ["synced"]


def test_a_publish_leaves_the_collector_a_few_objects_per_graph_not_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    left: list[int] = []
    publish = Publisher.publish

    def counted(self: Publisher, *args: Any, **kwargs: Any) -> None:
        gc.collect()
        gc.disable()  # none of its own passes in between
        try:
            publish(self, *args, **kwargs)
        finally:
            left.append(gc.collect())
            gc.enable()

    monkeypatch.setattr(Publisher, "publish", counted)
    cold_run(tmp_path, 20)  # what a process makes once (caches, the bundled vocabulary)
    cold_run(tmp_path, 100)
    cold_run(tmp_path, 400)
    assert left[1] == left[2] < 5000  # 1,677 when this was written


def test_the_collector_is_off_while_a_publish_runs_and_on_again_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enabled: list[bool] = []
    write_records = Publisher._write_records

    def writing(self: Publisher, *args: Any) -> Any:
        enabled.append(gc.isenabled())
        return write_records(self, *args)

    monkeypatch.setattr(Publisher, "_write_records", writing)
    assert gc.isenabled()
    cold_run(tmp_path, 20)
    assert enabled == [False]
    assert gc.isenabled()
