"""The latest compressed dump, ``data_dir/dumps/latest.nq.gz`` with a ``.sha256`` beside it.

Made when someone asks for it (``GET /dump/latest.nq.gz`` builds it from the current
snapshot when the graphs changed since the last one), or after each publish that changed a
graph when ``publish.dump`` is on. Whether anything changed is decided by the digests of the
graphs the publisher writes whole (the provenance log grows with every run, and a dump per run
would cost more than it tells): a dump of 20,000 registrations takes seconds, too much to pay
on every run by default.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

from federator.publish import manifest
from federator.publish.export import export
from federator.publish.store import Store

NAME = "latest.nq.gz"


def folder(data_dir: Path) -> Path:
    return data_dir / "dumps"


def latest(data_dir: Path) -> Path | None:
    """The latest dump, or None before the first."""
    path = folder(data_dir) / NAME
    return path if path.exists() else None


def checksum(data_dir: Path) -> str | None:
    """The SHA-256 of the latest dump, as ``export`` wrote it beside the dump."""
    try:
        text = (folder(data_dir) / (NAME + ".sha256")).read_text(encoding="utf-8")
    except OSError:
        return None
    return text.split()[0] if text.strip() else None


def content_key(data_dir: Path) -> str:
    """A digest over the digests of every graph the publisher writes whole (read from the
    store's manifest under ``data_dir/published``, so readers can compute it too)."""
    graphs = (manifest.read(data_dir / "published") or {}).get("graphs", {})
    digests = sorted(f"{g} {d}" for g, d in graphs.items())
    return hashlib.sha256("\n".join(digests).encode("utf-8")).hexdigest()


def refresh(store: Store, data_dir: Path) -> dict[str, Any] | None:
    """After a publish: write a new dump when the graphs changed since the last one."""
    return refresh_from(store.ox, data_dir)


def refresh_from(store: Any, data_dir: Path) -> dict[str, Any] | None:
    """Write a new dump of ``store`` (the live one, or a read-only snapshot) when the graphs
    changed since the last dump; return its facts, or None when the last dump is current."""
    key = content_key(data_dir)
    meta_path = folder(data_dir) / "latest.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if meta.get("graphs") == key and latest(data_dir) is not None:
        return None
    path = folder(data_dir) / NAME
    digest = export(store, "nquads", path, io.BytesIO())
    meta = {"graphs": key, "sha256": digest, "bytes": path.stat().st_size}
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, meta_path)
    return meta
