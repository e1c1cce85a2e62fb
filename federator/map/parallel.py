"""Map and validate a source's changed records, on every core when they are many.

A registration whose content digest is the one in state is not mapped again: that is worked
out here first, from the raw records. The rest are split by native id (so the language copies
and duplicates of one registration stay together) into parts of about ``PART`` records, which
go to ``WORKERS`` processes through pickle files; each part is mapped, validated and turned
into record bodies there. A few records stay in this process: starting a worker costs more.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federator.codec import pack_body
from federator.config import SourceConfig
from federator.harvest import Harvested
from federator.map import spec
from federator.map.mapper import (
    digests_by_native,
    map_records,
    native_id_of,
    record_body,
    records_from_graph,
    source_organisation,
)
from federator.vocab import Minter

WORKERS = min(2, os.cpu_count() or 1)
MIN_RECORDS = 4000  # below this, one process is faster than starting workers
BATCH = 5000  # records mapped and validated at a time in this process
# Records per worker task. A worker holds one part at a time: with one part per worker, each
# held half the harvest and all its bodies until the end (about 800 MB each at 100,000,
# read off the process tree during a bench run).
PART = BATCH


Part = tuple[list[dict[str, Any]], list[int]]  # raw records, and their places in the harvest


@dataclass
class Batch:
    """What mapping and validating (part of) a source produced."""

    bodies: list[dict[str, Any]] = field(default_factory=list)  # accepted, newly mapped
    issues: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # native ids: unchanged, previous body stands
    # Native id -> the body as state stores it, made where the body was (in the workers, at
    # scale): serialising in the parent was 1.8 s of a 20,000 run's publish.
    packed: dict[str, bytes] = field(default_factory=dict)
    rejected: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def merge(self, other: Batch) -> None:
        """Another part of the work: records, counts and seconds add up."""
        self.bodies += other.bodies
        self.issues += other.issues
        self.duplicates += other.duplicates
        self.reused += other.reused
        self.packed.update(other.packed)
        self.rejected += other.rejected
        for stage, s in other.seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + s


def map_and_validate(
    source: SourceConfig,
    records: list[dict[str, Any]],
    mapping: spec.Mapping,
    minter: Minter,
    positions: list[int] | None = None,
) -> Batch:
    """Map, validate and make bodies of ``records`` in this process, ``BATCH`` records at a
    time (a registration's copies together), so that only the bodies are held, not every
    mapped record besides. ``positions`` are the records' places in the harvest, when they
    are not all of it."""
    _, org_name = source_organisation(source, minter)
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        groups.setdefault(native_id_of(record, mapping, org_name), []).append(i)
    result, part = Batch(), []
    for members in groups.values():
        part += members
        if len(part) >= BATCH:
            result.merge(_map_part(source, records, positions, part, mapping, minter))
            part = []
    if part or not result.seconds:
        result.merge(_map_part(source, records, positions, part, mapping, minter))
    return result


def _map_file(source: SourceConfig, path: Path, mapping_path: Path, base_iri: str) -> Batch:
    """A worker's part: (records, positions) as ``_map_on_workers`` pickled it, grouped by
    native id and no bigger than a batch."""
    records, positions = pickle.loads(path.read_bytes())
    mapping, minter = spec.load(mapping_path), Minter(base_iri)
    everything = list(range(len(records)))
    return _map_part(source, records, positions, everything, mapping, minter)


def _map_part(
    source: SourceConfig,
    records: list[dict[str, Any]],
    positions: list[int] | None,
    part: list[int],
    mapping: spec.Mapping,
    minter: Minter,
) -> Batch:
    from federator.validate import issue, validate

    part.sort()  # the source's order, as map_records expects it
    started = time.perf_counter()
    mapped = map_records(
        source,
        Harvested(source.id, [], records=[records[i] for i in part]),
        mapping,
        minter,
        positions=[positions[i] if positions is not None else i for i in part],
    )
    mapped_at = time.perf_counter()
    verdict = validate(mapped.records, mapping)
    warnings_of: dict[str, list[dict[str, Any]]] = {}
    for i in verdict.issues:
        if i["severity"] == "warning":
            warnings_of.setdefault(i["native_id"], []).append(i)
    bodies = [record_body(r, warnings_of.get(r.native_id, [])) for r in verdict.accepted]
    packed = {b["native_id"]: pack_body(b) for b in bodies}
    dupes = [
        issue(None, "duplicate_id", mapping, "source_id", native_id=n) for n, _ in mapped.duplicates
    ]
    return Batch(
        bodies=bodies,
        issues=verdict.issues + dupes,
        duplicates=mapped.duplicates,
        packed=packed,
        rejected=len(verdict.rejected),
        seconds={"map": mapped_at - started, "validate": time.perf_counter() - mapped_at},
    )


def run(
    source: SourceConfig,
    harvested: Harvested,
    mapping: spec.Mapping,
    minter: Minter,
    digests: dict[str, str],
) -> Batch:
    """Map and validate a harvest's changed records (``digests``: native id -> digest in
    state), split over ``WORKERS`` processes when they are many."""
    records = harvested.records
    if harvested.graph is not None:
        records = records_from_graph(harvested.graph, mapping)
    _, org_name = source_organisation(source, minter)
    check_started = time.perf_counter()
    reused: list[str] = []
    positions: list[int] | None = None
    if digests:
        # Which registrations changed is known from their digests alone: worked out here, so
        # that only changed ones are mapped, and a run where few changed starts no worker
        # (a no-change run at 20,000 took 4.1 s with them, 3.3 s without).
        positions = []
        for native, (digest, members) in digests_by_native(records, mapping, org_name).items():
            if digests.get(native) == digest:
                reused.append(native)
            else:
                positions += members
        positions.sort()
        records = [records[i] for i in positions]
    check_seconds = time.perf_counter() - check_started
    # What is left to map is in ``records``: the harvest's are released (at 100,000
    # registrations they are a gigabyte).
    harvested.records = []
    if len(records) < MIN_RECORDS or WORKERS < 2:
        result = map_and_validate(source, records, mapping, minter, positions)
    else:
        parts = _parts(records, positions, mapping, org_name)
        # The parts hold the records now, and each is released once written out for its
        # worker (ProcessPoolExecutor would keep every call's arguments until its result is
        # back; multiprocessing.Pool would hang if a worker died).
        del records
        result = _map_on_workers(source, parts, mapping, minter)
    result.reused += reused
    result.seconds["map"] = result.seconds.get("map", 0.0) + check_seconds
    return result


def _parts(
    records: list[dict[str, Any]], positions: list[int] | None, mapping: spec.Mapping, org: str
) -> list[Part]:
    """About ``PART`` records each, a registration's copies always in the same part."""
    count = max(WORKERS, -(-len(records) // PART))
    parts: list[Part] = [([], []) for _ in range(count)]
    owner: dict[str, int] = {}
    for i, record in enumerate(records):
        part = owner.setdefault(native_id_of(record, mapping, org), len(owner) % count)
        parts[part][0].append(record)
        parts[part][1].append(positions[i] if positions is not None else i)
    return parts


def _map_on_workers(
    source: SourceConfig, parts: list[Part], mapping: spec.Mapping, minter: Minter
) -> Batch:
    """Each part in a worker process; each part is released here once it is written out."""
    result = Batch()
    context = multiprocessing.get_context("spawn")  # never fork a process holding a store
    with (
        tempfile.TemporaryDirectory(prefix="federator-map-") as tmp,
        ProcessPoolExecutor(WORKERS, mp_context=context) as pool,
    ):
        futures = []
        for i in range(len(parts)):
            path = Path(tmp) / f"part-{i}.pickle"
            path.write_bytes(pickle.dumps(parts[i], protocol=pickle.HIGHEST_PROTOCOL))
            parts[i] = ([], [])  # released here once written
            futures.append(pool.submit(_map_file, source, path, mapping.path, minter.base))
        try:
            for future in futures:
                result.merge(future.result())
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # the source fails now, not 20 parts on
            raise
    # The parts ran on WORKERS processes side by side: the stage took about this long.
    result.seconds = {stage: s / WORKERS for stage, s in result.seconds.items()}
    result.bodies.sort(key=lambda b: b["position"])
    return result
