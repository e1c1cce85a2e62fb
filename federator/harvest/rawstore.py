"""Raw payloads kept under ``data_dir/raw``, addressed by their SHA-256.

Keeping the payloads lets a changed mapping re-map without re-fetching, and lets any retained
run be replayed from its stored documents; ``sweep`` removes those no retained run refers to.
"""

from __future__ import annotations

import contextlib
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
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(body)
                os.replace(tmp, target)
            except BaseException:
                # A full disk leaves no half-written payload behind to keep it full.
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        return digest

    def get(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def has(self, digest: str) -> bool:
        return self.path(digest).exists()

    def sweep(self, keep: set[str]) -> int:
        """Remove every payload whose digest is not in ``keep`` (the payloads the retained
        runs refer to: what ``remap`` and replays read), and leftovers of interrupted writes.
        Returns how many files went. Call it holding the run lock."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            if not folder.is_dir() or folder.is_symlink():
                continue
            for entry in folder.iterdir():
                digest = folder.name + entry.name
                if entry.name.startswith(".tmp-") or digest not in keep:
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()
                        removed += 1
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        return removed
