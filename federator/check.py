"""``federator check``: try a source's mapping without publishing anything.

Fetches each (or the named) source, or reads its stored payloads when the fetch fails, maps and
validates every record, and says per field how many records filled it, with a few sample
values, every key of the mapping whose path matched nothing, and why records were rejected.
Nothing is written to the state or the store: it is the quick loop when writing a mapping.
"""

from __future__ import annotations

import tempfile
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from federator.config import Config, SourceConfig
from federator.errors import FederatorError
from federator.harvest import Harvested, Payload, harvest, replay
from federator.harvest.http import HttpClient, public_url
from federator.harvest.rawstore import RawStore
from federator.map import spec
from federator.map.mapper import map_records, raw_records, unmatched
from federator.state import State
from federator.validate import validate
from federator.vocab import Minter

SAMPLES = 3  # sample values shown per field
SAMPLE_WIDTH = 60


@dataclass
class FieldCount:
    name: str
    filled: int = 0
    samples: list[str] = field(default_factory=list)


@dataclass
class SourceCheck:
    """What checking one source found."""

    source: str
    mapping: str = ""
    read_from: str = ""
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    rejected_ids: list[str] = field(default_factory=list)
    fields: list[FieldCount] = field(default_factory=list)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None and self.accepted > 0


def check(cfg: Config, source_ids: Sequence[str] | None = None) -> list[SourceCheck]:
    """Check every (or the named) source; nothing is published or stored."""
    client = HttpClient.from_settings(cfg.harvest)
    minter = Minter(cfg.base_iri)
    out = []
    with tempfile.TemporaryDirectory(prefix="federator-check-") as scratch:
        fetched = RawStore(Path(scratch))
        for source in cfg.sources:
            if source_ids and source.id not in source_ids:
                continue
            out.append(check_source(cfg, source, client, fetched, minter))
    return out


def check_source(
    cfg: Config, source: SourceConfig, client: HttpClient, fetched: RawStore, minter: Minter
) -> SourceCheck:
    result = SourceCheck(source.id)
    try:
        mapping = spec.load(source.mapping or spec.builtin_path(source.format))
    except FederatorError as exc:
        result.error = exc.message
        return result
    result.mapping = str(mapping.path)
    harvested = _read(cfg, source, client, fetched, result)
    if harvested is None:
        return result
    result.notes += [n.get("message_en") or str(n) for n in harvested.notes]
    try:
        raw = raw_records(harvested, mapping)
        mapped = map_records(source, Harvested(source.id, [], records=raw), mapping, minter)
    except FederatorError as exc:
        result.error = exc.message
        return result
    verdict = validate(mapped.records, mapping)
    result.records = len(raw)
    result.accepted, result.rejected = len(verdict.accepted), len(verdict.rejected)
    for rec, issues in verdict.rejected:
        result.reasons.update(i["code"] for i in issues if i["severity"] == "error")
        if rec is not None and len(result.rejected_ids) < 10:
            result.rejected_ids.append(rec.native_id)
    for f in mapping.fields:
        count = FieldCount(f.name)
        for rec in mapped.records:
            if f.name not in rec.statements:
                continue
            count.filled += 1
            if len(count.samples) < SAMPLES:
                text = _sample(rec.values.get(f.name))
                if text and text not in count.samples:
                    count.samples.append(text)
        result.fields.append(count)
    result.unmatched = [{**u, "own": u["key"] in mapping.own} for u in unmatched(raw, mapping)]
    if result.records and not result.accepted:
        result.error = f"every one of the {result.records} records was rejected"
    elif not result.records:
        result.error = "the register gave no records"
    return result


def _read(
    cfg: Config, source: SourceConfig, client: HttpClient, fetched: RawStore, result: SourceCheck
) -> Harvested | None:
    """The source's records: fetched now, else its last run's stored payloads."""
    try:
        harvested = harvest(source, client, fetched)
        result.read_from = f"fetched {public_url(source.url)}"
        return harvested
    except FederatorError as exc:
        problem = exc.message
    try:
        state = State(cfg.data_dir)
        try:
            stored = [Payload(**p) for p in state.last_payloads(source.id)]
        finally:
            state.close()
        if stored:
            harvested = replay(source, stored, RawStore(cfg.data_dir))
            result.read_from = f"stored payloads of the last run (fetching failed: {problem})"
            return harvested
    except (FederatorError, OSError) as exc:
        problem += f"; the stored payloads could not be read either: {exc}"
    result.error = problem
    return None


def _sample(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(_sample(v) for v in value[:3])
    elif isinstance(value, dict):
        value = next((str(v) for v in value.values()), "")
    text = " ".join(str(value).split())
    return text if len(text) <= SAMPLE_WIDTH else text[: SAMPLE_WIDTH - 1] + "…"


def write(results: list[SourceCheck], out: TextIO) -> None:
    """The report, in words: a block per source."""
    for r in results:
        out.write(f"source {r.source}" + (f" (mapping {r.mapping})" if r.mapping else "") + "\n")
        if r.read_from:
            out.write(f"  read: {r.read_from}\n")
        for note in r.notes:
            out.write(f"  note: {note}\n")
        if r.records:
            out.write(f"  records: {r.records}, accepted {r.accepted}, rejected {r.rejected}\n")
            if r.reasons:
                why = ", ".join(f"{code} {n}" for code, n in r.reasons.most_common())
                out.write(f"  rejected because: {why} (e.g. {', '.join(r.rejected_ids[:5])})\n")
            width = max([len(f.name) for f in r.fields] + [5])
            out.write(f"  {'field':<{width}}  records  samples\n")
            for f in r.fields:
                if not f.filled:
                    continue
                samples = "; ".join(f"'{s}'" for s in f.samples)
                out.write(f"  {f.name:<{width}}  {f.filled:>7}  {samples}\n")
            listed = {u["key"] for u in r.unmatched}
            empty = [f.name for f in r.fields if not f.filled and f"fields.{f.name}" not in listed]
            if empty:
                out.write(f"  fields no record filled (values all empty): {', '.join(empty)}\n")
        own = [u for u in r.unmatched if u.get("own")]
        inherited = [u["key"] for u in r.unmatched if not u.get("own")]
        if own:
            out.write("  keys of this mapping file that matched nothing in any record:\n")
            for u in own:
                out.write(f"    {u['key']} reads {', '.join(u['paths'])}  ({u['where']})\n")
        if inherited:
            out.write(
                f"  keys of the files it extends that matched nothing ({len(inherited)}; the "
                "register does not have these fields, or names them otherwise: rename them):\n"
            )
            out.write(
                textwrap.fill(
                    ", ".join(inherited), 96, initial_indent="    ", subsequent_indent="    "
                )
                + "\n"
            )
        out.write(f"  => {'mapping usable' if r.usable else 'NOT usable: ' + (r.error or '')}\n\n")


def exit_code(results: list[SourceCheck]) -> int:
    return 0 if all(r.usable for r in results) else 1
