"""``federator daemon`` as a real process: scheduled runs, clean stops, crashes, time limits."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from federator import config, report
from federator.daemon import first_run, jitter_for, planned_next_run
from federator.demo import demo_registers, write_config
from federator.schedule import parse_schedule
from federator.sim import Registers, RegisterServer

API = "/api/algoritme/NLD"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def daemon_config(data_dir: Path, registers: RegisterServer, **per_source: str) -> Path:
    """The demo config; ``per_source`` adds YAML lines to a source, e.g. national='timeout: 3'."""
    path = write_config(data_dir, registers, port=free_port())
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line.startswith("  - id: "):
            sid = line.split(": ", 1)[1]
            for extra in per_source.get(sid.replace("-", "_"), "").split(";"):
                if extra.strip():
                    out.append(f"    {extra.strip()}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def rows(data_dir: Path, sql: str, *args: Any) -> list[dict[str, Any]]:
    db = sqlite3.connect(data_dir / "state.sqlite", timeout=10)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql, args).fetchall()]
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Daemon:
    """A ``federator daemon`` process with its stderr in a file."""

    def __init__(self, config_path: Path, log: Path) -> None:
        self.log = log
        with log.open("ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "federator", "daemon", "--config", str(config_path)],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):  # a line cut off by a kill
                    out.append(json.loads(line))
        return out

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError("the daemon did not stop on SIGTERM") from None
        return self.process.returncode


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[[Path], Daemon]]:
    """Start daemons; whatever a test leaves running is stopped (and its runs with it)."""
    started: list[Daemon] = []

    def start(config_path: Path) -> Daemon:
        d = Daemon(config_path, tmp_path / "daemon.log")
        started.append(d)
        return d

    try:
        yield start
    finally:
        for d in started:
            if d.process.poll() is None:
                d.process.kill()
                d.process.wait()
        # Run processes die with their daemon; make sure, so no test leaves one behind.
        for run in rows(tmp_path / "var", "SELECT pid FROM runs"):
            if run["pid"] and alive(run["pid"]):
                os.kill(run["pid"], signal.SIGKILL)


def test_scheduled_runs_then_a_clean_stop(
    tmp_path: Path, daemons: Callable[[Path], Daemon]
) -> None:
    data_dir = tmp_path / "var"
    with RegisterServer(demo_registers()) as registers:
        path = daemon_config(
            data_dir,
            registers,
            gemeente_utrecht="schedule: {every: 2s}",
            gemeente_amsterdam="schedule: {every: 2s}",
        )
        daemon = daemons(path)
        synced = "SELECT * FROM source_runs WHERE outcome = 'synced'"
        wait_for(lambda: len(rows(data_dir, synced)) >= 3, 60, "three synced runs")
        runs = rows(data_dir, synced)
        assert {r["source"] for r in runs} == {"gemeente-utrecht", "gemeente-amsterdam"}
        # national has no schedule: only 'run --once' runs it.
        assert not rows(data_dir, "SELECT * FROM source_runs WHERE source = 'national'")
        # The HTTP server runs inside the daemon, with the scheduler's next run times.
        url = f"http://127.0.0.1:{config.load(path).server.port}"
        assert httpx.get(url + "/health", timeout=10).status_code == 200
        sources = {s["id"]: s for s in httpx.get(url + "/sources", timeout=10).json()}
        assert sources["gemeente-utrecht"]["next_run"] is not None
        assert sources["national"]["next_run"] is None
        status = json.loads((data_dir / "daemon.json").read_text())
        assert status["pid"] == daemon.process.pid
        assert set(status["next_runs"]) == {"gemeente-utrecht", "gemeente-amsterdam"}
        assert daemon.stop() == 0
    assert not rows(data_dir, "SELECT * FROM runs WHERE outcome = 'running'")
    assert not rows(data_dir, "SELECT * FROM source_runs WHERE outcome = 'running'")
    assert not (data_dir / "daemon.json").exists()
    for run in rows(data_dir, "SELECT pid FROM runs"):
        assert not alive(run["pid"])
    events = daemon.events()
    ends = [e for e in events if e.get("event") == "run.end"]
    assert len(ends) >= 3
    assert all(e["source"] and e["run"] and e["outcome"] for e in ends)
    assert any(e.get("event") == "daemon.stopped" for e in events)


def test_killed_mid_run_then_the_next_start_abandons_it_and_publishes(
    tmp_path: Path, daemons: Callable[[Path], Daemon]
) -> None:
    data_dir = tmp_path / "var"
    regs: Registers = demo_registers()
    regs.fault(API, "slow:10")
    with RegisterServer(regs) as registers:
        path = daemon_config(data_dir, registers, national="schedule: {every: 2s}")
        first = daemons(path)
        running = "SELECT r.run_id, r.pid FROM runs r JOIN source_runs s USING (run_id) "
        running += "WHERE s.source = 'national' AND s.outcome = 'running'"
        [run] = wait_for(lambda: rows(data_dir, running), 30, "a national run in flight")
        first.process.kill()  # SIGKILL: no chance to clean up
        first.process.wait()
        wait_for(lambda: not alive(run["pid"]), 10, "the run process to die with its daemon")
        # Nothing marked it: the process that would have is gone.
        assert rows(data_dir, "SELECT outcome FROM runs WHERE run_id = ?", run["run_id"]) == [
            {"outcome": "running"}
        ]
        second = daemons(path)
        abandoned = "SELECT * FROM source_runs WHERE run_id = ? AND outcome = 'abandoned'"
        wait_for(lambda: rows(data_dir, abandoned, run["run_id"]), 30, "the run abandoned")
        synced = "SELECT * FROM source_runs WHERE source = 'national' AND outcome = 'synced'"
        wait_for(lambda: rows(data_dir, synced), 30, "a synced national run")
        assert second.stop() == 0
    [left] = rows(data_dir, abandoned, run["run_id"])
    assert left["error_code"] == "abandoned" and left["ended"]
    assert not rows(data_dir, "SELECT * FROM runs WHERE outcome = 'running'")
    assert (data_dir / "snapshots" / "current").exists()


def test_a_run_past_its_time_limit_is_stopped_and_reported(
    tmp_path: Path, daemons: Callable[[Path], Daemon]
) -> None:
    data_dir = tmp_path / "var"
    regs: Registers = demo_registers()
    regs.fault(API, "slow:30")
    with RegisterServer(regs) as registers:
        path = daemon_config(data_dir, registers, national="schedule: {every: 2s}; timeout: 3")
        daemon = daemons(path)
        abandoned = "SELECT * FROM source_runs WHERE source = 'national' AND outcome = 'abandoned'"
        [run] = wait_for(lambda: rows(data_dir, abandoned), 30, "the run stopped at its limit")
        assert run["error"] == "exceeded its time limit of 3 s"
        assert run["error_code"] == "time_limit"
        pid = rows(data_dir, "SELECT pid FROM runs WHERE run_id = ?", run["run_id"])[0]["pid"]
        assert not alive(pid)
        assert daemon.stop() == 0
    stopping = [e for e in daemon.events() if e.get("event") == "run.stopping"]
    assert stopping and stopping[0]["source"] == "national"
    assert "time limit" in stopping[0]["reason"]


def test_jitter_spreads_runs_but_never_past_a_tenth_of_the_period() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert jitter_for(parse_schedule({"every": "2s"}), at) == pytest.approx(0.2)
    assert jitter_for(parse_schedule({"every": "6h"}), at) == 60
    assert jitter_for(parse_schedule("*/5 * * * *"), at) == 30


def test_an_interval_counts_from_the_last_run_and_a_cron_keeps_its_times() -> None:
    at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    every = parse_schedule({"every": "6h"})
    assert first_run(every, None, at) == at  # never harvested: now
    assert first_run(every, "2026-01-01T11:00:00Z", at) == datetime(2026, 1, 1, 17, tzinfo=UTC)
    assert first_run(every, "2026-01-01T01:00:00Z", at) == at  # overdue: now
    cron = parse_schedule("0 3 * * *")
    assert first_run(cron, "2026-01-01T11:00:00Z", at) == datetime(2026, 1, 2, 3, tzinfo=UTC)


def test_other_processes_see_the_running_daemons_plan(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as registers:
        path = daemon_config(tmp_path / "var", registers, national='schedule: "0 3 * * *"')
    cfg = config.load(path)
    now = datetime.now(UTC)
    # No daemon: the schedule's next time, exactly as 'federator status' shows it.
    assert planned_next_run(cfg, "national", now) == report.next_run(cfg, "national", now)
    assert planned_next_run(cfg, "gemeente-utrecht", now) is None
    status = {"pid": os.getpid(), "next_runs": {"national": "2026-01-02T03:00:17+00:00"}}
    (cfg.data_dir / "daemon.json").write_text(json.dumps(status))
    assert planned_next_run(cfg, "national", now) == "2026-01-02T03:00:17+00:00"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (cfg.data_dir / "daemon.json").write_text(json.dumps({**status, "pid": dead.pid}))
    assert planned_next_run(cfg, "national", now) == report.next_run(cfg, "national", now)
