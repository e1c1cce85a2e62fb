"""Raw payloads kept under ``data_dir/raw``, addressed by their SHA-256.

Keeping every payload lets a changed mapping re-map without re-fetching, and lets any run be
replayed from its stored documents.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class RawStore:
    def __init__(self, root: Path) -> None:
        self.root = root / "raw"

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, target)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()
