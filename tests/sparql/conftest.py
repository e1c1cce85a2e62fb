"""A published graph large enough for the planner to rewrite, and a real server over it.

The graph (``differential_data``) is written to an on-disk store, published as a snapshot the
way the pipeline does (``snapshot.take``), and served by ``federator serve``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from differential_data import BASE, RESULT_LIMIT, Published, quads
from server.serverkit import RunningServer, free_port, start_server, stop

from federator.publish import snapshot


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    data_dir = tmp_path_factory.mktemp("differential")
    build = ox.Store(str(data_dir / "build"))
    build.bulk_extend(quads())
    build.flush()
    path = snapshot.take(build, data_dir)
    del build
    config_path = data_dir / "federator.yaml"
    config_path.write_text(
        f"""data_dir: .
base_iri: {BASE}
server: {{host: 127.0.0.1, port: {free_port()}, result_limit: {RESULT_LIMIT}, query_timeout: 60}}
sources:
  - id: national
    title: Synthetisch register
    level: national
    format: algoritmeregister-json
    url: national.json
""",
        encoding="utf-8",
    )
    return Published(data_dir, config_path, path)


@pytest.fixture(scope="session")
def server(
    published: Published, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = start_server(
        published.config_path, tmp_path_factory.mktemp("differential-logs") / "serve.log"
    )
    try:
        yield running
    finally:
        stop(running.process)


@pytest.fixture(scope="session")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client
