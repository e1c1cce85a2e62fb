"""Map a harvest: its raw records grouped by native id, each group's content digest, and each
record mapped through a ``Mapping`` into per-field triples about a source description.

The parts live beside this module (``raw``: the records of a harvest; ``identity``: native
ids; ``plan``: a mapping's fields worked out once; ``values``: fields applied to values;
``nt``: the statements' terms; ``organisation``; ``record``: the mapped record and its body in
state; ``unmatched``): what other modules use is importable from here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from federator import codec, versions
from federator.config import SourceConfig
from federator.map import nt, plan, transforms
from federator.map.identity import first_value, identity_text, native_id, native_id_of, renamed
from federator.map.organisation import record_organisation, source_organisation
from federator.map.raw import raw_records
from federator.map.record import MappedRecord, record_body, same_description
from federator.map.spec import Mapping
from federator.map.unmatched import unmatched, unmatched_issues
from federator.map.values import (
    by_language,
    each_triples,
    field_triples,
    field_value,
    identity_triples,
    is_lang,
)
from federator.vocab import Minter

if TYPE_CHECKING:  # not at run time: a mapping worker has no use for the HTTP client
    from federator.harvest import Harvested

__all__ = [
    "MapResult",
    "MappedRecord",
    "digests_by_native",
    "map_records",
    "map_raw",
    "mapping_stamp",
    "native_id_of",
    "natives_of",
    "raw_records",
    "record_body",
    "same_description",
    "source_organisation",
    "unmatched",
    "unmatched_issues",
]


@dataclass
class MapResult:
    records: list[MappedRecord]  # mapped now (new or changed)
    duplicates: list[tuple[str, int]]  # (native id, position) dropped as repeats
    organisation: str  # the source's own organisation IRI (catalogue publisher)
    organisation_name: str


# What every record digest also covers besides the mapping file: the mapping code's version
# and the data it reads (``versions``), so that records an older federator mapped are mapped
# again when, and only when, those change. Kept in this module, beside the digests that read
# it: a test stands in for a new release by setting ``mapper._CODE_DIGEST``.
_CODE_DIGEST = hashlib.sha256(versions.mapping_key().encode("utf-8")).hexdigest()


def map_records(
    source: SourceConfig,
    harvested: Harvested,
    mapping: Mapping,
    minter: Minter,
    positions: list[int] | None = None,
) -> MapResult:
    """Map every raw record, grouped by native id: the first wins, other-language copies merge.
    Each record gets its registration's content digest (``digests_by_native`` works the same
    out without mapping, to tell which registrations changed)."""
    return map_raw(source, raw_records(harvested, mapping), mapping, minter, positions)


def map_raw(
    source: SourceConfig,
    raw: list[dict[str, Any]],
    mapping: Mapping,
    minter: Minter,
    positions: list[int] | None = None,
) -> MapResult:
    """``map_records`` of the raw records of a harvest (``raw_records``)."""
    src_org, src_org_name = source_organisation(source, minter)
    result = MapResult([], [], src_org, src_org_name)
    start = _digest_start(_digest_prefix(source, mapping))
    for native, group in _groups(raw, mapping, src_org_name, positions).items():
        digest = _digest_from(start, [record for _, record in group])
        first: MappedRecord | None = None
        for pos, record in group:
            rec = _map_one(source, record, mapping, minter, src_org, src_org_name, pos, native)
            if first is None:
                first = rec
            elif first.lang != rec.lang:
                # The same registration in another language (the register's ENG copy): one
                # record, with texts in both languages; the Dutch copy leads.
                if rec.lang == "nl":
                    rec.position = first.position
                    first, rec = rec, first
                _merge_language(first, rec)
            else:
                result.duplicates.append((native, pos))
        assert first is not None
        first.digest = digest
        result.records.append(first)
    return result


def natives_of(
    raw: list[dict[str, Any]], mapping: Mapping, src_org_name: str
) -> dict[str, list[int]]:
    """Where each native id's raw records are, in order, as ``map_records`` groups them."""
    where: dict[str, list[int]] = {}
    for i, record in enumerate(raw):
        where.setdefault(native_id_of(record, mapping, src_org_name), []).append(i)
    return where


def digests_by_native(
    source: SourceConfig, raw: list[dict[str, Any]], mapping: Mapping, src_org_name: str
) -> dict[str, tuple[str, list[int]]]:
    """Each native id's content digest and where its raw records are, as ``map_records``
    groups and digests them: enough to tell which registrations changed without mapping."""
    where = natives_of(raw, mapping, src_org_name)
    start = _digest_start(_digest_prefix(source, mapping))
    # Renamed one registration at a time: a renamed copy of the whole harvest is a gigabyte.
    return {
        native: (_digest_from(start, [renamed(raw[i], mapping) for i in members]), members)
        for native, members in where.items()
    }


