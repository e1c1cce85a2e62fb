"""The next registers' documents are fetched while an earlier register is harvested: each
in its own request with its own client, at most ``WINDOW`` at once, and a register's failure
is said in its own turn, with its own statuses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers import write_config
from test_formats import api_record

from federator import config
from federator.config import HarvestSettings, SourceConfig
from federator.harvest import ahead as ahead_module
from federator.harvest.ahead import Ahead
from federator.harvest.rawstore import RawStore
from federator.pipeline import Federator
from federator.sim import RegisterServer


def municipal(n: int, url: str) -> dict[str, str]:
    return {
        "id": f"m{n}",
        "title": f"M{n}",
        "level": "municipal",
        "organisation": "gm0344",
        "format": "algoritmeregister-json",
        "url": url,
    }


def records(n: int) -> bytes:
    return json.dumps(
        [{"name": f"Algoritme {n}.{i}", "source_id": f"M{n}-{i}"} for i in range(3)]
    ).encode()


def test_documents_are_fetched_while_the_register_api_is_paged(
    registers: RegisterServer, tmp_path: Path
) -> None:
    registers.registers.api_records = [api_record(i) for i in range(450)]  # five pages
    registers.registers.after_page = lambda page: time.sleep(0.1)  # a register far away
    for n in range(3):
        registers.registers.put(f"m{n}.json", records(n))
    national = {
        "id": "national",
        "title": "N",
        "level": "national",
        "format": "algoritmeregister-api",
        "url": registers.api_url,
    }
    sources = [national] + [municipal(n, registers.file_url(f"m{n}.json")) for n in range(3)]
    cfg = config.load(write_config(tmp_path / "f.yaml", sources))
    report = Federator(cfg).run_once()
    assert {s: r.outcome for s, r in report.sources.items()} == dict.fromkeys(
        ["national", "m0", "m1", "m2"], "synced"
    )
    asked = [path for _, path, _ in registers.registers.requests]
    last_page = max(i for i, path in enumerate(asked) if path.startswith("/api"))
    files = [i for i, path in enumerate(asked) if path.startswith("/files/")]
    assert len(files) == 3 and max(files) < last_page  # all asked before the API's last page
    assert report.sources["m1"].stats["accepted"] == 3


def test_a_register_fetched_ahead_fails_in_its_own_turn_with_its_own_statuses(
    registers: RegisterServer, tmp_path: Path
) -> None:
    registers.registers.put("m0.json", records(0))
    registers.registers.put("m2.json", records(2))
    sources = [
        municipal(0, registers.file_url("m0.json")),
        municipal(1, registers.file_url("missing.json")),
        municipal(2, registers.file_url("m2.json")),
    ]
    cfg = config.load(write_config(tmp_path / "f.yaml", sources))
    report = Federator(cfg).run_once()
    failed = report.sources["m1"]
    assert failed.outcome == "failed" and failed.error_code == "http_404"
    assert "missing.json" in (failed.error or "")
    assert failed.statuses == {"404": 1}
    assert report.sources["m0"].outcome == report.sources["m2"].outcome == "synced"
    assert report.sources["m2"].statuses == {"200": 1}


class _Slow(BaseHTTPRequestHandler):
    """Answers every GET with a small register after 0.1 s, counting how many are in flight."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    in_flight = most = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        time.sleep(0.1)
        with cls.lock:
            cls.in_flight -= 1
        body = records(0)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def slow() -> Iterator[str]:
    _Slow.in_flight = _Slow.most = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield f"http://{host!s}:{port}"
    httpd.shutdown()


def test_at_most_a_window_of_documents_is_fetched_ahead(slow: str, tmp_path: Path) -> None:
    sources = [
        SourceConfig(**municipal(n, f"{slow}/files/m{n}.json"))  # type: ignore[arg-type]
        for n in range(2 * ahead_module.WINDOW + 1)
    ]
    with Ahead(HarvestSettings(), RawStore(tmp_path)) as ahead:
        ahead.start(sources, {}, lambda source_id: [])
        assert len(ahead.jobs) == ahead_module.WINDOW
        for i, source in enumerate(sources):
            taken = ahead.take(source.id)
            ahead.start(sources[i + 1 :], {}, lambda source_id: [])
            assert taken is not None and taken.error is None and taken.harvested is not None
            assert len(taken.harvested.records) == 3 and taken.statuses == {"200": 1}
    assert _Slow.most == ahead_module.WINDOW
