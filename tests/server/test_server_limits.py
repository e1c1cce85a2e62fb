"""Bounded SPARQL (issue 18, item 6) and the smaller server items of item 7, against a real
``federator serve`` and its real worker processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from .serverkit import Published, RunningServer, free_port

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
QUICK = "ASK { ?s ?p ?o }"


def doubling(steps: int) -> str:
    """A string that doubles ``steps`` times: 8 bytes to 8 × 2^steps."""
    binds = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(steps))
    return f'SELECT (STRLEN(?x{steps}) AS ?n) WHERE {{ BIND("abcdefgh" AS ?x0) {binds} }}'


def limited(published: Published, tmp_path: Path, **server: object) -> Path:
    """The published data, served with other server settings."""
    doc = yaml.safe_load(published.config_path.read_text(encoding="utf-8"))
    doc["data_dir"] = str(published.data_dir)
    doc["server"] = {**doc.get("server", {}), "port": free_port(), **server}
    for source in doc["sources"]:  # relative paths were relative to the published config
        source.pop("mapping", None)
    path = tmp_path / "limited.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_a_query_past_the_memory_limit_answers_an_error_and_its_worker_is_replaced(
    published: Published, tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    server = own_server(
        limited(published, tmp_path, worker_memory=256 * 1024 * 1024, query_timeout=20)
    )
    before = server.children()
    with server.client() as c:
        started = time.monotonic()
        r = c.get("/sparql", params={"query": doubling(27)})
        assert r.status_code == 500, r.text
        assert "server.worker_memory" in r.text
        assert time.monotonic() - started < 15
        # Small strings still double: the limit is on memory, not on the query's shape.
        ok = c.get("/sparql", params={"query": doubling(10)})
        assert ok.status_code == 200 and "8192" in ok.text, ok.text
        metrics = c.get("/metrics").text
    assert 'federator_sparql_queries_total{outcome="memory"} 1.0' in metrics
    after = server.children()
    assert len(after) == 2 and len(before - after) == 1


def test_answer_bytes_are_capped(
    published: Published, tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    server = own_server(limited(published, tmp_path, max_answer_bytes=4096))
    with server.client() as c:
        big = c.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        small = c.get("/sparql", params={"query": QUICK})
        graph = c.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    assert big.status_code == 500 and "server.max_answer_bytes" in big.text
    assert graph.status_code == 500 and "server.max_answer_bytes" in graph.text
    assert small.status_code == 200


def test_one_client_cannot_hold_every_worker(
    published: Published, tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    server = own_server(limited(published, tmp_path, query_timeout=4))
    answers: dict[str, httpx.Response] = {}

    def slow() -> None:
        with server.client() as c:
            answers["slow"] = c.get("/sparql", params={"query": SLOW})

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    try:
        with server.client() as same:
            second = same.get("/sparql", params={"query": SLOW})
        # Another client (another address) is answered meanwhile, at once.
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with server.client(transport=other) as c:
            t0 = time.monotonic()
            third = c.get("/sparql", params={"query": QUICK})
            waited = time.monotonic() - t0
        assert thread.is_alive()
    finally:
        thread.join()
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) >= 1
    assert "server.max_queries_per_client" in second.text
    assert third.status_code == 200 and waited < 2
    assert answers["slow"].status_code == 504


def test_unknown_methods_are_one_metrics_label(
    published: Published, tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    server = own_server(limited(published, tmp_path))
    with server.client() as c:
        for n in range(5):
            c.request(f"BREW{n}", "/health")
        text = c.get("/metrics").text
    assert "BREW" not in text
    assert 'federator_http_requests_total{method="other",route="/health",status="405"} 5.0' in text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/sparql", {"query": QUICK, "default-graph-uri": "not an iri"}),
        ("/id/a%20b", {}),
        ("/changes", {"after": "1e23"}),
    ],
)
def test_bad_input_is_400_not_500(
    published: Published,
    tmp_path: Path,
    own_server: Callable[[Path], RunningServer],
    path: str,
    params: dict[str, str],
) -> None:
    server = own_server(limited(published, tmp_path))
    with server.client() as c:
        r = c.get(path, params=params)
    assert r.status_code == 400, (r.status_code, r.text[:300])


def test_dump_requests_do_not_hold_the_request_threads(
    published: Published, tmp_path: Path, own_server: Callable[[Path], RunningServer]
) -> None:
    """Many clients ask for the dump at once (it must be checked, and the first time built):
    /health, answered on the shared request threads, stays quick meanwhile."""
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(published.data_dir, copy, ignore=shutil.ignore_patterns("dumps", "*.lock"))
    doc = yaml.safe_load(published.config_path.read_text(encoding="utf-8"))
    doc["data_dir"] = str(copy)
    doc["server"] = {**doc.get("server", {}), "port": free_port()}
    config_path = tmp_path / "copy.yaml"
    config_path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    server = own_server(config_path)
    statuses: list[int] = []

    def ask() -> None:
        with server.client() as c:
            statuses.append(c.get("/dump/latest.nq.gz.sha256").status_code)

    threads = [threading.Thread(target=ask) for _ in range(200)]
    for thread in threads:
        thread.start()
    slowest = 0.0
    with server.client() as c:
        while any(t.is_alive() for t in threads):
            t0 = time.monotonic()
            assert c.get("/health").status_code == 200
            slowest = max(slowest, time.monotonic() - t0)
            time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert statuses == [200] * 200
    assert slowest < 1.0, slowest
