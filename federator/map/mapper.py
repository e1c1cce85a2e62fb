"""Apply a ``Mapping`` to raw records, producing per-field triples about a source description."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.term import Node

from federator import codec, orgs
from federator.config import SourceConfig
from federator.harvest import Harvested
from federator.map import transforms
from federator.map.spec import FieldSpec, Mapping
from federator.vocab import DCTERMS, REG, VCARD, Minter

Triple = tuple[Node, Node, Node]
_TRUE, _FALSE = Literal(True), Literal(False)


@dataclass
class MappedRecord:
    """One registration of one source, mapped. ``fields`` holds the triples per field."""

    source: str
    native_id: str
    subject: str  # the source-scoped description IRI
    identity: dict[str, str | None]  # lars, source_id, url, website, modified, ...
    organisation: str  # organisation IRI
    organisation_name: str
    values: dict[str, Any]  # transformed values per field, for resolution and reports
    fields: dict[str, list[Triple]] = field(default_factory=dict)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (field, code, value)
    lang: str = "nl"
    position: int = 0  # order in the source document
    digest: str = ""  # hash of the normalised source record

    def title(self) -> str:
        return str(self.values.get("name") or "")

    def triples(self) -> list[Triple]:
        seen: set[Triple] = set()
        out: list[Triple] = []
        for ts in self.fields.values():
            for t in ts:
                if t not in seen:
                    seen.add(t)
                    out.append(t)
        return out


@dataclass
class MapResult:
    records: list[MappedRecord]  # mapped now (new or changed)
    duplicates: list[tuple[str, int]]  # (native id, position) dropped as repeats
    organisation: str  # the source's own organisation IRI (catalogue publisher)
    organisation_name: str


def source_organisation(source: SourceConfig, minter: Minter) -> tuple[str, str]:
    """The register's publisher: configured IRI/code/name, else minted from the title."""
    if source.organisation:
        iri = orgs.resolve(source.organisation)
        if iri:
            hit = orgs.lookup(source.organisation)
            return iri, hit[1] if hit else source.organisation
        return minter.organisation(orgs.normalise_name(source.organisation)), source.organisation
    return minter.organisation(orgs.normalise_name(source.title)), source.title


def code_digest() -> str:
    """Changes when the mapping code changes, so records mapped by older code are re-mapped."""
    here = Path(__file__).resolve().parent
    text = b"".join((here / n).read_bytes() for n in ("mapper.py", "transforms.py", "spec.py"))
    return hashlib.sha256(text).hexdigest()


_CODE_DIGEST = code_digest()


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
    raw = harvested.records
    if harvested.graph is not None:
        raw = records_from_graph(harvested.graph, mapping)
    src_org, src_org_name = source_organisation(source, minter)
    result = MapResult([], [], src_org, src_org_name)
    prefix = _digest_prefix(mapping)
    for native, group in _groups(raw, mapping, src_org_name, positions).items():
        digest = _digest(prefix, [record for _, record in group])
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


def digests_by_native(
    raw: list[dict[str, Any]], mapping: Mapping, src_org_name: str
) -> dict[str, tuple[str, list[int]]]:
    """Each native id's content digest and where its raw records are, as ``map_records``
    groups and digests them: enough to tell which registrations changed without mapping."""
    where: dict[str, list[int]] = {}
    for i, record in enumerate(raw):
        where.setdefault(native_id_of(record, mapping, src_org_name), []).append(i)
    prefix = _digest_prefix(mapping)
    # Renamed one registration at a time: a renamed copy of the whole harvest is a gigabyte.
    return {
        native: (_digest(prefix, [_renamed(raw[i], mapping) for i in members]), members)
        for native, members in where.items()
    }


def _digest_prefix(mapping: Mapping) -> bytes:
    """What every digest also covers: federator's code and the mapping file."""
    return (_CODE_DIGEST + mapping.digest).encode("utf-8")


def _groups(
    raw: list[dict[str, Any]], mapping: Mapping, src_org_name: str, positions: list[int] | None
) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Raw records (renamed by the mapping) with their positions, by native id, in order."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, record in enumerate(raw):
        pos = positions[i] if positions is not None else i
        record = _renamed(record, mapping)
        groups.setdefault(_native_id(record, mapping, src_org_name), []).append((pos, record))
    return groups


def _renamed(record: dict[str, Any], mapping: Mapping) -> dict[str, Any]:
    if not mapping.rename:
        return record
    return {mapping.rename.get(k, k): v for k, v in record.items()}


def _digest(prefix: bytes, records: list[dict[str, Any]]) -> str:
    return hashlib.sha256(prefix + codec.dumps(records, sort_keys=True)).hexdigest()


def native_id_of(record: dict[str, Any], mapping: Mapping, src_org_name: str) -> str:
    """The native id a raw record will get (after the mapping's renames)."""
    return _native_id(_renamed(record, mapping), mapping, src_org_name)


