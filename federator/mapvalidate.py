"""A source's record work: the map stage, then the validate stage, part by part.

A registration whose content digest is the one in state is not mapped again: that is worked
out here first, from the raw records (``map.changed``). The rest are split by native id (so
the language copies and duplicates of one registration stay together) into parts of about
``PART`` records. Each part goes through ``map_raw`` and then ``validate`` and is turned
into record bodies: in this process when they are few (starting a worker costs more), else on
``parallel.WORKERS`` processes, which run the same ``part_step``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from federator import collector, parallel
from federator.codec import pack_body
from federator.config import SourceConfig
from federator.errors import SourceError
from federator.map import spec
from federator.map.mapper import (
    digests_by_native,
    map_raw,
    native_id_of,
    natives_of,
    raw_records,
    record_body,
    source_organisation,
    unmatched,
    unmatched_issues,
)
from federator.validate import issue, validate
from federator.vocab import Minter

if TYPE_CHECKING:  # not at run time: a mapping worker has no use for the HTTP client
    from federator.harvest import Harvested

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


class Feed:
    """A big register's records handed to the workers part by part while it is still being
    paged: a cold run's national register (20,000 registrations, 200 pages) kept its two
    workers waiting for the whole harvest, while paging used one core. Only a register
    with nothing in state is fed (every record is mapped then; none is compared), and only
    while the workers are warm (``parallel.warm``: the register named its size).

    Only the register API's paging feeds it (``harvest``'s ``feed``): a document arrives
    whole. Each part is a run of records in the harvest's order; a registration's copies must
    be in one part, so a native id met again in a later part (a register that pages its
    language copies apart) stops the feed, and ``run`` maps the whole harvest the usual way.
    A part that fails says so when the results are read, after the paging."""

    def __init__(self, source: SourceConfig, mapping: spec.Mapping, minter: Minter) -> None:
        self.source, self.mapping, self.minter = source, mapping, minter
        self.org = source_organisation(source, minter)[1]
        self.records: list[dict[str, Any]] | None = None  # the harvest's list, as it grows
        self.sent = 0  # the records handed out: the first ``sent`` of the harvest
        self.natives: set[str] = set()
        self.parts: parallel.Parts[Batch] | None = None
        self.broken = False
        self.first_sent: float | None = None  # perf_counter: the workers' mapping began

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc: object) -> None:
        parts, self.parts = self.parts, None
        if parts is not None:  # the parts not begun are dropped (none after ``results``)
            parts.__exit__(*exc)

    def stop(self) -> None:
        """Hand out nothing more, and drop the parts not queued yet (the few a worker has
        taken, or that wait next in line for one, still run: whatever replaces the feed's
        work waits for them)."""
        self.broken, self.records = True, None
        self.__exit__(None, None, None)

    def take(self, records: list[dict[str, Any]]) -> None:
        """The harvest's records so far (the same list each time, grown by a page)."""
        if self.broken or not parallel.warmed():
            return
        self.records = records
        while not self.broken and len(records) - self.sent >= PART:
            self._send(records[self.sent : self.sent + PART])

    def _send(self, chunk: list[dict[str, Any]]) -> None:
        natives = {native_id_of(r, self.mapping, self.org) for r in chunk}
        if not self.natives.isdisjoint(natives):
            self.stop()
            return
        self.natives |= natives
        if self.parts is None:
            self.first_sent = time.perf_counter()
            self.parts = parallel.Parts(part_step, self.source, self.mapping.path, self.minter.base)
        self.parts.add((chunk, list(range(self.sent, self.sent + len(chunk)))))
        self.sent += len(chunk)

    def send_rest(self, records: list[dict[str, Any]]) -> bool:
        """Hand out the rest of the whole harvest ``records``; False when the feed sent
        nothing, had to stop, or ``records`` is not the list it was fed (only the changed
        records of a harvest compared with state): ``run`` maps them the usual way then."""
        rest = records[self.sent :]
        fed, self.records = self.records, None  # the workers have them now
        if (
            self.parts is None
            or self.broken
            or not parallel.warmed()
            or records is not fed
            or not self.natives.isdisjoint(native_id_of(r, self.mapping, self.org) for r in rest)
        ):
            self.stop()
            return False
        positions = list(range(self.sent, self.sent + len(rest)))
        for part in _parts(rest, positions, self.mapping, self.org):
            if part[0]:
                self.parts.add(part)
        return True

    def results(self) -> Batch:
        """Every part's result, as one batch (after ``send_rest``)."""
        assert self.parts is not None
        return _merged(self.parts.results())


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


