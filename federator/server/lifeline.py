"""Child processes that must not outlive the process that started them."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` goes (Linux); exit if it is gone already.

    A query worker running away, or a harvest run, must not hold a core or the run lock after
    the server or the daemon died. The signal fires when the parent's *thread* that started us
    ends, so parents start such children from long-lived threads only.
    """
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:
        os._exit(1)
