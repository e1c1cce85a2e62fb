"""Helpers shared by the tests: paths to test data, configs, scenarios served on loopback."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from federator.sim import RegisterServer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# The development scenarios, the register's snapshots and the reference files, vendored into
# tests/data in the layout of the developers' shared data (hence the name); see its README.
SHARED = DATA


def demo_sources(server: RegisterServer) -> list[dict[str, Any]]:
    """The national API and Utrecht's CSV of the bundled demo registers, as config sources."""
    return [
        {
            "id": "national",
            "title": "Algoritmeregister",
            "level": "national",
            "format": "algoritmeregister-api",
            "url": server.api_url,
        },
        {
            "id": "gemeente-utrecht",
            "title": "Utrecht",
            "level": "municipal",
            "format": "algoritmeregister-csv",
            "url": server.file_url("gemeente-utrecht.csv"),
            "organisation": "gm0344",
        },
    ]


def write_config(path: Path, sources: list[dict[str, Any]], **top: Any) -> Path:
    """Write a federator YAML config with the given sources (dicts of contract keys)."""
    import yaml

    doc = {"data_dir": str(path.parent / "var"), "base_iri": "https://algoritmes.example.org/"}
    doc.update(top)
    doc["sources"] = sources
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


FORMAT_SUFFIX = {"algoritmeregister-csv": ".csv", "algoritmeregister-json": ".json"}


def serve_scenario(server: RegisterServer, folder: Path) -> list[dict[str, Any]]:
    """Serve a scenario (national API + decentral files); return config source dicts."""
    specs = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
    sources = []
    for spec in specs:
        entry: dict[str, Any] = {
            "id": spec["id"],
            "title": spec["id"],
            "level": spec["level"],
            "format": spec["format"],
        }
        if spec["format"] == "algoritmeregister-api":
            server.registers.api_records = json.loads((folder / spec["path"]).read_text("utf-8"))
            entry["url"] = server.api_url
        else:
            name = Path(spec["path"]).name
            server.registers.put(name, (folder / spec["path"]).read_bytes())
            entry["url"] = server.file_url(name)
        org = spec.get("org_id") or spec.get("organisation")
        if org:
            entry["organisation"] = org
        sources.append(entry)
    return sources


def gold_pairs(folder: Path) -> tuple[set[tuple[str, str]], set[frozenset[tuple[str, str]]]]:
    """Records named in gold.csv, and the unordered pairs that are the same algorithm."""
    clusters: dict[str, list[tuple[str, str]]] = {}
    with (folder / "gold.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            clusters.setdefault(row["cluster"], []).append((row["source"], row["native_id"]))
    pairs = set()
    for members in clusters.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add(frozenset((a, b)))
    return {m for ms in clusters.values() for m in ms}, pairs


def federator_command(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``federator ARGS`` run in a process of its own (``env`` added to this one's)."""
    return subprocess.run(
        [sys.executable, "-m", "federator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def run_until_paused(path: Path, point: str, folder: Path) -> subprocess.Popen[bytes]:
    """Start ``run --once`` with config ``path`` and return it once it reached the pause
    point ``point`` (``federator.faults``): it sleeps there until killed."""
    import time

    marker = folder / f"paused-{point}"
    env = {**os.environ, "FEDERATOR_PAUSE_AT": point, "FEDERATOR_PAUSE_FILE": str(marker)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "federator", "run", "--once", "--config", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert proc.poll() is None, "the run ended before reaching the pause point"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return proc
