"""Bounded harvests (issue 18, item 4): a register cannot page, send or drip without end;
each bound stops the harvest and says so in words; raw payloads no run needs are removed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from federator import config
from federator.config import SourceConfig
from federator.errors import SourceError
from federator.harvest import harvest
from federator.harvest.http import HttpClient
from federator.harvest.rawstore import RawStore
from federator.pipeline import Federator

from .hostile import Hostile, send


def api(url: str) -> SourceConfig:
    return SourceConfig(
        id="s", title="S", level="national", format="algoritmeregister-api", url=url
    )


def client(**kw: float) -> HttpClient:
    return HttpClient.from_settings({"timeout": 3, "retries": 3, "backoff": 0.01, **kw})


def page_of(records: Sequence[Mapping[str, object]], total: int) -> bytes:
    return json.dumps({"results": records, "total_count": total}).encode()


def nameless_pages(h: BaseHTTPRequestHandler, n: int) -> None:
    """Pages that never add to what was read: records without lars (or any id)."""
    if n > 200:  # the test's own safety net: a harvest this long has failed already
        send(h, 404, b"{}")
        return
    records = [{"name": f"Algoritme {n}-{i}", "organization": "X"} for i in range(100)]
    send(h, 200, page_of(records, 10**6))


def test_paging_stops_at_a_page_without_a_new_id(tmp_path: Path) -> None:
    with Hostile(nameless_pages) as reg:
        result = harvest(api(reg.url + "/api"), client(), RawStore(tmp_path))
        assert len(reg.requests) == 1
    assert [n["code"] for n in result.notes] == ["paging_stopped"]
    assert "paging stopped" in result.notes[0]["message_en"]
    assert "gestopt" in result.notes[0]["message_nl"]


def endless_pages(h: BaseHTTPRequestHandler, n: int) -> None:
    """A register that makes up new registrations for every page it is asked."""
    records = [{"lars": f"{n:05d}{i:03d}", "name": f"A {n}-{i}"} for i in range(100)]
    send(h, 200, page_of(records, 10**9))


def test_page_cap(tmp_path: Path) -> None:
    with Hostile(endless_pages) as reg:
        with pytest.raises(SourceError) as err:
            harvest(api(reg.url + "/api"), client(max_pages=5), RawStore(tmp_path))
        assert len(reg.requests) == 5
    assert err.value.code == "too_many_pages"
    assert "harvest.max_pages" in err.value.message


def test_byte_budget_across_pages(tmp_path: Path) -> None:
    with Hostile(endless_pages) as reg:
        with pytest.raises(SourceError) as err:
            harvest(api(reg.url + "/api"), client(max_bytes=20_000), RawStore(tmp_path))
        pages = len(reg.requests)
    one_page = len(page_of([{"lars": "00001000", "name": "A 1-0"}] * 100, 10**9))
    assert one_page < 20_000 and pages <= 20_000 // one_page + 1
    assert err.value.code == "too_large" and "harvest.max_bytes" in err.value.message


def test_the_next_page_is_asked_while_one_is_read_never_two_at_once(tmp_path: Path) -> None:
    """Pages are asked one at a time, in order, and none past what total_count names: the
    next page is on its way while this one is read, as a register sees any client."""
    state = {"in_flight": 0, "most": 0}
    lock = threading.Lock()
    asked: list[int] = []

    def pages(h: BaseHTTPRequestHandler, n: int) -> None:
        with lock:
            state["in_flight"] += 1
            state["most"] = max(state["most"], state["in_flight"])
        time.sleep(0.02)
        page = json.loads(getattr(h, "body", b"{}"))["page"]
        asked.append(page)
        records = [{"lars": f"{page:05d}{i:03d}", "name": "A"} for i in range(100)]
        with lock:
            state["in_flight"] -= 1
        send(h, 200, page_of(records if page <= 4 else [], 400))

    with Hostile(pages) as reg:
        result = harvest(api(reg.url + "/api"), client(), RawStore(tmp_path))
    assert asked == [1, 2, 3, 4]
    assert state["most"] == 1
    assert [p.page for p in result.payloads] == [1, 2, 3, 4] and len(result.records) == 400


def test_a_page_asked_ahead_that_is_not_needed_changes_nothing(tmp_path: Path) -> None:
    """The register's total_count names five pages but the third is empty: paging stops
    there, as it always did, whatever the page asked ahead answered."""
    asked: list[int] = []

    def pages(h: BaseHTTPRequestHandler, n: int) -> None:
        page = json.loads(getattr(h, "body", b"{}"))["page"]
        asked.append(page)
        if page >= 4:
            send(h, 404, b"{}")
            return
        records = [{"lars": f"{page:05d}{i:03d}", "name": "A"} for i in range(100)]
        send(h, 200, page_of(records if page < 3 else [], 500))

    with Hostile(pages) as reg:
        result = harvest(api(reg.url + "/api"), client(), RawStore(tmp_path))
    assert [p.page for p in result.payloads] == [1, 2, 3] and len(result.records) == 200
    assert asked in ([1, 2, 3], [1, 2, 3, 4])  # the fourth was asked ahead, or not yet
    assert result.notes == []


def drip(h: BaseHTTPRequestHandler, n: int) -> None:
    """A valid answer, one byte every 0.25 s: no read ever waits past the timeout."""
    body = b"[" + b" " * 200 + b"]"
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    for byte in body:
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.25)


def test_deadline_stops_a_slow_drip(tmp_path: Path) -> None:
    source = SourceConfig(
        id="s", title="S", level="municipal", format="algoritmeregister-json", url=""
    )
    with Hostile(drip) as reg:
        source = SourceConfig(**{**vars(source), "url": reg.url + "/files/a.json"})
        started = time.monotonic()
        with pytest.raises(SourceError) as err:
            harvest(source, client(timeout=3, deadline=2), RawStore(tmp_path))
        elapsed = time.monotonic() - started
    assert err.value.code == "time_limit"
    assert "harvest.deadline" in err.value.message
    assert elapsed < 4


def busy(h: BaseHTTPRequestHandler, n: int) -> None:
    send(h, 503, b"busy", "text/plain", {"Retry-After": "30"})


def test_deadline_holds_across_retries(tmp_path: Path) -> None:
    with Hostile(busy) as reg:
        started = time.monotonic()
        with pytest.raises(SourceError) as err:
            harvest(api(reg.url + "/api"), client(deadline=2, retries=5), RawStore(tmp_path))
    assert err.value.code == "time_limit"
    assert time.monotonic() - started < 4


def test_run_once_reports_the_deadline_and_cleans_raw(
    register_config: Callable[..., Path],
) -> None:
    """Through ``run --once``: the failed source's log says why in words; payloads that no
    retained run refers to are removed from ``raw/``."""
    served = {"slow": False, "n": 0}

    def register(h: BaseHTTPRequestHandler, n: int) -> None:
        if served["slow"]:
            drip(h, n)
            return
        served["n"] += 1
        records = [{"lars": "10000001", "name": f"Parkeren v{served['n']}", "organization": "X"}]
        send(h, 200, page_of(records, 1))

    with Hostile(register) as reg:
        path = register_config(
            reg.url + "/api",
            {"id": "nat", "level": "national", "format": "algoritmeregister-api"},
            harvest={"deadline": 1.5, "timeout": 3, "retries": 3, "backoff": 0.01},
            history={"keep_runs": 1},
        )
        cfg = config.load(path)
        for _ in range(3):  # three versions of the register: three payloads
            fed = Federator(cfg)
            try:
                assert fed.run_once().exit_code == 0
            finally:
                fed.close()
        raw = [p for p in (cfg.data_dir / "raw").rglob("*") if p.is_file()]
        assert len(raw) == 1  # the newest run's only: the one remap reads
        served["slow"] = True
        fed = Federator(cfg)
        try:
            report = fed.run_once()
            run = fed.state.source_runs("nat", limit=1)[0]
        finally:
            fed.close()
    assert report.exit_code == 1
    assert run["outcome"] == "failed" and run["error_code"] == "time_limit"
    assert "harvest.deadline" in run["error"]
