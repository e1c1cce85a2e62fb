"""Run one step function over parts of a batch in worker processes, in order.

It knows nothing of what the step does: the pipeline hands it the step (a module-level
function, so that it pickles by name) and the parts. Each part goes to its worker through a
pickle file, written and then released here, so that the parent does not hold every part
while the workers run (``ProcessPoolExecutor`` keeps each call's arguments until its result
is back, and ``multiprocessing.Pool`` would hang if a worker died).

A run that will map a big register whole (a cold run) starts its workers ahead (``warm``):
each spends a third of a second starting and importing what its steps need, and that is
better spent while the register is harvested than after. ``cool`` stops them again, once the
register is mapped; until then every ``run`` uses them. Without warm workers a call starts
its own and stops them when it is done.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

# Two: the machines federator runs on are small, and a third worker only adds memory (each
# holds a part and its results) where the parent already keeps one core busy.
WORKERS = min(2, os.cpu_count() or 1)

Result = TypeVar("Result")


def load_part(path: Path) -> Any:
    """A part as ``Parts.add`` wrote it for a worker."""
    return pickle.loads(path.read_bytes())


def run(step: Callable[..., Result], parts: list[Any], *args: Any) -> list[Result]:
    """``step(path_of_part, *args)`` for every part on ``WORKERS`` processes; results in the
    parts' order. ``parts`` is emptied as they are written out. On any failure the parts not
    begun are dropped at once (the source fails now, not twenty parts on) and the error is
    raised."""
    with Parts(step, *args) as handed:
        for i in range(len(parts)):
            handed.add(parts[i])
            parts[i] = None  # released here once written
        return handed.results()


class Parts(Generic[Result]):
    """Parts handed to the workers one by one, as each is ready (``add``), with their results
    read at the end, in order (``results``): a big register's first parts are mapped while
    the rest is still paged. Leaving the ``with`` drops the parts not begun, and removes the
    parts' files."""

    def __init__(self, step: Callable[..., Result], *args: Any) -> None:
        self.step, self.args = step, args
        self.futures: list[Future[Result]] = []
        with ExitStack() as stack:  # what was entered is left again if a later step fails
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="federator-part-"))
            self._pool = stack.enter_context(workers())
            self._exit = stack.pop_all()
        self._tmp = Path(folder)

    def __enter__(self) -> Parts[Result]:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            stop(self._pool, self.futures, failed=exc[0] is not None)
        finally:
            self._exit.close()

    def add(self, part: Any) -> None:
        """Write ``part`` out for a worker (the caller may let it go then) and queue it."""
        path = self._tmp / f"part-{len(self.futures)}.pickle"
        path.write_bytes(pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))
        self.futures.append(self._pool.submit(self.step, path, *self.args))

    def results(self) -> list[Result]:
        """Every part's result, in the order they were added; the first failure is raised
        (leaving the ``with`` then drops the parts not begun)."""
        return [future.result() for future in self.futures]


_warm: ProcessPoolExecutor | None = None


def _context() -> Any:
    return multiprocessing.get_context("spawn")  # never fork a process holding a store


def _import(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def _started() -> None:
    """Nothing: a call that makes the pool start a worker (it starts them as calls come)."""


def warm(*modules: str) -> None:
    """Start the workers now, each importing ``modules`` (those of the steps to come) as it
    starts, whichever calls it then takes."""
    global _warm
    if WORKERS < 2 or _warm is not None:
        return
    _warm = ProcessPoolExecutor(
        WORKERS, mp_context=_context(), initializer=_import, initargs=(modules,)
    )
    for _ in range(WORKERS):
        _warm.submit(_started)


def warmed() -> bool:
    """Whether workers were started ahead (``warm``) and not stopped since."""
    return _warm is not None


def cool() -> None:
    """Stop the warm workers (what they hold goes back to the system); they exit on their
    own time, nobody waits for them."""
    global _warm
    pool, _warm = _warm, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def workers() -> Iterator[ProcessPoolExecutor]:
    """The warm workers, else workers for this call alone."""
    if _warm is not None:
        yield _warm
        return
    with ProcessPoolExecutor(WORKERS, mp_context=_context()) as pool:
        yield pool


def stop(pool: ProcessPoolExecutor, futures: list[Future[Any]], failed: bool = True) -> None:
    """The calls not begun are dropped (none is left after their results were read). After
    a failure (``failed``) workers of this call alone stop (their ``with`` waits for those
    under way), warm ones only when one of them died."""
    for future in futures:
        future.cancel()
    if not failed:
        return
    if pool is not _warm:
        pool.shutdown(wait=True, cancel_futures=True)
    elif any(
        f.done() and not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)
        for f in futures
    ):
        cool()
