"""Fixtures for the HTTP server tests: a real published data_dir and a real server process.

The data comes from a real ``Federator.run_once`` against loopback registers serving the
bundled demo data, with one registration of Amsterdam's without a name (rejected:
``missing_name``) and one with markup in its status (a warning whose value must be escaped).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from federator.publish import snapshot
from federator.sim import RegisterServer
from federator.state import State

from .serverkit import (
    Published,
    RunningServer,
    agency_registers,
    configure,
    run_once,
    start_server,
    stop,
)


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    data_dir = tmp_path_factory.mktemp("published")
    with RegisterServer(agency_registers()) as registers:
        path = configure(data_dir, registers)
        run_once(path)
        # Run start times have whole seconds, and State orders runs of one second by their
        # random id suffix: start the second run in the next second, so it is the newest.
        time.sleep(1.02 - time.time() % 1)
        run_once(path)  # a second run: the harvest log has history, newest first
    store = snapshot.open_current(data_dir)
    assert store is not None
    result = store.query(
        "SELECT ?a WHERE { ?r <http://xmlns.com/foaf/0.1/primaryTopic> ?a } "
        "GROUP BY ?a HAVING (COUNT(?r) > 1) ORDER BY ?a LIMIT 1",
        use_default_graph_as_union=True,
    )
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    del store
    algorithm = rows[0]["a"].value.rsplit("/", 1)[1]
    state = State(data_dir)
    with state.transaction() as db:
        db.execute(
            "INSERT INTO canonicals (token, created, replaced_by, replaced_at) VALUES (?,?,?,?)",
            ("0ld0ld0ld0ld0ld0ld00", "2026-01-01T00:00:00Z", algorithm, "2026-02-01T00:00:00Z"),
        )
        db.execute(
            "INSERT INTO canonicals (token, created, retired_at) VALUES (?,?,?)",
            ("9one9one9one9one9one", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
        )
    state.close()
    return Published(path, data_dir, algorithm, "0ld0ld0ld0ld0ld0ld00", "9one9one9one9one9one")


@pytest.fixture(scope="session")
def server(
    published: Published, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """``federator serve`` over the published data, for the whole session."""
    running = start_server(published.config_path, tmp_path_factory.mktemp("logs") / "serve.log")
    try:
        yield running
    finally:
        stop(running.process)


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Callable[[Path], RunningServer]]:
    """Start servers that belong to one test; all stopped at its end."""
    started: list[RunningServer] = []

    def start(config_path: Path) -> RunningServer:
        running = start_server(config_path, tmp_path / f"serve-{len(started)}.log")
        started.append(running)
        return running

    try:
        yield start
    finally:
        for running in started:
            stop(running.process)
