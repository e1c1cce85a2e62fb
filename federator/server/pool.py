"""A small pool of query worker processes with a real time limit.

A query that runs past the limit is stopped by killing its worker (which frees its CPU at
once); a fresh worker takes its place, and the other workers go on answering meanwhile.
Workers are started with the ``spawn`` method: forking a process that runs an event loop and
threads is not safe, and a spawned worker holds nothing of the server but its pipe.

Bounds, so that one query or one client cannot hold the others (SECURITY.md): a worker may take
``server.worker_memory`` bytes of memory (past it the query answers an error status and the
worker is replaced); an answer may have ``server.max_answer_bytes`` bytes; one client address
may have ``server.max_queries_per_client`` queries in flight (running or waiting), and one
more is answered 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from federator import log
from federator.config import ServerSettings
from federator.server import worker
from federator.server.worker import OUT_OF_MEMORY, Answer, Job

WORKERS = 2  # query processes; config keys are fixed, so this is a module constant
STOP_WAIT = 2.0  # seconds a worker gets to leave on its own at shutdown
RETRY_AFTER = 2  # seconds a client over its limit is asked to wait
# How a worker that ran out of memory ends: Oxigraph aborts when an allocation fails, and
# the kernel's OOM killer sends SIGKILL (the pool's own kills are counted before this).
OUT_OF_MEMORY_EXITS = (-signal.SIGABRT, -signal.SIGKILL)


@dataclass(eq=False)  # identity: workers live in a set
class _Worker:
    process: BaseProcess
    conn: Connection
    started: float = field(default_factory=time.monotonic)

    def call(self, job: Job, timeout: float) -> tuple[str, Answer | None]:
        """Send a job and wait for its answer: ('ok', answer), ('timeout', None), ('died', None)."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return "timeout", None
            return "ok", self.conn.recv()
        except (EOFError, OSError):
            return "died", None


class QueryPool:
    """Answers ``Job``s in worker processes; at most ``size`` queries run at once."""

    def __init__(
        self,
        data_dir: Path,
        timeout: float,
        size: int = WORKERS,
        limits: ServerSettings | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.timeout = float(timeout)
        self.size = size
        limits = limits or ServerSettings()
        self.memory = limits.worker_memory
        self.max_answer_bytes = limits.max_answer_bytes
        self.per_client = limits.max_queries_per_client
        self.in_flight: Counter[str] = Counter()  # queries per client address
        self.context = multiprocessing.get_context("spawn")
        self.idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self.workers: set[_Worker] = set()
        self.executor = ThreadPoolExecutor(max_workers=size + 1, thread_name_prefix="sparql")
        self.outcomes: Counter[str] = Counter()
        self.log = log.get("federator.sparql")
        self.closed = False
        self.spawned = 0

    @property
    def busy(self) -> int:
        return len(self.workers) - self.idle.qsize()

    def start(self) -> None:
        """Start the workers (call on the event loop's thread: workers die with that thread)."""
        for _ in range(self.size):
            self.idle.put_nowait(self._spawn())

    def _spawn(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=worker.main,
            # Only the first worker reports a network it could not leave: one warning, not one
            # per worker replaced.
            args=(str(self.data_dir), child_end, os.getpid(), self.spawned == 0, self.memory),
            name="federator-sparql",
            daemon=True,
        )
        process.start()
        self.spawned += 1
        child_end.close()  # only the worker holds it now: our death is its end of file
        w = _Worker(process, parent_end)
        self.workers.add(w)
        return w

    def _discard(self, w: _Worker) -> None:
        self.workers.discard(w)
        if w.process.is_alive():
            w.process.kill()  # SIGKILL: a query in pyoxigraph cannot be interrupted otherwise
        w.process.join(1)
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        self._discard(w)
        if not self.closed:
            self.idle.put_nowait(self._spawn())

    async def execute(self, job: Job, client: str | None = None) -> Answer:
        """Answer a job within the time limit, or a 503/504 saying why not; ``client`` (its
        address) over its limit of queries in flight is answered 429."""
        if client is None:
            return await self._execute(job)
        if self.in_flight[client] >= self.per_client:
            self.outcomes["over_limit"] += 1
            answer = Answer.text(
                429,
                f"this client already has {self.in_flight[client]} queries in flight, the most "
                f"one client may have (server.max_queries_per_client = {self.per_client}); "
                "wait for their answers and try again",
            )
            answer.headers["Retry-After"] = str(RETRY_AFTER)
            return answer
        self.in_flight[client] += 1
        try:
            return await self._execute(job)
        finally:
            self.in_flight[client] -= 1
            if self.in_flight[client] <= 0:
                del self.in_flight[client]

    async def _execute(self, job: Job) -> Answer:
        job = replace(job, max_bytes=min(job.max_bytes, self.max_answer_bytes))
        started = time.monotonic()
        try:
            w = await asyncio.wait_for(self.idle.get(), timeout=self.timeout)
        except TimeoutError:
            self.outcomes["busy"] += 1
            return Answer.text(
                503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again"
            )
        loop = asyncio.get_running_loop()
        call = self.executor.submit(w.call, job, self.timeout)
        try:
            status, answer = await asyncio.wrap_future(call)
        except BaseException:
            # Cancelled (the client left, or the server stops) while the query may still run:
            # kill it now, and let the waiting thread see the end of file before the pipe goes.
            w.process.kill()
            call.add_done_callback(lambda _: _soon(loop, self._replace, w))
            raise
        if status == "timeout":
            self._replace(w)
            self.outcomes["timeout"] += 1
            self.log.warning(
                "sparql.timeout", limit=self.timeout, waited=round(time.monotonic() - started, 2)
            )
            return Answer.text(
                504,
                f"the query ran longer than the time limit of {self.timeout:g} s and was "
                "stopped; narrow it down (add LIMIT, more specific patterns) and try again",
            )
        if status == "died" or answer is None:
            self._replace(w)
            if w.process.exitcode in OUT_OF_MEMORY_EXITS:
                self.outcomes["memory"] += 1
                self.log.warning("sparql.memory", limit=self.memory)
                return Answer.text(500, OUT_OF_MEMORY, "memory")
            self.outcomes["error"] += 1
            return Answer.text(500, "the query worker stopped unexpectedly; try again")
        if answer.retire:  # it ran out of memory and leaves: a fresh one takes its place
            self._replace(w)
            self.outcomes[_outcome(answer)] += 1
            return answer
        self.idle.put_nowait(w)
        self.outcomes[_outcome(answer)] += 1
        return answer

    def close(self) -> None:
        """Stop every worker: ask politely, then kill."""
        self.closed = True
        for w in list(self.workers):
            with contextlib.suppress(OSError):
                w.conn.send(None)
        deadline = time.monotonic() + STOP_WAIT
        for w in list(self.workers):
            w.process.join(max(0.0, deadline - time.monotonic()))
            self._discard(w)
        self.executor.shutdown(wait=False, cancel_futures=True)


def _soon(loop: asyncio.AbstractEventLoop, func: Callable[[_Worker], None], w: _Worker) -> None:
    # A closed loop means the server is gone, and the worker with it.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(func, w)


def _outcome(answer: Answer) -> str:
    if answer.outcome:
        return answer.outcome
    if answer.status == 200:
        return "truncated" if answer.truncated else "ok"
    if answer.status == 400:
        return "malformed"
    if answer.status == 503:
        return "unavailable"
    return "error"
