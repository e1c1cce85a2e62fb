"""One writer per ``data_dir``: an advisory file lock around every run.

The store allows one read-write process; the lock turns a second writer (an operator's
``run --once`` while the daemon runs one) into a short wait, not a RocksDB error.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
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
        # Never through a symlink: whoever can write data_dir could otherwise make us truncate
        # and write any file we may write.
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise SourceError(
                f"{self.path} is a symbolic link; federator opens its lock file only as a "
                "plain file: remove the link",
                code="unsafe_lock",
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SourceError(f"{self.path} is not a plain file: remove it", code="unsafe_lock")
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


class DiskReserve:
    """A few megabytes of ``data_dir`` held back in a file, so that a run that fills the disk
    can still record that it failed, and why: it gives them up (``release``) when a write
    finds the disk full, and takes them again (``ensure``) when there is room."""

    SIZE = 4 * 1024 * 1024

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "reserve.bin"

    def ensure(self) -> None:
        """Hold the reserve (best effort: a disk already full keeps what it has)."""
        try:
            if self.path.is_symlink():
                self.path.unlink()
            if self.path.exists() and self.path.stat().st_size >= self.SIZE:
                return
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.SIZE)
            finally:
                os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                self.path.unlink()

    def release(self) -> bool:
        """Give the reserve up; whether there was one."""
        try:
            self.path.unlink()
        except OSError:
            return False
        return True
