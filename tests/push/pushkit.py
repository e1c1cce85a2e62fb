"""Helpers for the push tests: a real Oxigraph server process and a loopback GSP recorder."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyoxigraph as ox
import pytest
import yaml

from federator import config
from federator.config import Config
from federator.demo import CONTRACT_QUERY, write_config
from federator.pipeline import Federator, RunReport
from federator.publish import snapshot
from federator.sim import RegisterServer

Row = tuple[str, str, str]
SIZES = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def oxigraph_binary() -> str:
    """The ``oxigraph`` command of the pip package ``oxigraph`` (a dev dependency)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail(
            "the Oxigraph server binary is missing: install the dev dependencies "
            "(pip install -e '.[dev]', which brings the 'oxigraph' package)",
            pytrace=False,
        )
    return found


class OxigraphServer:
    """``oxigraph serve`` on a loopback port over an on-disk location; stop and start again."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        self.location = location
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> str:
        return f"{self.url}/store"

    @property
    def query(self) -> str:
        return f"{self.url}/query"

    def start(self) -> OxigraphServer:
        self.location.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                oxigraph_binary(),
                "serve",
                "--location",
                str(self.location),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"oxigraph serve exited: {err}")
            try:
                httpx.get(self.query, params={"query": "ASK {}"}, timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("oxigraph serve did not answer within 15 s")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def select(self, sparql: str) -> list[dict[str, Any]]:
        resp = httpx.post(
            self.query,
            data={"query": sparql},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        resp.raise_for_status()
        rows: list[dict[str, Any]] = resp.json()["results"]["bindings"]
        return rows

    def contract_rows(self) -> list[Row]:
        """The contract query's answer, sorted (duplicates kept: a bag must equal a bag)."""
        return sorted(
            (r["source"]["value"], r["id"]["value"], r["algorithm"]["value"])
            for r in self.select(CONTRACT_QUERY)
        )

    def graph_sizes(self) -> dict[str, int]:
        return {r["g"]["value"]: int(r["n"]["value"]) for r in self.select(SIZES)}

    def graphs(self) -> set[str]:
        return {r["g"]["value"] for r in self.select("SELECT DISTINCT ?g { GRAPH ?g { } }")}


def local_contract_rows(data_dir: Path) -> list[Row]:
    """The contract query on the embedded store's current snapshot, sorted."""
    store = snapshot.open_current(data_dir)
    assert store is not None
    result: Any = store.query(CONTRACT_QUERY, use_default_graph_as_union=True)
    return sorted((s["source"].value, s["id"].value, s["algorithm"].value) for s in result)


def local_graph_sizes(data_dir: Path) -> dict[str, int]:
    """Statements per named graph in the embedded store's current snapshot."""
    store = snapshot.open_current(data_dir)
    assert store is not None
    result: Any = store.query(SIZES)
    return {r["g"].value: int(r["n"].value) for r in result}


def local_triples(data_dir: Path) -> int:
    store = snapshot.open_current(data_dir)
    assert store is not None
    return len(store)


@dataclass
class Request:
    method: str
    path: str
    graph: str | None
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """A loopback Graph Store that records every request and answers ``status``."""

    status: int = 201
    requests: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def store(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/store"

    def puts(self) -> list[str]:
        return [r.graph or "" for r in self.requests if r.method == "PUT"]

    def deletes(self) -> list[str]:
        return [r.graph or "" for r in self.requests if r.method == "DELETE"]

    def __enter__(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                graph = parse_qs(parts.query).get("graph", [None])[0]
                recorder.requests.append(
                    Request(self.command, parts.path, graph, dict(self.headers), body)
                )
                self.send_response(recorder.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_DELETE = do_POST = do_GET = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def count_nquads(data: bytes) -> int:
    return sum(1 for _ in ox.parse(data, format=ox.RdfFormat.N_QUADS))


def demo_config(data_dir: Path, registers: RegisterServer, publish: dict[str, Any]) -> Path:
    """The demo configuration with a ``publish`` section."""
    path = write_config(data_dir, registers)
    text = path.read_text(encoding="utf-8")
    text += yaml.safe_dump({"publish": publish}, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def target(name: str, store: str, **extra: Any) -> dict[str, Any]:
    """A target that gives up quickly: the tests make targets fail on purpose."""
    return {"name": name, "store": store, "retries": 1, "backoff": 0.01, "timeout": 5, **extra}


def run(cfg: Config | Path) -> RunReport:
    """One ``run --once`` in this process, the run lock released afterwards."""
    fed = Federator(cfg if isinstance(cfg, Config) else config.load(cfg))
    try:
        return fed.run_once()
    finally:
        fed.close()


def rename_amsterdam_record(registers: RegisterServer, source_id: str, name: str) -> None:
    regs = registers.registers
    doc = json.loads(regs.documents["gemeente-amsterdam.json"].body)
    for rec in doc["algoritme_versions"]:
        if rec["source_id"] == source_id:
            rec["name"] = name
    regs.put("gemeente-amsterdam.json", json.dumps(doc).encode("utf-8"))
