"""A full disk fails the run with the reason (issue 18, item 7), on a real full file system: a
small tmpfs mounted as ``data_dir`` in a mount namespace of the test's own (needs the
privilege to mount; skipped without it). And ``run.lock`` is never opened through a link."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import write_config

from federator import config
from federator.errors import SourceError
from federator.pipeline import Federator
from federator.sim import RegisterServer


def can_mount(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    target = tmp_path / "probe"
    target.mkdir()
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {target}"],
        capture_output=True,
    )
    return done.returncode == 0


AMSTERDAM = {"id": "g", "organisation": "gm0363"}  # a register of Gemeente Amsterdam


def records(version: int) -> bytes:
    # Random text: nothing on the way compresses it, so the second run needs room.
    return json.dumps(
        [
            {
                "source_id": f"G-{i}",
                "name": f"Algoritme {i} v{version}",
                "organization": "Gemeente Amsterdam",
                "description_short": os.urandom(30000).hex(),
                "status": "In gebruik",
            }
            for i in range(50)
        ]
    ).encode()


def test_a_full_disk_fails_the_run_with_the_reason(
    tmp_path: Path, registers: RegisterServer, register_config: Callable[..., Path]
) -> None:
    if not can_mount(tmp_path):
        pytest.skip("mounting a tmpfs in a mount namespace is not permitted here")
    registers.registers.put("reg.json", records(1))
    go, changed = tmp_path / "filled", tmp_path / "changed"
    path = register_config(registers.file_url("reg.json"), AMSTERDAM)
    data = tmp_path / "var"
    data.mkdir()
    fed = f"{sys.executable} -m federator"
    script = f"""
set -u
mount -t tmpfs -o size=48m tmpfs {data} || exit 77
{fed} run --once --config {path} >/dev/null 2>&1 || exit 78
avail=$(df -k --output=avail {data} | tail -1)
dd if=/dev/zero of={data}/filler bs=1k count=$((avail - 1500)) 2>/dev/null
touch {go}
while [ ! -e {changed} ]; do sleep 0.1; done
{fed} run --once --config {path} >{tmp_path}/out 2>{tmp_path}/err
echo $? > {tmp_path}/status
rm -f {data}/filler
{fed} log g --config {path} --format json > {tmp_path}/log.json
"""
    child = subprocess.Popen(["unshare", "-m", "sh", "-c", script])
    waiter = threading.Event()
    while not go.exists() and child.poll() is None:
        waiter.wait(0.1)
    registers.registers.put("reg.json", records(2))
    changed.touch()
    assert child.wait(180) == 0
    assert (tmp_path / "status").read_text().strip() == "1"
    assert "disk of data_dir is full" in (tmp_path / "out").read_text()
    run = json.loads((tmp_path / "log.json").read_text())["run"]
    assert run["outcome"] == "failed" and run["error_code"] == "disk_full"
    assert "No space left on device" in run["error"]


def test_run_lock_is_not_opened_through_a_symlink(tmp_path: Path) -> None:
    path = write_config(tmp_path / "federator.yaml", [])
    data = tmp_path / "var"
    data.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (data / "run.lock").symlink_to(victim)
    with pytest.raises(SourceError) as err:
        Federator(config.load(path))
    assert err.value.code == "unsafe_lock"
    assert victim.read_text() == "keep me\n"
