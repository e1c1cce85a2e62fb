"""``federator daemon``: scheduled harvests plus the HTTP server, until SIGTERM/SIGINT.

- Each source with a ``schedule`` gets an APScheduler job (cron or interval, with jitter):
  never two runs of one source at once (``max_instances=1``), missed runs coalesced.
- Each run is a child process, ``federator run --once --source ID``: a crash or a leak stays
  there, and a run past its time limit (the source's ``timeout``) is stopped (SIGTERM, then
  SIGKILL) and marked abandoned at once, naming the limit. Runs go one at a time (the store
  has one writer anyway) so a run's time limit counts its own work, not a wait for the lock.
- Children die with the daemon (the kernel kills them when it goes); on start-up, runs left
  'running' by a dead process are marked abandoned. A run's outcome is written by the run, or
  by the daemon the moment its process ends: nothing stays 'running' once its process is gone.
- On SIGTERM/SIGINT the scheduler stops taking runs, the run in flight gets ``STOP_GRACE``
  seconds to finish and is then stopped and marked abandoned, and the daemon exits 0.
- The daemon writes ``data_dir/daemon.json`` (its pid and every source's next run), so other
  processes (``federator serve``, ``federator status``) show the times it really plans.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from federator import log
from federator.config import Config, SourceConfig
from federator.lock import RunLock
from federator.schedule import (
    DEFAULT_JITTER,
    STATUS_FILE,
    parse_schedule,
    planned_next_run,
    read_status,
)
from federator.server.serve import make_server, run_server
from federator.state import State, now

STOP_GRACE = 10.0  # seconds the run in flight gets to finish after SIGTERM/SIGINT
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL of a run process
MISFIRE_GRACE = 3600  # seconds a run may start late (the daemon was busy or asleep)
STARTUP_LOCK_WAIT = 30.0  # seconds to wait for a writer at start-up before skipping cleanup
POLL = 0.2  # seconds between checks on a run process
CHILD = "from federator.child import main; main()"  # named, not imported: see child.py


def jitter_for(trigger: BaseTrigger, at: datetime) -> float:
    """A tenth of the time between two runs, at most the default: spread, but never skip."""
    first = trigger.get_next_fire_time(None, at)
    second = trigger.get_next_fire_time(first, first) if first else None
    if first is None or second is None:
        return 0.0
    return float(min(DEFAULT_JITTER, (second - first).total_seconds() / 10))


def trigger_for(src: SourceConfig, at: datetime) -> BaseTrigger | None:
    """The source's trigger, with jitter unless the schedule names its own."""
    if src.schedule is None:
        return None
    trigger = parse_schedule(src.schedule)
    own = isinstance(src.schedule, dict) and "jitter" in src.schedule
    if not own:
        trigger.jitter = jitter_for(trigger, at)
    return trigger


def first_run(trigger: BaseTrigger, last_started: str | None, at: datetime) -> datetime | None:
    """When a job's first run is due: an interval counts from the source's last run, so a
    restart neither delays an overdue harvest nor repeats a fresh one; a cron keeps its times.
    """
    if isinstance(trigger, IntervalTrigger):
        if last_started is None:
            return at
        due = datetime.fromisoformat(last_started) + trigger.interval
        return max(due, at)
    fire: datetime | None = trigger.get_next_fire_time(None, at)
    return fire


