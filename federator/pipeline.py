"""One cycle: harvest -> map -> validate per source, then resolve and publish all, then commit.

A failing source is reported and keeps its last good graph; the others go on. State (records,
identities, validators, run log) is committed only after the store accepted the new graphs.
"""

from __future__ import annotations

import errno
import functools
import gc
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import structlog

from federator import codec, log, mapvalidate, parallel
from federator.config import Config, SourceConfig
from federator.errors import FederatorError, SourceError
from federator.harvest import Harvested, Payload, harvest, replay
from federator.harvest.http import HttpClient, public_url
from federator.harvest.rawstore import RawStore
from federator.lock import DiskReserve, RunLock
from federator.map import spec
from federator.map.mapper import mapping_stamp, same_description, source_organisation
from federator.publish.publisher import Publisher
from federator.publish.store import Store
from federator.push import after_publish
from federator.records import Fresh
from federator.resolve import resolve_sources
from federator.search import Prepared
from federator.search import prepare as prepare_search_index
from federator.state import SourceRun, State, new_run_id, now
from federator.timeline import Timeline
from federator.validate.quality import completeness
from federator.vocab import Minter


@dataclass
class RunReport:
    run_id: str
    sources: dict[str, SourceRun]

    @property
    def failed(self) -> list[str]:
        return [s for s, r in self.sources.items() if r.outcome != "synced"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


@contextmanager
def timed(sr: SourceRun, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        sr.durations[stage] = round(sr.durations.get(stage, 0) + time.perf_counter() - start, 4)


class Federator:
    """The pipeline over one configuration, its state, its store and its raw payloads."""

    def __init__(self, config: Config, *, store: Any = None, state: State | None = None) -> None:
        self.config = config
        self.minter = Minter(config.base_iri)
        self.lock = RunLock(config.data_dir).acquire() if store is None else None
        self.state = state or State(config.data_dir)
        self.store = store or Store(config.data_dir / "store")
        self.raw = RawStore(config.data_dir)
        self.reserve = DiskReserve(config.data_dir)
        if self.lock is not None:
            self.reserve.ensure()
        self.http = HttpClient.from_settings(config.harvest)
        self.log = log.get("federator.run")
        self.timeline = Timeline()  # the current run's (``_start``)

    def close(self) -> None:
        """Release the store and the run lock (the process may also simply exit)."""
        self.state.close()
        del self.store
        # Tracebacks kept by loggers can hold frames that hold the store: collect them, so
        # RocksDB's lock is released before another Store opens in this process.
        gc.collect()
        if self.lock is not None:
            self.lock.release()

    # -- the per-source stages ----------------------------------------------------------
    def mapping_for(self, source: SourceConfig) -> spec.Mapping:
        return spec.load(source.mapping or spec.builtin_path(source.format))

    def process(
        self,
        source: SourceConfig,
        sr: SourceRun,
        harvested: Harvested,
        accept_withdrawals: bool,
        feed: mapvalidate.Feed | None = None,
    ) -> Fresh | None:
        """Map and validate a harvest; None when the source answered 304 (nothing changed).

        Records whose content digest did not change keep their previous mapping and verdict:
        they are not mapped, validated or published again.
        """
        sr.stats["fetched_documents"] = sum(1 for p in harvested.payloads if p.status != 304)
        mapping = self.mapping_for(source)
        last = self.state.last_synced_run(source.id)  # what this run is compared with
        if harvested.not_modified:
            # A 304 (or the same bytes as last time) says the register did not change; the
            # mapping may have: then the stored payloads are read again, so that the changed
            # mapping is applied now.
            replayed = self._replay_for_mapping(source, mapping, last)
            if replayed is None:
                self._carry_last_verdict(sr, None, last)
                # The stamp of the mapping that really made the records stands: a changed
                # mapping that could not be replayed now is tried again at the next run.
                stamp = ((last or {}).get("stats") or {}).get("mapping")
                kept = self.state.count_records(source.id)
                # Documents read again, the same as last time, hold what they held then.
                again = ("rejected", "duplicates") if harvested.same_as_last else ()
                read = kept + sum(sr.stats.get(k, 0) for k in again) if again else 0
                sr.stats.update(fetched=read, unchanged=kept)
                if stamp:
                    sr.stats["mapping"] = stamp
                return None
            harvested = replayed
        digests = self.state.record_digests(source.id)
        # Which mapping made this run's records (a later 304 compares it, above).
        sr.stats["mapping"] = mapping_stamp(source, mapping)
        batch = mapvalidate.run(
            source,
            harvested,
            mapping,
            self.minter,
            digests,
            same_input=_same_input(harvested, sr.stats["mapping"], last),
            feed=feed,
        )
        for stage, seconds in batch.seconds.items():
            sr.durations[stage] = round(seconds, 4)
        validators = {
            p.url: {"etag": p.etag, "last_modified": p.last_modified}
            for p in harvested.payloads
            if p.etag or p.last_modified
        }
        organisation, organisation_name = source_organisation(source, self.minter)
        if not batch.bodies and len(batch.reused) == len(digests):
            # Every record as before: the last verdict stands; nothing to load or publish.
            self._carry_last_verdict(sr, batch.issues, last)
            warned = self.state.count_carried_warnings(source.id, last["run_id"]) if last else 0
            _count(sr, batch, added=0, removed=0, warnings=warned)
            return Fresh([], organisation, organisation_name, validators, changed=False)
        previous = self.state.records(source.id)
        reused = [previous[n]["body"] for n in batch.reused]
        carried = [
            {
                **w,
                "native_id": b["native_id"],
                "title": b["values"].get("name"),
                "severity": "warning",
            }
            for b in reused
            for w in b.get("warnings", [])
        ]
        sr.issues = batch.issues + carried
        new = batch.bodies
        bodies = new + reused
        seen = {b["native_id"] for b in bodies}
        removed = [n for n in previous if n not in seen]
        added = sum(1 for b in new if b["native_id"] not in previous)
        redescribed = {
            b["native_id"]
            for b in new
            if b["native_id"] not in previous
            or not same_description(previous[b["native_id"]]["body"], b)
        }
        same = len(new) - len(redescribed)
        _count(sr, batch, added=added, removed=len(removed), warnings=0, same=same)
        sr.stats["completeness"] = completeness(bodies, mapping)
        self._guard(source, previous, bodies, removed, accept_withdrawals)
        return Fresh(
            bodies,
            organisation,
            organisation_name,
            validators,
            previous,
            redescribed,
            packed=self._spool(batch),
        )

    def _replay_for_mapping(
        self, source: SourceConfig, mapping: spec.Mapping, last: dict[str, Any] | None
    ) -> Harvested | None:
        """The stored payloads read again when the last synced run (``last``) had its records
        made by another mapping than ``mapping`` (None when the same, or nothing is stored)."""
        if last is None or (last["stats"] or {}).get("mapping") == mapping_stamp(source, mapping):
            return None
        stored = [Payload(**p) for p in self.state.last_payloads(source.id)]
        if not stored:
            return None
        try:
            return replay(source, stored, self.raw)
        except (FederatorError, OSError, KeyError) as exc:  # a payload no longer stored
            self.log.warning("replay.unavailable", source=source.id, error=repr(exc))
            return None

    def _spool(self, batch: mapvalidate.Batch) -> codec.Spool:
        """The batch's packed bodies, off the heap until the commit writes them."""
        spool = codec.Spool(self.config.data_dir)
        spool.put_all(batch.packed)
        batch.packed.clear()
        return spool

    @staticmethod
    def _carry_last_verdict(
        sr: SourceRun, fresh_issues: list[dict[str, Any]] | None, last: dict[str, Any] | None
    ) -> None:
        """Nothing changed: the log still says what stays warned (from ``last``, the last
        synced run). Rejections are this run's (``fresh_issues``: rejected records are
        validated every run), or, after a 304 (``None``), the last run's, its counts too."""
        sr.issues = list(fresh_issues or [])
        if last is None:
            return
        sr.carry = (last["run_id"], fresh_issues is not None)
        # After a 304 nothing was validated this run: the last run's counts stand.
        kept = ("completeness",) if fresh_issues is not None else _VERDICT_COUNTS
        for key in kept:
            if key in last["stats"]:
                sr.stats[key] = last["stats"][key]

    def _guard(
        self,
        source: SourceConfig,
        previous: dict[str, Any],
        bodies: list[Any],
        removed: list[str],
        accept: bool,
    ) -> None:
        """Hold back a run that would withdraw too much: an outage is not a withdrawal."""
        if accept or not previous:
            return
        share = self.config.guard.max_withdrawn_share
        if not bodies:
            raise SourceError(
                f"source {source.id!r} answered with no records where it had {len(previous)}; "
                "its last good graph stays. If the register really is empty, run "
                f"'federator run --once --source {source.id} --accept-withdrawals'",
                code="guard_empty",
            )
        if len(removed) / len(previous) > share:
            raise SourceError(
                f"source {source.id!r} would withdraw {len(removed)} of {len(previous)} records "
                f"({len(removed) / len(previous):.0%}, more than the {share:.0%} allowed); its "
                "last good graph stays. To apply it, run "
                f"'federator run --once --source {source.id} --accept-withdrawals'",
                code="guard_withdrawals",
            )

    def run_source(
        self, source: SourceConfig, run_id: str, accept: bool
    ) -> tuple[SourceRun, Fresh | None, bool]:
        """Harvest, map and validate one source; never raises for the source's own faults."""
        sr = SourceRun(run_id, source.id)
        self.state.start_source_run(sr)
        bound = self.log.bind(source=source.id, run=run_id)
        bound.info("harvest.start", url=public_url(source.url))
        fresh, ok = None, False
        try:
            with self._feed(source) as feed:
                with timed(sr, "harvest"), self.timeline.stage("harvest"):
                    harvested = harvest(
                        source,
                        self.http,
                        self.raw,
                        self.state.validators(),
                        [p.get("sha256") for p in self.state.last_payloads(source.id)],
                        self._expect,
                        feed.take if feed is not None else None,
                    )
                paged = time.perf_counter()
                sr.statuses = dict(harvested.statuses)
                sr.payloads = [p.to_dict() for p in harvested.payloads]
                if feed is not None and feed.first_sent is not None:
                    # Its workers were mapping while the register was still paged.
                    self.timeline.mark("map+validate", feed.first_sent, paged)
                with self.timeline.stage("map+validate"):
                    fresh = self.process(source, sr, harvested, accept, feed)
            sr.issues.extend(harvested.notes)  # what the harvest stopped at, in words
            ok = True
        except FederatorError as exc:
            sr.statuses = sr.statuses or dict(self.http.statuses)
            sr.outcome, sr.error, sr.error_code = "failed", exc.message, exc.code
            bound.error("source.failed", error=exc.message, code=exc.code)
        except OSError as exc:  # the machine's (a full disk), not the register's
            sr.statuses = sr.statuses or dict(self.http.statuses)
            sr.outcome, sr.error, sr.error_code = "failed", *_os_failure(exc)
            bound.error("source.failed", error=sr.error, code=sr.error_code)
        except Exception as exc:  # a bug must not stop the other sources
            sr.outcome, sr.error, sr.error_code = "failed", f"internal error: {exc!r}", "internal"
            bound.error("source.crashed", error=repr(exc), trace=traceback.format_exc(limit=5))
        return sr, fresh, ok

    def remap(self, source_ids: Sequence[str] | None = None) -> RunReport:
        """Re-map the stored raw payloads of each source (after a mapping changed): no fetching."""
        run_id = self._start(run_id_trigger="remap")
        publisher, stamp = self._publisher(), now()
        runs: dict[str, SourceRun] = {}
        fresh: dict[str, Fresh] = {}
        try:
            for source in self._selected(source_ids):
                sr = runs[source.id] = SourceRun(run_id, source.id)
                self.state.start_source_run(sr)
                payloads = [Payload(**p) for p in self.state.last_payloads(source.id)]
                try:
                    if not payloads:
                        raise SourceError(
                            f"source {source.id!r} has no stored payloads to re-map",
                            code="nothing_stored",
                        )
                    sr.payloads = [p.to_dict() for p in payloads]
                    f = self.process(source, sr, replay(source, payloads, self.raw), False)
                    if f is not None:
                        fresh[source.id] = f
                        publisher.preload(source, f, stamp)
                    sr.outcome = "synced"
                except FederatorError as exc:
                    sr.outcome, sr.error, sr.error_code = "failed", exc.message, exc.code
            return self._publish(run_id, runs, fresh, publisher, stamp)
        finally:
            parallel.cool()
            structlog.contextvars.unbind_contextvars("run")

    # -- the whole cycle ----------------------------------------------------------------
    def run_once(
        self,
        source_ids: Sequence[str] | None = None,
        *,
        accept_withdrawals: bool = False,
        trigger: str = "manual",
    ) -> RunReport:
        """Harvest, map and validate every (or the named) source, then publish them all."""
        run_id = self._start(run_id_trigger=trigger)
        publisher, stamp = self._publisher(), now()
        try:
            runs: dict[str, SourceRun] = {}
            fresh: dict[str, Fresh] = {}
            for source in self._selected(source_ids):
                sr, f, ok = self.run_source(source, run_id, accept_withdrawals)
                # Workers started for this source's mapping (``_expect``) stop with it: what
                # they hold after it (at 100,000, 150 MB each) is not kept for the others.
                parallel.cool()
                runs[source.id] = sr
                if f is not None:
                    fresh[source.id] = f
                    publisher.preload(source, f, stamp)
                if ok:
                    sr.outcome = "synced"
            return self._publish(run_id, runs, fresh, publisher, stamp)
        finally:
            parallel.cool()
            structlog.contextvars.unbind_contextvars("run")

    def _feed(self, source: SourceConfig) -> AbstractContextManager[mapvalidate.Feed | None]:
        """A register new to the state, in a run that rewrites the whole store, is mapped as
        it is paged (``mapvalidate.Feed``; it feeds the workers only once ``_expect`` started
        them)."""
        if not self.store.rebuilding() or self.state.count_records(source.id):
            return nullcontext()
        return mapvalidate.Feed(source, self.mapping_for(source), self.minter)

    def _expect(self, total: int) -> None:
        """A register names its size on its first page: a run that rewrites the whole store
        (a cold run) maps all of a big one on the workers, which start now, while the rest
        is harvested (their start took a third of a second after it)."""
        if total >= mapvalidate.MIN_RECORDS and self.store.rebuilding():
            parallel.warm("federator.mapvalidate")

    def _start(self, run_id_trigger: str) -> str:
        run_id = new_run_id()
        self.timeline = Timeline()
        structlog.contextvars.bind_contextvars(run=run_id)
        self.state.start_run(run_id, run_id_trigger, os.getpid())
        return run_id

    def _selected(self, source_ids: Sequence[str] | None) -> list[SourceConfig]:
        return [s for s in self.config.sources if not source_ids or s.id in source_ids]

    def _publisher(self) -> Publisher:
        """The run's publisher. When the publish will write every graph anew whatever the
        records say, the fresh store is begun now: each source's records go to it as soon as
        they are mapped, while the next source is harvested and the sources resolved."""
        publisher = Publisher(self.config, self.minter, self.state, self.store, self.timeline)
        if publisher.wants_rebuild():
            publisher.begin_rebuild()
        return publisher

    def _publish(
        self,
        run_id: str,
        runs: dict[str, SourceRun],
        fresh: dict[str, Fresh],
        publisher: Publisher,
        stamp: str,
    ) -> RunReport:
        """Publish, then record the run; a failed publish fails every source and keeps state."""
        index = _SearchIndex(self.config, self.state, self.timeline)
        try:
            plan = publisher.plan(runs, fresh, stamp)
            resolution = None
            started = time.perf_counter()
            if not plan.unchanged:
                with self.timeline.stage("resolve"):
                    resolution = resolve_sources(
                        plan.views,
                        self.config.resolve,
                        self.state,
                        plan.previous,
                        plan.canonicals,
                        plan.scope,
                    )
            for sr in runs.values():
                sr.durations["resolve"] = round(time.perf_counter() - started, 4)
            # Nothing resolved, no identity moved: the index needs no look at every one.
            prepare = functools.partial(index.prepare, resolution is None)
            publisher.publish(run_id, runs, plan, resolution, prepare)
        except Exception as exc:
            index.abandon()
            publisher.finish_preloads()  # nothing may still write to the store given up
            self.store.discard_pending()
            reason = (f"publish failed: {exc}", "publish")
            if _disk_full(exc):
                reason = _os_failure(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
            for sr in runs.values():
                if sr.outcome in ("synced", "running"):
                    sr.outcome, sr.error, sr.error_code = "failed", *reason
            self.log.error("publish.failed", error=repr(exc), trace=traceback.format_exc(limit=5))
            self._record_failure(run_id, runs)
            return RunReport(run_id, runs)
        finally:
            for f in fresh.values():  # the packed bodies' spools, written or not
                if f.packed is not None:
                    f.packed.close()
        for sr in runs.values():
            self.log.info("source.done", source=sr.source, outcome=sr.outcome, **sr.stats)
        index.swap()
        if self.config.publish:
            # Remote targets (and the optional dump) follow the local store; a target that is
            # down never fails the run.
            after_publish(self.config, self.store, self.state, run_id)
        self.state.prune(self.config.history.keep_runs)
        self._sweep_raw()
        # Stages overlap: their windows, and the run's own seconds, show where.
        self.log.info(
            "run.timeline", seconds=round(self.timeline.wall(), 3), **self.timeline.summary()
        )
        return RunReport(run_id, runs)

    def _record_failure(self, run_id: str, runs: dict[str, SourceRun]) -> None:
        """Write the failed run; on a full disk, give up the reserve to make room for it."""
        for attempt in (1, 2):
            try:
                with self.state.transaction() as db:
                    for sr in runs.values():
                        sr.ended = now()
                        self.state.write_source_run(db, sr)
                    self.state.end_run(db, run_id, "failed")
                return
            except Exception as exc:
                if attempt == 1 and _disk_full(exc) and self.reserve.release():
                    self.log.error("disk.full", note="the disk reserve was given up")
                    continue
                # Nothing can be written: the next start marks the run abandoned.
                self.log.error("run.unrecorded", error=repr(exc))
                return

    def _sweep_raw(self) -> None:
        """Remove the raw payloads no retained run refers to (``remap`` reads the newest
        synced run's, which is retained): ``raw/`` does not grow without end."""
        keep = self.config.history.keep_runs
        referenced = {
            d for s in self.config.sources for d in self.state.payload_digests(s.id, keep)
        }
        try:
            removed = self.raw.sweep(referenced)
        except OSError as exc:  # a payload kept too long never fails the run
            self.log.error("raw.sweep.failed", error=repr(exc))
            return
        if removed:
            self.log.info("raw.sweep", removed=removed)


class _SearchIndex:
    """The public site's search index follows what is published: prepared from the state's
    uncommitted writes while the store's last loads land, put in place once the state is
    committed. A stale index never fails the run; the next one tries again."""

    def __init__(self, config: Config, state: State, timeline: Timeline) -> None:
        self.config, self.state, self.timeline = config, state, timeline
        self.prepared: Prepared | None = None
        self.log = log.get("federator.run")

    def prepare(
        self, identities_kept: bool = False, at_hand: dict[str, list[dict[str, Any]]] | None = None
    ) -> None:
        try:
            with self.timeline.stage("search index"):
                self.prepared = prepare_search_index(
                    self.config, self.state, identities_kept=identities_kept, at_hand=at_hand
                )
        except Exception as exc:
            self.log.error("search.index.failed", error=repr(exc))

    def swap(self) -> None:
        """Put the prepared index in place, once its writing (finished on a thread of its
        own, beside the publish's commit) is done; the stage's window runs to its end."""
        if self.prepared is None:
            return
        try:
            updated = self.prepared.swap()
            self.log.info("search.index", how=updated.how, documents=updated.documents)
        except Exception as exc:  # an OSError, or SQLite's while it was finished
            self.log.error("search.index.failed", error=repr(exc))
        if self.prepared.finish_window is not None:
            self.timeline.mark("search index", *self.prepared.finish_window)
        self.prepared = None

    def abandon(self) -> None:
        if self.prepared is not None:
            self.prepared.abandon()
            self.prepared = None


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    # SQLite's SQLITE_FULL (13), and RocksDB's words for ENOSPC.
    if getattr(exc, "sqlite_errorcode", None) == 13:
        return True
    return "No space left on device" in str(exc)


def _os_failure(exc: OSError) -> tuple[str, str]:
    """A failed run's message and code for an error of the machine (not the register)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"the disk of data_dir is full ({exc.strerror}); nothing of this run was kept: "
            "free space (or raise the quota) and run again",
            "disk_full",
        )
    return f"internal error: {exc!r}", "internal"


__all__ = ["Federator", "RunReport", "source_organisation"]


_VERDICT_COUNTS = ("rejected", "warnings", "duplicates", "completeness")


def _same_input(harvested: Harvested, stamp: str, last: dict[str, Any] | None) -> bool:
    """Whether ``harvested`` is, byte for byte, what the last synced run (``last``) read (the
    same stored payloads, in order) and that run's records were made by the same mapping
    (``stamp``): then every digest in state is this run's (``mapvalidate.run``)."""
    if last is None or (last["stats"] or {}).get("mapping") != stamp:
        return False
    now = [p.sha256 for p in harvested.payloads]
    return (
        bool(now) and None not in now and now == [p.get("sha256") for p in last["payloads"] or []]
    )


def _count(
    sr: SourceRun,
    batch: mapvalidate.Batch,
    *,
    added: int,
    removed: int,
    warnings: int,
    same: int = 0,
) -> None:
    """The record counts of a mapped source; ``warnings`` carried besides this run's issues,
    ``same``: records mapped again that describe their registration as before (unchanged)."""
    new = len(batch.bodies)
    sr.stats.update(
        fetched=new + batch.rejected + len(batch.reused) + len(batch.duplicates),
        accepted=new + len(batch.reused),
        added=added,
        changed=new - added - same,
        unchanged=len(batch.reused) + same,
        removed=removed,
        rejected=batch.rejected,
        duplicates=len(batch.duplicates),
        warnings=warnings + sum(1 for i in sr.issues if i["severity"] == "warning"),
    )
