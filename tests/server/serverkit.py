"""Helpers for the HTTP server tests: registers, configs, and real server processes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from federator import config
from federator.demo import demo_registers, write_config
from federator.pipeline import Federator
from federator.sim import Registers, RegisterServer

NAMELESS = "A-0051"  # the Amsterdam registration whose name the tests remove
MARKUP = "A-0013"  # the one whose status carries markup
MARKUP_STATUS = 'Actief <img src=x onerror="alert(1)"'  # no '>': survives tag stripping
QUERY_TIMEOUT = 1.5
RESULT_LIMIT = 50
UTRECHT_CRON = "0 3 * * *"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def agency_registers() -> Registers:
    """The demo registers, with one nameless and one marked-up Amsterdam registration."""
    regs = demo_registers()
    doc = json.loads(regs.documents["gemeente-amsterdam.json"].body)
    for rec in doc["algoritme_versions"]:
        if rec["source_id"] == NAMELESS:
            rec["name"] = ""
        if rec["source_id"] == MARKUP:
            rec["status"] = MARKUP_STATUS
    regs.put("gemeente-amsterdam.json", json.dumps(doc).encode("utf-8"))
    return regs


def configure(data_dir: Path, registers: RegisterServer) -> Path:
    """The demo config, with a short query time limit, a small result limit and a schedule."""
    path = write_config(data_dir, registers, port=free_port())
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "server: {host: 127.0.0.1, ",
        f"server: {{query_timeout: {QUERY_TIMEOUT}, result_limit: {RESULT_LIMIT}, "
        "host: 127.0.0.1, ",
    )
    text = text.replace(
        "    format: algoritmeregister-csv\n",
        f'    format: algoritmeregister-csv\n    schedule: "{UTRECHT_CRON}"\n',
    )
    path.write_text(text, encoding="utf-8")
    return path


def run_once(path: Path) -> None:
    fed = Federator(config.load(path))
    try:
        fed.state.abandon_leftovers()
        report = fed.run_once()
        assert not report.failed, {s: r.error for s, r in report.sources.items()}
    finally:
        fed.close()


@dataclass
class Published:
    """A data_dir with two runs published, and what the tests need to know about it."""

    config_path: Path
    data_dir: Path
    algorithm: str  # a canonical token that several registers describe
    replaced: str  # a token marked replaced by ``algorithm``
    retired: str  # a token marked retired

    def copy_to(self, data_dir: Path) -> Path:
        """A private copy of the data directory, with its own configuration (returned)."""
        shutil.copytree(self.data_dir, data_dir, ignore=shutil.ignore_patterns("*.lock"))
        text = self.config_path.read_text(encoding="utf-8")
        path = data_dir / "federator.yaml"
        path.write_text(text.replace(str(self.data_dir), str(data_dir)), encoding="utf-8")
        return path


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    url: str
    stderr: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def children(self) -> set[int]:
        """Pids of the server's query worker processes."""
        out = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) != self.process.pid:
                continue
            with contextlib.suppress(OSError):
                # Workers, not multiprocessing's resource tracker.
                if b"spawn_main" in (stat.parent / "cmdline").read_bytes():
                    out.add(int(stat.parent.name))
        return out


def start_server(config_path: Path, log: Path) -> RunningServer:
    """``federator serve`` as a real process; returns once it answers on its port."""
    cfg = config.load(config_path)
    url = f"http://127.0.0.1:{cfg.server.port}"
    err = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "federator", "serve", "--config", str(config_path)],
        stdout=subprocess.DEVNULL,
        stderr=err,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    err.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited: {log.read_text()}")
        try:
            httpx.get(url + "/health", timeout=2)
            return RunningServer(proc, url, log)
        except httpx.TransportError:
            time.sleep(0.1)
    stop(proc)
    raise AssertionError(f"the server did not start: {log.read_text()}")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> int:
    """SIGTERM, then SIGKILL if it lingers; the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