def mapping_stamp(source: SourceConfig, mapping: Mapping) -> str:
    """Short for what makes the records of a harvest: the mapping file (and those it extends),
    the mapping code's version and the source's settings. A run whose stamp differs from the
    last one's maps the stored payloads again, even when the register answers 304."""
    return hashlib.sha256(_digest_prefix(source, mapping)).hexdigest()[:16]


def _digest_prefix(source: SourceConfig, mapping: Mapping) -> bytes:
    """What every digest also covers: the mapping code's version, the mapping file, and the
    source's settings that change what its records map to (a register's organisation, whether
    it is that organisation's own, its language) or what they are read from (a named
    encoding: said only when set, so that the digests of every other source stay as they were)."""
    settings = f"{source.organisation}\0{source.own_register}\0{source.language}"
    if source.encoding:
        settings += f"\0{source.encoding}"
    return (_CODE_DIGEST + mapping.digest + settings).encode("utf-8")


def _groups(
    raw: list[dict[str, Any]], mapping: Mapping, src_org_name: str, positions: list[int] | None
) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Raw records (renamed by the mapping) with their positions, by native id, in order."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, record in enumerate(raw):
        pos = positions[i] if positions is not None else i
        record = renamed(record, mapping)
        groups.setdefault(native_id(record, mapping, src_org_name), []).append((pos, record))
    return groups


def _digest_start(prefix: bytes) -> hashlib._Hash:
    """The hash of what every digest starts with, that ``_digest_from`` goes on from (for
    each of a register's 20,000 registrations: hashed once, not copied and hashed again)."""
    return hashlib.sha256(prefix)


def _digest_from(start: hashlib._Hash, records: list[dict[str, Any]]) -> str:
    """A registration's content digest: SHA-256 of the prefix, then its records as
    canonical JSON (sorted keys)."""
    hasher = start.copy()
    hasher.update(codec.dumps(records, sort_keys=True))
    return hasher.hexdigest()


def _merge_language(first: MappedRecord, other: MappedRecord) -> None:
    """Add the language-tagged texts of ``other`` to ``first``."""
    for name, triples in other.statements.items():
        texts = [t for t in triples if nt.language(t[2]) == other.lang]
        if texts:
            kept = first.statements.setdefault(name, [])
            kept += [t for t in texts if t not in kept]


def _record_language(record: dict[str, Any], mapping: Mapping, given: str) -> str:
    """The record's language: ``given`` (its own field, else its source's), unless its name
    is only in other languages, when the first of those (so that nothing is labelled with a
    language it is not in)."""
    spec = mapping.field("name")
    raw = first_value(record, spec.sources) if spec else None
    items = raw if isinstance(raw, list) else [raw]
    tags = [nt.tag_of(v, given) for v in items if isinstance(v, dict) and "@value" in v]
    if not tags or given in tags or any(not is_lang(v) for v in items):
        return given
    return tags[0]


def _map_one(
    source: SourceConfig,
    record: dict[str, Any],
    mapping: Mapping,
    minter: Minter,
    src_org: str,
    src_org_name: str,
    pos: int,
    native: str,
) -> MappedRecord:
    ident = {k: identity_text(first_value(record, names)) for k, names in mapping.identity.items()}
    org_iri, org_name, foreign = record_organisation(source, ident, src_org, src_org_name, minter)
    subject = minter.description(source.id, native)
    lang_ctx = transforms.Context("lang")
    given = transforms.language(ident.get("lang"), lang_ctx) or source.language or "nl"
    lang = _record_language(record, mapping, given)
    rec = MappedRecord(
        source=source.id,
        native_id=native,
        subject=subject,
        identity=ident,
        organisation=org_iri,
        organisation_name=org_name,
        values={},
        lang=lang,
        position=pos,
    )
    if foreign:  # kept as the register's own; its agency reads why in the harvest log
        rec.warnings.append(("organization", "foreign_organisation", foreign))
    s = nt.iri(subject)
    statements, values = rec.statements, rec.values
    statements["_identity"] = identity_triples(s, ident, org_iri, org_name)
    # One context for the record's fields, named for each in turn: its warnings name their
    # field, so that none is taken for another field's.
    ctx = transforms.Context("")
    for field in plan.plans(mapping).present(record):
        ctx.field = name = field.name
        if field.constant is not None:
            raw = field.constant
        else:
            raw = first_value(record, field.sources)
            if raw is None:
                raw = field.default
                if raw is None:
                    continue
        if field.each:
            triples, kept = each_triples(field, raw, s, lang, org_name, ctx)
            if triples:
                statements[name] = triples
                values[name] = kept
        else:
            triples = []
            for tag, part in by_language(raw, lang, field.multi):
                value = field_value(field, part, ctx)
                if value is None:
                    continue
                if tag == lang or name not in values:
                    values[name] = value
                triples += field_triples(field, s, value, tag, org_name, "", ctx)
            if triples:
                statements[name] = triples
    rec.warnings += ctx.warnings
    return rec
