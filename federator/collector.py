"""The garbage collector paused while work that makes no reference cycles runs.

Mapping a part, resolving, comparing pairs: each makes many objects that live until it ends,
none in a cycle (``tests/map/test_golden`` and ``tests/resolve/test_shared_work`` check), so
the collector's passes over them free nothing: at 100,000 registrations they were half of
resolution's time on the main thread, more the more objects the process holds. A publish
makes a few cycles, as many whatever the number of records (``tests/publish/test_collector``).
What the work drops is freed as its last reference goes, as always. The switch is the
process's: cycles that other threads make meanwhile wait until the work ends. A leaf module:
any stage uses it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside (as it was before, after); also a decorator."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
