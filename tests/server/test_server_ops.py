"""Operations: /health, /metrics, /sources, /vocabulary, and the server's own life cycle."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx
import pyoxigraph as ox

from federator import config, report
from federator.sim import RegisterServer

from .serverkit import (
    UTRECHT_CRON,
    Published,
    RunningServer,
    agency_registers,
    configure,
    run_once,
)

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_health_is_ok_when_the_store_answers(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["published"]
    assert body["query_workers"]["size"] == 2


def test_metrics_have_per_source_series(client: httpx.Client) -> None:
    client.get("/health")
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    for source in ("national", "gemeente-utrecht", "gemeente-amsterdam"):
        assert f'federator_source_runs{{outcome="synced",source="{source}"}} 2.0' in text
        assert f'federator_source_seconds_since_last_success{{source="{source}"}}' in text
        assert f'federator_source_last_run_synced{{source="{source}"}} 1.0' in text
    assert 'federator_source_records{kind="fetched",source="national"} 125.0' in text
    assert 'federator_source_records{kind="unchanged",source="gemeente-amsterdam"} 19.0' in text
    assert 'federator_source_http_responses{source="national",status="200"}' in text
    assert 'federator_source_stage_duration_seconds{source="national",stage="harvest"}' in text
    assert 'federator_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert "federator_sparql_workers_busy" in text


def test_sources_list_last_and_next_runs(client: httpx.Client, published: Published) -> None:
    r = client.get("/sources")
    assert r.status_code == 200
    sources = {s["id"]: s for s in r.json()}
    assert set(sources) == {"national", "gemeente-utrecht", "gemeente-amsterdam"}
    amsterdam = sources["gemeente-amsterdam"]
    assert amsterdam["level"] == "municipal"
    assert amsterdam["format"] == "algoritmeregister-json"
    assert amsterdam["last_run"]["outcome"] == "synced"
    assert amsterdam["last_run"]["counts"]["unchanged"] == 19
    assert amsterdam["next_run"] is None  # unscheduled: it runs only by 'run --once'
    utrecht = sources["gemeente-utrecht"]
    assert utrecht["schedule"] == UTRECHT_CRON
    # No daemon runs: the next run is the schedule's, exactly as 'federator status' shows it.
    cfg = config.load(published.config_path)
    assert utrecht["next_run"] == report.next_run(cfg, "gemeente-utrecht", datetime.now(UTC))


def test_vocabulary_and_shapes(client: httpx.Client) -> None:
    r = client.get("/vocabulary")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")
    assert list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    shapes = resources.files("federator.data").joinpath("shapes.ttl")
    assert client.get("/shapes").status_code == (200 if shapes.is_file() else 404)


def test_index_links_every_source(client: httpx.Client) -> None:
    page = client.get("/", headers={"Accept": "text/html"}).text
    for source in ("national", "gemeente-utrecht", "gemeente-amsterdam"):
        assert f'href="/sources/{source}/runs"' in page
    assert client.get("/").json()["sparql"] == "/sparql"


def test_nothing_published_is_503_and_sigterm_exits_0(
    tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    with RegisterServer(agency_registers()) as registers:
        path = configure(tmp_path / "empty", registers)
    running = own_server(path)
    with running.client() as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "nothing is published" in health.json()["reason"]
        assert client.get("/sparql", params={"query": COUNT}).status_code == 503
        assert client.get("/id/catalog").status_code == 503
        assert client.get("/sources").status_code == 200
        workers = running.children()
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(15) == 0
    time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_new_publish_is_seen_without_restart(
    tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    registers_data = agency_registers()
    with RegisterServer(registers_data) as registers:
        path = configure(tmp_path / "live", registers)
        run_once(path)
        running = own_server(path)
        with running.client() as client:
            before = client.get("/sparql", params={"query": COUNT}).json()
            served = client.get("/health").json()["snapshot"]
            doc = json.loads(registers_data.documents["gemeente-amsterdam.json"].body)
            extra = dict(doc["algoritme_versions"][0], source_id="A-9999", name="Nieuw algoritme")
            doc["algoritme_versions"].append(extra)
            registers_data.put("gemeente-amsterdam.json", json.dumps(doc).encode("utf-8"))
            run_once(path)
            after = client.get("/sparql", params={"query": COUNT}).json()
            n = int(after["results"]["bindings"][0]["n"]["value"])
            assert n > int(before["results"]["bindings"][0]["n"]["value"])
            assert client.get("/health").json()["snapshot"] != served
            record = client.get(
                "/sparql",
                params={
                    "query": 'ASK { ?r <http://purl.org/dc/terms/identifier> "A-9999" }',
                },
            )
            assert record.json()["boolean"] is True