def _native_id(record: dict[str, Any], mapping: Mapping, src_org_name: str) -> str:
    """lars, else the source's own id, else the record URL, else organisation + name."""
    for key in ("lars", "source_id", "url"):
        value = _identity_text(_first(record, mapping.identity.get(key, ())))
        if value:
            return value
    org = _identity_text(_first(record, mapping.identity.get("organisation", ()))) or src_org_name
    name = orgs.normalise_name(str(record.get("name") or ""))
    return "h-" + hashlib.sha256(f"{orgs.normalise_name(org)}|{name}".encode()).hexdigest()[:16]


def _merge_language(first: MappedRecord, other: MappedRecord) -> None:
    """Add the language-tagged texts of ``other`` to ``first``."""
    for name, triples in other.fields.items():
        texts = [t for t in triples if isinstance(t[2], Literal) and t[2].language == other.lang]
        if texts:
            first.fields.setdefault(name, [])
            first.fields[name] += [t for t in texts if t not in first.fields[name]]


def records_from_graph(graph: rdflib.Graph, mapping: Mapping) -> list[dict[str, Any]]:
    """Read records back from RDF: each subject of ``record_type`` -> standard field names."""
    if mapping.record_type is None:
        return []
    multi = {f.name for f in mapping.fields if f.multi}
    rows = []
    for subject in sorted(set(graph.subjects(RDF.type, mapping.record_type)), key=str):
        row: dict[str, Any] = {}
        for name, prop in mapping.record_fields.items():
            values = sorted(str(v) for v in graph.objects(subject, prop))
            if values:
                row[name] = values if name in multi else values[0]
        row.setdefault("url", None)
        row["_subject"] = str(subject)
        rows.append(row)
    return rows


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for n in names:
        v = record.get(n)
        if v not in (None, "", []):
            return v
    return None


def _identity_text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


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
    ident = {k: _identity_text(_first(record, names)) for k, names in mapping.identity.items()}
    org_iri, org_name = _organisation(source, ident, src_org, src_org_name, minter)
    subject = minter.description(source.id, native)
    lang_ctx = transforms.Context("lang")
    lang = transforms.language(ident.get("lang"), lang_ctx) or "nl"
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
    s = URIRef(subject)
    rec.fields["_identity"] = _identity_triples(s, ident, org_iri, org_name)
    present = {k for k, v in record.items() if v is not None and v != "" and v != []}
    for spec in mapping.fields_for(present):
        raw = _first(record, spec.sources)
        if raw is None:
            continue
        ctx = transforms.Context(spec.name)
        if spec.each:
            items = raw if isinstance(raw, list) else []
            triples: list[Triple] = []
            kept = []
            for i, item in enumerate(it for it in items if isinstance(it, dict)):
                row = {}
                for sub in spec.each:
                    value = _apply(sub, _first(item, sub.sources), ctx)
                    if value is None:
                        continue
                    row[sub.name] = value
                    triples += _emit(sub, s, value, lang, org_name, f"-{i + 1}")
                if row:
                    kept.append(row)
            if triples:
                rec.fields[spec.name] = triples
                rec.values[spec.name] = kept
        else:
            value = _apply(spec, raw, ctx)
            if value is not None:
                rec.values[spec.name] = value
                rec.fields[spec.name] = _emit(spec, s, value, lang, org_name, "")
        rec.warnings += ctx.warnings
    return rec


# Looked up once: an rdflib namespace attribute is a call each time (0.9-1.8 us, timeit).
_TYPE, _DESCRIPTION = RDF.type, REG.AlgorithmDescription
_IDENTIFIER, _PUBLISHER = DCTERMS.identifier, DCTERMS.publisher
_LARS, _SOURCE_ID, _ORG_NAME = REG.lars, REG.sourceRecordId, REG.organisationName


def _identity_triples(
    s: URIRef, ident: dict[str, str | None], org_iri: str, org_name: str
) -> list[Triple]:
    """What identifies the registration; the validate stage's must-rules look at these."""
    out: list[Triple] = [(s, _TYPE, _DESCRIPTION)]
    lars, source_id = ident.get("lars"), ident.get("source_id")
    if lars or source_id:
        out.append((s, _IDENTIFIER, _plain(lars or source_id or "")))
    if lars:
        out.append((s, _LARS, _plain(lars)))
    if source_id:
        out.append((s, _SOURCE_ID, _plain(source_id)))
    if org_iri:
        out.append((s, _PUBLISHER, URIRef(org_iri)))
    if org_name:
        out.append((s, _ORG_NAME, _plain(org_name)))
    return out


# rdflib's Literal() costs 4-15 microseconds (a typed date the most); the values that repeat
# across records (dates, organisation names) are made once, and the two booleans are
# constants. Literals are immutable, so sharing them is safe. A small cache: it keeps the
# repeating values, and long unique strings do not pile up in it.
@functools.lru_cache(maxsize=4096)
def _plain(text: str) -> Literal:
    return Literal(text)


