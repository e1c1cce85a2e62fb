"""One writer per ``data_dir``: an advisory file lock around every run.

The store allows one read-write process; the lock turns a second writer (an operator's
``run --once`` while the daemon runs one) into a short wait, not a RocksDB error.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from federator.errors import SourceError


class RunLock:
    def __init__(self, data_dir: Path, wait: float = 600) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "run.lock"
        self.wait = wait
        self.fd: int | None = None

    def acquire(self) -> RunLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise SourceError(
                        f"another federator process has held {self.path} for {self.wait:.0f} s",
                        code="locked",
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
