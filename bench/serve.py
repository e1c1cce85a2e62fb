"""Serve a generated scenario on loopback with ``federator.sim`` and write a federator config
for it, so a runner can do: build(n) -> serve -> write_config -> ``federator run --once``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from bench.generate import Scenario
from federator.sim import Registers, RegisterServer

BASE_IRI = "https://algoritmes.example.org/"


def serve(scenario: Scenario) -> RegisterServer:
    """Load the scenario into ``Registers`` and start the server; call ``.stop()`` when done
    (or use ``serving``: ``RegisterServer.__enter__`` would start it a second time)."""
    registers = Registers()
    registers.api_records = list(scenario.api_records)
    for name, body in scenario.documents.items():
        registers.put(name, body)
    return RegisterServer(registers).start()


@contextmanager
def serving(scenario: Scenario) -> Iterator[RegisterServer]:
    server = serve(scenario)
    try:
        yield server
    finally:
        server.stop()


def config_dict(scenario: Scenario, server: RegisterServer, data_dir: Path) -> dict[str, Any]:
    sources: list[dict[str, Any]] = []
    for src in scenario.sources:
        entry: dict[str, Any] = {
            "id": src.id,
            "title": src.title,
            "level": src.level,
            "format": src.format,
        }
        if src.level == "national":
            entry["url"] = server.api_url
        else:
            entry["url"] = server.file_url(src.file)
            if src.organisation:
                entry["organisation"] = src.organisation
        sources.append(entry)
    return {"data_dir": str(Path(data_dir).resolve()), "base_iri": BASE_IRI, "sources": sources}


def write_config(
    scenario: Scenario, server: RegisterServer, data_dir: Path | str, path: Path | str
) -> Path:
    """Write the federator YAML config (the contract's shape) for the served scenario."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = config_dict(scenario, server, Path(data_dir))
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
