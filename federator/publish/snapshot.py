"""Read-only views of the published store, for every reader outside the writing process.

pyoxigraph says opening a store read-only while another process writes it is undefined
behaviour. So after each publish the writer takes a RocksDB checkpoint (``Store.backup``: hard
links, milliseconds) into ``data_dir/snapshots/<n>`` and then points ``current`` at it with an
atomic rename. Readers (``query``, ``export``, the HTTP server and its query workers) open the
current snapshot, which no process ever writes.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pyoxigraph as ox

KEEP = 3  # snapshots kept besides the current one, for readers still holding them
MIN_AGE = 600  # seconds before an old snapshot may be removed


def root(data_dir: Path) -> Path:
    return data_dir / "snapshots"


def take(store: ox.Store, data_dir: Path) -> Path:
    """Checkpoint the store and make it the current snapshot."""
    base = root(data_dir)
    base.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}"
    target = base / name
    store.backup(str(target))
    pointer = base / "current"
    tmp = base / f".current-{name}"
    tmp.write_text(name + "\n", encoding="utf-8")
    os.replace(tmp, pointer)
    _prune(base, name)
    return target


def current(data_dir: Path) -> Path | None:
    pointer = root(data_dir) / "current"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root(data_dir) / name
    return path if path.is_dir() else None


def open_current(data_dir: Path) -> ox.Store | None:
    path = current(data_dir)
    return ox.Store.read_only(str(path)) if path else None


def _prune(base: Path, keep_name: str) -> None:
    snapshots = sorted(
        (p for p in base.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)
    )
    old = [p for p in snapshots if p.name != keep_name][:-KEEP] if len(snapshots) > KEEP else []
    now = time.time()
    for path in old:
        if now - path.stat().st_mtime > MIN_AGE:
            shutil.rmtree(path, ignore_errors=True)
