"""Run one step function over parts of a batch in worker processes, in order.

It knows nothing of what the step does: the pipeline hands it the step (a module-level
function, so that it pickles by name) and the parts. Each part goes to its worker through a
pickle file, written and then released here, so that the parent does not hold every part
while the workers run (``ProcessPoolExecutor`` keeps each call's arguments until its result
is back, and ``multiprocessing.Pool`` would hang if a worker died).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

# Two: the machines federator runs on are small, and a third worker only adds memory (each
# holds a part and its results) where the parent already keeps one core busy.
WORKERS = min(2, os.cpu_count() or 1)

Result = TypeVar("Result")


def load_part(path: Path) -> Any:
    """A part as ``run`` wrote it for a worker."""
    return pickle.loads(path.read_bytes())


def run(step: Callable[..., Result], parts: list[Any], *args: Any) -> list[Result]:
    """``step(path_of_part, *args)`` for every part on ``WORKERS`` processes; results in the
    parts' order. ``parts`` is emptied as they are written out. On any failure the pool
    stops at once (the source fails now, not twenty parts on) and the error is raised."""
    context = multiprocessing.get_context("spawn")  # never fork a process holding a store
    with (
        tempfile.TemporaryDirectory(prefix="federator-part-") as tmp,
        ProcessPoolExecutor(WORKERS, mp_context=context) as pool,
    ):
        futures = []
        for i in range(len(parts)):
            path = Path(tmp) / f"part-{i}.pickle"
            path.write_bytes(pickle.dumps(parts[i], protocol=pickle.HIGHEST_PROTOCOL))
            parts[i] = None  # released here once written
            futures.append(pool.submit(step, path, *args))
        try:
            return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