@functools.lru_cache(maxsize=4096)
def _typed(lexical: str, dtype: str) -> Literal:
    return Literal(lexical, datatype=XSD[dtype])


def _organisation(
    source: SourceConfig,
    ident: dict[str, str | None],
    src_org: str,
    src_org_name: str,
    minter: Minter,
) -> tuple[str, str]:
    """The record's organisation: its TOOI code, its name, else the register's publisher."""
    code, name = ident.get("organisation_code"), ident.get("organisation")
    if code and (iri := orgs.tooi_from_code(code)):
        return iri, name or code
    if name:
        hit = orgs.lookup(name)
        if hit:
            return hit
        if orgs.normalise_name(name) == orgs.normalise_name(src_org_name):
            return src_org, src_org_name
        if source.level != "national" and source.organisation:
            # A decentral register describes its own organisation's algorithms.
            return src_org, src_org_name
        return minter.organisation(orgs.normalise_name(name)), name
    if source.organisation:
        return src_org, src_org_name
    return "", ""  # nobody named: the validate stage rejects the record


def _apply(spec: FieldSpec, raw: Any, ctx: transforms.Context) -> Any:
    value = raw
    for name in spec.transforms:
        if value is None:
            return None
        if isinstance(value, list) and name != "split" and spec.multi:
            value = [v for v in (transforms.REGISTRY[name](x, ctx) for x in value) if v is not None]
            value = value or None
        else:
            value = transforms.REGISTRY[name](value, ctx)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _emit(
    spec: FieldSpec, s: URIRef, value: Any, lang: str, org_name: str, suffix: str
) -> list[Triple]:
    out: list[Triple] = []
    subject: URIRef = s
    if spec.node:
        subject = URIRef(f"{s}#{spec.node.id}{suffix}")
        out.append((s, spec.node.via, subject))
        if spec.node.type is not None:
            out.append((subject, _TYPE, spec.node.type))
        if spec.node.name_property is not None and org_name:
            out.append((subject, spec.node.name_property, _plain(org_name)))
    for v in value if isinstance(value, list) else [value]:
        term, prop = _term(spec, v, lang)
        if term is None:
            continue
        if prop is None:
            prop = spec.property
        elif spec.fallback is not None and prop == spec.fallback:
            subject_ = s  # text that could not be typed is kept on the description itself
            out.append((subject_, prop, term))
            continue
        assert prop is not None
        out.append((subject, prop, term))
    return out


def _term(spec: FieldSpec, v: Any, lang: str) -> tuple[Node | None, URIRef | None]:
    if isinstance(v, dict) and "text" in v:
        literal = Literal(v["text"], lang=lang)
        return (literal, spec.fallback) if spec.fallback is not None else (literal, None)
    kind = spec.value
    if kind == "text":
        return Literal(str(v), lang=lang), None
    if kind == "string":
        return _plain(str(v)), None
    if kind == "concept":
        return URIRef(str(v)), None
    if kind == "iri":
        return URIRef(v["iri"] if isinstance(v, dict) else str(v)), None
    if kind == "boolean":
        return (_TRUE if v else _FALSE), None
    if kind == "date":
        ((dtype, lexical),) = v.items()
        return _typed(lexical, dtype), None
    if kind == "contact":
        if "email" in v:
            return URIRef(v["email"]), VCARD.hasEmail
        return URIRef(v["iri"]), VCARD.hasURL
    raise ValueError(kind)


# What a body says about the registration: the digest (which also covers federator's code and
# the mapping) and the position in the source document are bookkeeping.
DESCRIPTION_KEYS = (
    "subject",
    "identity",
    "organisation",
    "organisation_name",
    "values",
    "lang",
    "nt",
    "warnings",
    "modified_date",  # the published dcterms:modified, from identity by the date parser
)


def same_description(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a record mapped again (new code, a new mapping, or a change in a field nobody
    maps) describes the registration exactly as before: then it did not change for its
    agency, the change feed or its dates."""
    return all(old.get(k) == new.get(k) for k in DESCRIPTION_KEYS)


def record_body(rec: MappedRecord, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-able form kept in state and used to publish: triples as N-Triples per field."""
    from federator.map.transforms import modified_date
    from federator.publish.store import nt_lines  # the one N-Triples writer

    return {
        "source": rec.source,
        "native_id": rec.native_id,
        "subject": rec.subject,
        "identity": rec.identity,
        "organisation": rec.organisation,
        "organisation_name": rec.organisation_name,
        "values": rec.values,
        "lang": rec.lang,
        "position": rec.position,
        "digest": rec.digest,
        "nt": {name: nt_lines(triples) for name, triples in rec.fields.items()},
        "warnings": [
            {k: w[k] for k in ("field", "code", "value", "message_en", "message_nl")}
            for w in warnings
        ],
        # Parsed here, in the mapping workers, not for every record at each publish.
        "modified_date": modified_date(rec.identity.get("modified")),
    }