def part_step(path: Path, source: SourceConfig, mapping_path: Path, base_iri: str) -> Batch:
    """A worker's part: (records, positions) as ``parallel.Parts`` wrote it, grouped by
    native id and no bigger than a batch.

    The garbage collector is off while it runs: the part's records and what is made of them
    live until it is done, and none of it is in a reference cycle (``tests/map/test_golden``
    checks), so the collector's passes over them found nothing, in a tenth of the part's
    time. What the part leaves is freed as its last reference goes, as always."""
    with collector.paused():
        records, positions = parallel.load_part(path)
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
    part.sort()  # the source's order, as map_raw expects it
    started = time.perf_counter()
    mapped = map_raw(
        source,
        [records[i] for i in part],
        mapping,
        minter,
        positions=[positions[i] if positions is not None else i for i in part],
    )
    mapped_at = time.perf_counter()
    verdict = validate(mapped.records, mapping)  # the validate stage, on what map made
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
    *,
    same_input: bool = False,
    feed: Feed | None = None,
) -> Batch:
    """Map and validate a harvest's changed records (``digests``: native id -> digest in
    state), split over ``WORKERS`` processes when they are many.

    ``same_input``: the caller knows that this harvest is, byte for byte, what the run that
    left ``digests`` read (the same payloads, in order), and that the mapping stamp is that
    run's: every registration in ``digests`` then has the digest it has there, and is reused
    without working its digest out (0.1 s of a no-change run at 20,000). Registrations not
    in ``digests`` (rejected then) are mapped and validated again, as in every run."""
    records = raw_records(harvested, mapping)
    harvested.document = harvested.sheets = None
    _, org_name = source_organisation(source, minter)
    check_started = time.perf_counter()
    # An operator's mapping file that reads nothing is said in the harvest log, by its key
    # and line (the built-in mapping of a format reads what the standard has, or not).
    matched_nothing = (
        unmatched_issues(unmatched(records, mapping, own_only=True), mapping)
        if source.mapping is not None
        else []
    )
    total = len(records)
    reused: list[str] = []
    positions: list[int] | None = None
    if digests:
        # Which registrations changed is known from their digests alone: worked out here, so
        # that only changed ones are mapped, and a run where few changed starts no worker
        # (a no-change run at 20,000 took 4.1 s with them, 3.3 s without).
        positions = []
        grouped: Mapping[str, tuple[str | None, list[int]]]
        if same_input:
            grouped = {
                native: (digests.get(native), members)
                for native, members in natives_of(records, mapping, org_name).items()
            }
        else:
            grouped = digests_by_native(source, records, mapping, org_name)
        for native, (digest, members) in grouped.items():
            if digest is not None and digests.get(native) == digest:
                reused.append(native)
            else:
                positions += members
        positions.sort()
        records = [records[i] for i in positions]
    check_seconds = time.perf_counter() - check_started
    # What is left to map is in ``records``: the harvest's are released (at 100,000
    # registrations they are a gigabyte).
    harvested.records = []
    sample = records[:SAMPLE]  # what a failure below is explained by
    if feed is not None and feed.send_rest(records):
        del records  # handed out to the workers (at 100,000, a gigabyte)
        result = feed.results()
    elif len(records) < MIN_RECORDS or parallel.WORKERS < 2:
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
    result.issues = matched_nothing + result.issues
    if result.rejected and not result.bodies and not result.reused:
        raise all_rejected(source, mapping, result, total, sample)
    return result


SAMPLE = 200
# The mapping keys that feed what each rejection reason found missing.
_KEYS_OF = {
    "missing_name": ("fields.name", "records.fields.name"),
    "missing_identifier": (
        "identity.source_id",
        "identity.lars",
        "records.fields.source_id",
        "records.fields.lars",
    ),
    "missing_organisation": (
        "identity.organisation",
        "identity.organisation_code",
        "records.fields.organization",
        "records.fields.org_id",
    ),
}


def all_rejected(
    source: SourceConfig,
    mapping: spec.Mapping,
    batch: Batch,
    total: int,
    sample: list[dict[str, Any]],
) -> SourceError:
    """The failure of a source whose every record was rejected: a mapping that reads the
    wrong names, far more likely than a register without one good record. It says why the
    records were rejected and which keys of the mapping matched nothing."""
    reasons = Counter(i["code"] for i in batch.issues if i["severity"] == "error")
    why = ", ".join(f"{code} ({n})" for code, n in reasons.most_common(3))
    relevant = {k for code in reasons for k in _KEYS_OF.get(code, ())}
    found = sorted(
        unmatched(sample, mapping),
        key=lambda u: (u["key"] not in relevant, u["key"] not in mapping.own),
    )
    keys = "; ".join(f"{u['key']} ({u['where']}) reads {', '.join(u['paths'])}" for u in found[:4])
    seen = sorted({k for r in sample for k in r})[:12]
    return SourceError(
        f"source {source.id!r}: every one of its {total} records was rejected ({why}); "
        f"the mapping {mapping.path} is likely wrong"
        + (f": nothing matched {keys}" if keys else "")
        + f". The register's records have the keys: {', '.join(map(str, seen))}. Nothing of "
        f"this run was published; the last good graph stays. See 'federator check --source "
        f"{source.id}'",
        code="all_rejected",
    )


def _parts(
    records: list[dict[str, Any]], positions: list[int] | None, mapping: spec.Mapping, org: str
) -> list[Part]:
    """About ``PART`` records each, a registration's copies always in the same part."""
    count = max(parallel.WORKERS, -(-len(records) // PART))
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
    """Each part in a worker process (``part_step``); the parts are released as they go."""
    return _merged(parallel.run(part_step, parts, source, mapping.path, minter.base))


def _merged(batches: list[Batch]) -> Batch:
    """The workers' parts as one batch, the bodies in the harvest's order."""
    result = Batch()
    for batch in batches:
        result.merge(batch)
    # The parts ran on WORKERS processes side by side: the stages took about this long.
    result.seconds = {stage: s / parallel.WORKERS for stage, s in result.seconds.items()}
    result.bodies.sort(key=lambda b: b["position"])
    return result
