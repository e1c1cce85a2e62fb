"""A real Oxigraph server as the serving tier: same answers, outages survived, fresh replicas."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from helpers import SHARED, serve_scenario, write_config
from prometheus_client import generate_latest

from federator import cli, config
from federator.config import Config
from federator.push.report import status_table, target_status
from federator.server.app import create_app
from federator.sim import RegisterServer
from federator.state import State

from .pushkit import (
    OxigraphServer,
    demo_config,
    free_port,
    local_contract_rows,
    local_graph_sizes,
    local_triples,
    run,
    target,
)

DEV = SHARED / "federation-dev"
BASE = "https://algoritmes.example.org/"
VOID_TRIPLES = (
    f"SELECT ?n WHERE {{ GRAPH <{BASE}graph/void> "
    f"{{ <{BASE}void> <http://rdfs.org/ns/void#triples> ?n }} }}"
)


def lag_of(cfg: Config) -> dict[str, object]:
    state = State(cfg.data_dir)
    try:
        row = target_status(cfg, state)["oxigraph"]
        assert row is not None
        return row
    finally:
        state.close()


def metric(cfg: Config, name: str) -> float | None:
    """A target metric as ``/metrics`` shows it (the app's registry, without a server)."""
    registry = create_app(cfg, planner=lambda _: None).state.ctx.metrics.registry
    text = generate_latest(registry).decode("utf-8")
    for line in text.splitlines():
        if line.startswith(f'{name}{{target="oxigraph"}}'):
            return float(line.rsplit(" ", 1)[1])
    return None


def drop_groningen_record(registers: RegisterServer) -> None:
    """One of Groningen's 14 registrations is withdrawn (below the withdrawal guard)."""
    records = json.loads((DEV / "provincie-groningen.json").read_text(encoding="utf-8"))
    registers.registers.put("provincie-groningen.json", json.dumps(records[1:]).encode("utf-8"))


def test_the_replica_answers_like_the_embedded_store_and_catches_up_after_an_outage(
    tmp_path: Path, registers: RegisterServer
) -> None:
    sources = serve_scenario(registers, DEV)
    with OxigraphServer(tmp_path / "oxigraph") as server:
        spec = target("oxigraph", server.store, query=server.query)
        cfg = config.load(write_config(tmp_path / "f.yaml", sources, publish={"targets": [spec]}))

        assert run(cfg).exit_code == 0
        before = local_contract_rows(cfg.data_dir)
        assert len(before) > 1000
        assert server.contract_rows() == before
        assert server.select(VOID_TRIPLES)[0]["n"]["value"] == str(local_triples(cfg.data_dir))
        assert lag_of(cfg)["lag_graphs"] == 0

        server.stop()
        drop_groningen_record(registers)
        report = run(cfg)
        assert report.exit_code == 0, {s: r.error for s, r in report.sources.items()}
        after = local_contract_rows(cfg.data_dir)
        assert len(after) == len(before) - 1
        status = lag_of(cfg)
        assert isinstance(status["lag_graphs"], int) and status["lag_graphs"] > 0
        assert "could not be reached" in str(status["error"])
        assert metric(cfg, "federator_target_lag_graphs") == status["lag_graphs"]
        assert metric(cfg, "federator_target_up") == 0
        seconds = metric(cfg, "federator_target_seconds_since_last_success")
        assert seconds is not None and seconds >= 0
        state = State(cfg.data_dir)
        table = status_table(cfg, state)
        state.close()
        assert table is not None and f"{status['lag_graphs']} graphs" in table

        server.start()
        assert run(cfg).exit_code == 0
        assert server.contract_rows() == local_contract_rows(cfg.data_dir) == after
        # Every graph caught up whole, the unified graph too (patched locally: no copy of its
        # text is kept, so it is sent as the store holds it).
        local = local_graph_sizes(cfg.data_dir)
        assert {g: n for g, n in server.graph_sizes().items() if g in local} == local
        assert lag_of(cfg)["lag_graphs"] == 0 and lag_of(cfg)["error"] is None
        assert metric(cfg, "federator_target_up") == 1


def test_push_refills_a_fresh_empty_replica(tmp_path: Path, demo: RegisterServer) -> None:
    port = free_port()
    spec = target(
        "oxigraph", f"http://127.0.0.1:{port}/store", query=f"http://127.0.0.1:{port}/query"
    )
    path = demo_config(tmp_path / "var", demo, {"targets": [spec]})
    cfg = config.load(path)
    with OxigraphServer(tmp_path / "first", port=port) as server:
        assert run(cfg).exit_code == 0
        local = local_contract_rows(cfg.data_dir)
        assert server.contract_rows() == local
    # The replica is replaced by an empty one at the same address, holding a graph of ours
    # that federator no longer publishes.
    with OxigraphServer(tmp_path / "fresh", port=port) as fresh:
        stale = f"{BASE}graph/source/retired"
        httpx.put(
            fresh.store,
            params={"graph": stale},
            content=b"<urn:a> <urn:b> <urn:c> .\n",
            headers={"Content-Type": "application/n-triples"},
        ).raise_for_status()
        # A run sends only what changed (provenance, the description): not a replica yet.
        assert run(cfg).exit_code == 0
        assert fresh.contract_rows() != local_contract_rows(cfg.data_dir)

        assert cli.main(["push", "--config", str(path)]) == 0
        assert fresh.contract_rows() == local_contract_rows(cfg.data_dir)
        assert stale not in fresh.graphs()
        assert f"{BASE}graph/void" in fresh.graphs()
        assert lag_of(cfg)["lag_graphs"] == 0

        assert cli.main(["push", "--target", "nope", "--config", str(path)]) == 2
    assert cli.main(["push", "--target", "oxigraph", "--config", str(path)]) == 1
    assert lag_of(cfg)["lag_graphs"] > 0  # type: ignore[operator]