def iso(moment: datetime | None) -> str | None:
    """A time as ``report.next_run`` writes it (UTC, seconds)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


# -- the daemon ----------------------------------------------------------------------------
class Daemon:
    """The scheduler and its run processes (the HTTP server is started by ``run_daemon``)."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.config_path = str(Path(cfg.path).resolve())
        self.log = log.get("federator.daemon")
        self.stopping = threading.Event()
        self.one_at_a_time = threading.Lock()
        scheduled = [s for s in cfg.sources if s.schedule is not None]
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max(1, len(scheduled)))},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": MISFIRE_GRACE,
            },
        )
        self.scheduler.add_listener(
            self._on_event,
            EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES,
        )
        self.started = now()

    # -- start and stop ----------------------------------------------------------------------
    def start(self) -> None:
        """Clean up after a dead process, schedule every source that has a schedule, go."""
        self._abandon_leftovers()
        at = datetime.now(UTC)
        state = State(self.cfg.data_dir)
        try:
            last: dict[str, str | None] = {}
            for s in self.cfg.sources:
                runs = state.source_runs(s.id, limit=1)
                last[s.id] = runs[0]["started"] if runs else None
        finally:
            state.close()
        for src in self.cfg.sources:
            trigger = trigger_for(src, at)
            if trigger is None:
                self.log.info("source.unscheduled", source=src.id)
                continue
            self.scheduler.add_job(
                self.run_source,
                trigger,
                args=[src.id],
                id=src.id,
                name=f"harvest {src.id}",
                next_run_time=first_run(trigger, last[src.id], at),
            )
        # APScheduler warns of every skipped run; we log those ourselves ('run.skipped').
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.scheduler.start()
        self.write_status()
        for job in self.scheduler.get_jobs():
            self.log.info("source.scheduled", source=job.id, next_run=iso(job.next_run_time))

    def _abandon_leftovers(self) -> None:
        # Under the run lock, a run still 'running' has no live process: every run holds it.
        try:
            with RunLock(self.cfg.data_dir, wait=STARTUP_LOCK_WAIT):
                state = State(self.cfg.data_dir)
                try:
                    n = len(state.abandon_runs())
                finally:
                    state.close()
        except Exception as exc:  # a writer holds the lock: its runs are alive
            self.log.warning("startup.cleanup_skipped", reason=str(exc))
            return
        if n:
            self.log.warning("startup.abandoned", runs=n)

    def request_stop(self) -> None:
        """Stop taking runs; the run in flight gets ``STOP_GRACE`` seconds (signal-safe)."""
        self.stopping.set()

    def stop(self) -> None:
        """Stop the scheduler, wait for the run in flight (bounded), remove the status file."""
        self.stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        try:
            status = read_status(self.cfg.data_dir)
            if status is not None and status.get("pid") == os.getpid():
                (self.cfg.data_dir / STATUS_FILE).unlink()
        except OSError:
            pass
        self.log.info("daemon.stopped")

    # -- what the server asks ----------------------------------------------------------------
    def next_run(self, source_id: str) -> str | None:
        job = self.scheduler.get_job(source_id) if self.scheduler.running else None
        return iso(job.next_run_time) if job is not None else None

    def write_status(self) -> None:
        """Publish the plan for other processes (atomically: readers never see half a file)."""
        status = {
            "pid": os.getpid(),
            "started": self.started,
            "next_runs": {
                s.id: self.next_run(s.id) for s in self.cfg.sources if s.schedule is not None
            },
        }
        path = self.cfg.data_dir / STATUS_FILE
        # One temporary file per thread: two runs ending together write the status at once,
        # and with one name per process the second rename found the first had taken it.
        tmp = path.with_name(f".{STATUS_FILE}.{os.getpid()}.{threading.get_ident()}")
        try:
            tmp.write_text(json.dumps(status, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            self.log.warning("status.unwritable", error=str(exc))

    def _on_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            self.log.warning("run.missed", source=event.job_id)
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self.log.info("run.skipped", source=event.job_id, reason="the previous run is busy")
        elif event.code == EVENT_JOB_ERROR:
            self.log.error("run.error", source=event.job_id, error=repr(event.exception))
        if not self.stopping.is_set():
            self.write_status()

    # -- one run -----------------------------------------------------------------------------
    def run_source(self, source_id: str) -> None:
        """Run one source in a child process, within its time limit (an APScheduler job)."""
        with self.one_at_a_time:
            if self.stopping.is_set():
                return
            # The scheduler has planned the following run by now (it holds the job store
            # lock while it does, and write_status asks the job store).
            self.write_status()
            src = self.cfg.source(source_id)
            self._run_child(src)
            keep = self.cfg.history.keep_runs
            state = State(self.cfg.data_dir)
            try:
                state.prune(keep)
            finally:
                state.close()

    def _run_child(self, src: SourceConfig) -> None:
        cmd = [sys.executable, "-c", CHILD, "run", "--once", "--source", src.id]
        cmd += ["--config", self.config_path, "--log-format", "json"]
        env = dict(os.environ, FEDERATOR_DAEMON_PID=str(os.getpid()))
        err = _stderr_fd()
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=err,  # the run's summary lines are diagnostics here: the daemon has no stdout
            stderr=err,
            env=env,
            start_new_session=True,  # Ctrl-C in a terminal reaches the daemon only: it decides
        )
        bound = self.log.bind(source=src.id, pid=proc.pid)
        bound.info("run.start", timeout=src.timeout)
        reason, code = self._wait(proc, src, started)
        if reason is not None:
            bound.warning("run.stopping", reason=reason)
            _terminate(proc)
        exit_code = proc.wait()
        if reason is None:
            reason = f"the run process ended (exit status {exit_code}) before the run ended"
            code = "abandoned"
        state = State(self.cfg.data_dir)
        try:
            abandoned = state.abandon_runs(reason, code, pid=proc.pid)
            runs = state.runs_of_process(proc.pid)
        finally:
            state.close()
        for run in runs:
            bound.bind(run=run["run_id"]).info(
                "run.end",
                outcome=run["outcome"],
                exit_code=exit_code,
                seconds=round(time.monotonic() - started, 2),
                **({"reason": reason} if run["run_id"] in abandoned else {}),
            )
        if not runs:
            bound.warning("run.none", exit_code=exit_code, reason="the process started no run")

    def _wait(
        self, proc: subprocess.Popen[bytes], src: SourceConfig, started: float
    ) -> tuple[str | None, str]:
        """Wait for the run to end; (why it must be stopped, error code) or (None, '')."""
        deadline = started + src.timeout
        stop_by: float | None = None
        while True:
            try:
                proc.wait(timeout=POLL)
                return None, ""
            except subprocess.TimeoutExpired:
                pass
            moment = time.monotonic()
            if moment >= deadline:
                return f"exceeded its time limit of {src.timeout:g} s", "time_limit"
            if self.stopping.is_set():
                stop_by = stop_by or moment + STOP_GRACE
                if moment >= stop_by:
                    return "the daemon stopped before the run ended", "abandoned"


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=KILL_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _stderr_fd() -> int | None:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def run_daemon(cfg: Config) -> int:
    """``federator daemon``: schedule, serve, and stop cleanly on SIGTERM/SIGINT (exit 0)."""
    log.configure(json=True)
    daemon = Daemon(cfg)
    daemon.log.info("daemon.start", config=daemon.config_path, pid=os.getpid())
    daemon.start()
    server = make_server(cfg, planner=daemon.next_run, on_stop=daemon.request_stop)
    try:
        code = run_server(server)
    finally:
        daemon.stop()
    return code


__all__ = ["Daemon", "run_daemon", "planned_next_run", "read_status"]
