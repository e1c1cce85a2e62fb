"""The dataset described (``/void``) and dumped (``/dump/latest.nq.gz``), served and pushed."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from pathlib import Path

import httpx
import pyoxigraph as ox
from starlette.applications import Starlette

from federator import config
from federator.server.app import create_app
from federator.sim import RegisterServer

from .pushkit import (
    Recorder,
    count_nquads,
    demo_config,
    local_triples,
    rename_amsterdam_record,
    run,
    target,
)

BASE = "https://algoritmes.example.org/"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"


def get(app: Starlette, path: str, **headers: str) -> httpx.Response:
    """One request to the app in-process (no lifespan: these routes need no query workers)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(go())


def objects(store: ox.Store, subject: str, predicate: str) -> list[str]:
    quads = store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, None)
    return [q.object.value for q in quads]


def test_void_describes_the_published_graphs_and_is_pushed_as_served(
    tmp_path: Path, demo: RegisterServer
) -> None:
    with Recorder() as recorder:
        path = demo_config(tmp_path, demo, {"targets": [target("recorder", recorder.store)]})
        assert run(path).exit_code == 0
    cfg = config.load(path)
    app = create_app(cfg, planner=lambda _: None)

    turtle = get(app, "/void", accept="text/turtle")
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    described = ox.Store()
    described.load(turtle.content, format=ox.RdfFormat.TURTLE)
    dataset = f"{BASE}void"
    assert objects(described, dataset, VOID + "triples") == [str(local_triples(cfg.data_dir))]
    assert objects(described, dataset, VOID + "sparqlEndpoint") == [f"{BASE}sparql"]
    assert objects(described, dataset, VOID + "dataDump") == [f"{BASE}dump/latest.nq.gz"]
    assert objects(described, dataset, VOID + "uriSpace") == [f"{BASE}id/"]
    named = {
        objects(described, n, SD + "name")[0]: objects(described, n, SD + "graph")[0]
        for n in objects(described, dataset, SD + "namedGraph")
    }
    assert f"{BASE}graph/source/national" in named and f"{BASE}graph/provenance" in named
    links = named[f"{BASE}graph/links"]
    assert VOID + "Linkset" in objects(
        described, links, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    )
    per_graph = sum(int(objects(described, g, VOID + "triples")[0]) for g in named.values())
    assert per_graph == local_triples(cfg.data_dir)
    service = f"{BASE}void#service"
    assert objects(described, service, SD + "feature") == [SD + "UnionDefaultGraph"]
    assert objects(described, service, SD + "endpoint") == [f"{BASE}sparql"]

    jsonld = get(app, "/void", accept="application/ld+json")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert json.loads(jsonld.content)
    assert get(app, "/.well-known/void").status_code == 200
    assert get(app, "/void?format=rdfxml").status_code == 400
    assert get(app, "/void", accept="image/png").status_code == 406

    served = get(app, "/void?format=ntriples").text
    pushed = [r for r in recorder.requests if r.graph == f"{BASE}graph/void"]
    assert len(pushed) == 1
    assert sorted(pushed[0].body.decode().splitlines()) == sorted(served.splitlines())

    index = get(app, "/", accept="application/json")
    assert index.json()["void"] == "/void" and index.json()["dump"] == "/dump/latest.nq.gz"
    assert 'rel="describedby"' in index.headers["link"]


def test_the_latest_dump_is_served_and_rewritten_only_when_graphs_changed(
    tmp_path: Path, demo: RegisterServer
) -> None:
    path = demo_config(tmp_path, demo, {})
    cfg = config.load(path)
    app = create_app(cfg, planner=lambda _: None)
    assert get(app, "/dump/latest.nq.gz").status_code == 404
    assert run(path).exit_code == 0

    answer = get(app, "/dump/latest.nq.gz")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/gzip"
    checksum = get(app, "/dump/latest.nq.gz.sha256").text.split()[0]
    assert hashlib.sha256(answer.content).hexdigest() == checksum
    assert answer.headers["etag"] == f'"{checksum}"'
    assert count_nquads(gzip.decompress(answer.content)) == local_triples(cfg.data_dir)
    assert get(app, "/dump/latest.nq.gz", **{"if-none-match": f'"{checksum}"'}).status_code == 304

    dump = cfg.data_dir / "dumps" / "latest.nq.gz"
    written = dump.stat().st_mtime_ns
    assert run(path).exit_code == 0  # nothing changed but the provenance log
    assert get(app, "/dump/latest.nq.gz").status_code == 200
    assert dump.stat().st_mtime_ns == written  # the dump still stands: not rebuilt

    rename_amsterdam_record(demo, "A-0033", "Een nieuwe naam")
    assert run(path).exit_code == 0
    assert dump.stat().st_mtime_ns == written  # runs do not build dumps by default...
    assert get(app, "/dump/latest.nq.gz.sha256").text.split()[0] != checksum  # ...requests do
    assert dump.stat().st_mtime_ns != written
    assert b"Een nieuwe naam" in gzip.decompress(get(app, "/dump/latest.nq.gz").content)


def test_runs_write_the_dump_only_when_switched_on(tmp_path: Path, demo: RegisterServer) -> None:
    off = demo_config(tmp_path / "off", demo, {})
    assert run(off).exit_code == 0
    assert not (config.load(off).data_dir / "dumps").exists()
    on = demo_config(tmp_path / "on", demo, {"dump": True})
    assert run(on).exit_code == 0
    assert (config.load(on).data_dir / "dumps" / "latest.nq.gz").exists()
