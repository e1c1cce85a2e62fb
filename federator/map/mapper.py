"""Apply a ``Mapping`` to raw records, producing per-field triples about a source description."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any

import rdflib
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.term import Node

from federator import codec, orgs, terms, versions
from federator.config import SourceConfig
from federator.errors import SourceError
from federator.harvest import Harvested
from federator.map import paths, transforms
from federator.map.spec import FieldSpec, Mapping, normal
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
            name = hit[1] if hit else orgs.official_names().get(iri)
            return iri, name or source.organisation
        return minter.organisation(orgs.normalise_name(source.organisation)), source.organisation
    return minter.organisation(orgs.normalise_name(source.title)), source.title


# What every record digest also covers besides the mapping file: the mapping code's version
# and the data it reads (``versions``), so that records an older federator mapped are mapped
# again when, and only when, those change.
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
    raw = raw_records(harvested, mapping)
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


def mapping_stamp(mapping: Mapping) -> str:
    """Short for what makes the records of a harvest: the mapping file (and those it extends)
    and the mapping code's version. A run whose stamp differs from the last one's maps the
    stored payloads again, even when the register answers 304."""
    return hashlib.sha256(_digest_prefix(mapping)).hexdigest()[:16]


def _digest_prefix(mapping: Mapping) -> bytes:
    """What every digest also covers: the mapping code's version and the mapping file."""
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
    """The record as the mapping reads it: its keys renamed (before anything looks at them),
    then the mapping's ``defaults`` where it has no value of its own."""
    if mapping.rename:
        record = {mapping.rename.get(k, k): v for k, v in record.items()}
    if mapping.defaults:
        missing = {k: v for k, v in mapping.defaults.items() if record.get(k) in paths.EMPTY}
        if missing:
            record = {**record, **missing}
    return record


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
    name_spec = mapping.field("name")
    name_value = _first(record, name_spec.sources if name_spec else ("name",))
    name = orgs.normalise_name(_identity_text(name_value) or "")
    return "h-" + hashlib.sha256(f"{orgs.normalise_name(org)}|{name}".encode()).hexdigest()[:16]


def _merge_language(first: MappedRecord, other: MappedRecord) -> None:
    """Add the language-tagged texts of ``other`` to ``first``."""
    for name, triples in other.fields.items():
        texts = [t for t in triples if isinstance(t[2], Literal) and t[2].language == other.lang]
        if texts:
            first.fields.setdefault(name, [])
            first.fields[name] += [t for t in texts if t not in first.fields[name]]


def raw_records(harvested: Harvested, mapping: Mapping) -> list[dict[str, Any]]:
    """The records of a harvest as the mapping finds them: the subjects of its classes in
    RDF, the list at its ``records.path`` in a JSON document (or the sheet ``records.sheet``
    of a workbook), else the records the reader made."""
    if harvested.graph is not None:
        return records_from_graph(harvested.graph, mapping)
    if harvested.sheets is not None:
        return records_from_sheets(harvested.source_id, harvested.sheets, mapping)
    if harvested.document is not None:
        return records_from_document(harvested.source_id, harvested.document, mapping)
    return harvested.records


# Where a JSON document keeps its records when the mapping does not say (``records.path``).
RECORD_KEYS = ("algoritme_versions", "results", "algoritmes", "records", "@graph", "items", "data")


def records_from_document(source: str, document: Any, mapping: Mapping) -> list[dict[str, Any]]:
    """The list of records in a JSON document: at the mapping's ``records.path``, else the
    document itself when it is a list, else the list under one of ``RECORD_KEYS``."""
    where = f"source {source!r}"
    if mapping.records_path:
        found = paths.get(document, mapping.records_path)
        if not isinstance(found, list):
            raise SourceError(
                f"{where}: the mapping {mapping.where('records.path')} says the records are at "
                f"{mapping.records_path!r}, but the document has "
                + ("nothing there" if found is None else f"a {type(found).__name__} there"),
                code="unexpected_shape",
            )
        data: Any = found
    elif isinstance(document, list):
        data = document
    elif isinstance(document, dict):
        key = next((k for k in RECORD_KEYS if isinstance(document.get(k), list)), None)
        if key is None:
            raise SourceError(
                f"{where}: the document is an object with keys "
                + ", ".join(sorted(map(str, document))[:8])
                + f", none a list of records; name where they are with 'records: {{path: ...}}' "
                f"in the mapping ({mapping.path})",
                code="unexpected_shape",
            )
        data = document[key]
    else:
        raise SourceError(
            f"{where}: the document is not a list of records", code="unexpected_shape"
        )
    bad = [i for i, r in enumerate(data) if not isinstance(r, dict)]
    if bad:
        raise SourceError(
            f"{where}: item {bad[0]} of the records is not an object", code="unexpected_shape"
        )
    return data


def records_from_sheets(
    source: str, sheets: dict[str, list[dict[str, Any]]], mapping: Mapping
) -> list[dict[str, Any]]:
    """The rows of the workbook's sheet ``records.sheet``, else of its first sheet with rows."""
    if mapping.records_sheet:
        if mapping.records_sheet not in sheets:
            raise SourceError(
                f"source {source!r}: the workbook has no sheet {mapping.records_sheet!r} "
                f"(named at {mapping.where('records.sheet')}); its sheets: " + ", ".join(sheets),
                code="unexpected_shape",
            )
        return sheets[mapping.records_sheet]
    return next((rows for rows in sheets.values() if rows), [])


def records_from_graph(graph: rdflib.Graph, mapping: Mapping) -> list[dict[str, Any]]:
    """Read records from RDF: each subject of one of the mapping's classes becomes a record
    whose keys are the names in ``records.fields``, each read by its property (or a path of
    properties, ``schema:publisher/schema:name``). A literal keeps its language as a language
    value (``{"@value": ..., "@language": ...}``); a field of one value keeps one value per
    language."""
    types = mapping.record_types or ((mapping.record_type,) if mapping.record_type else ())
    if not types:
        return []
    graph = _https_schema(graph)
    multi = {f.name for f in mapping.fields if f.multi}
    subjects: set[Node] = set()
    for t in types:
        subjects.update(graph.subjects(RDF.type, t))
    rows = []
    for subject in sorted(subjects, key=str):
        row: dict[str, Any] = {}
        for name, alternatives in mapping.record_fields.items():
            for steps in alternatives:
                nodes: list[Node] = [subject]
                for step in steps:
                    nodes = [o for n in nodes for o in graph.objects(n, step)]
                if nodes:
                    row[name] = _rdf_values(nodes, name in multi)
                    break
        row.setdefault("url", None)
        row["_subject"] = str(subject)
        rows.append(row)
    return rows


def _rdf_values(nodes: list[Node], multi: bool) -> Any:
    values = sorted(
        (
            {"@value": str(n), "@language": n.language}
            if isinstance(n, Literal) and n.language
            else str(n)
            for n in nodes
        ),
        key=lambda v: (str(v.get("@language")), v["@value"]) if isinstance(v, dict) else ("", v),
    )
    if multi:
        return values
    if any(isinstance(v, dict) for v in values):
        first: dict[str, Any] = {}
        for v in values:  # one value per language
            tag = v.get("@language", "") if isinstance(v, dict) else ""
            first.setdefault(tag, v)
        return list(first.values()) if len(first) > 1 else next(iter(first.values()))
    return values[0]


_HTTP_SCHEMA = "http://schema.org/"


def _https_schema(graph: rdflib.Graph) -> rdflib.Graph:
    """schema.org is written with http and with https: read as one (https, as the mapping
    files write it)."""
    if not any(
        str(p).startswith(_HTTP_SCHEMA) or str(o).startswith(_HTTP_SCHEMA)
        for _, p, o in graph.triples((None, RDF.type, None))
    ) and not any(str(p).startswith(_HTTP_SCHEMA) for p in set(graph.predicates())):
        return graph
    out = rdflib.Graph()
    for triple in graph:
        out.add(
            tuple(  # type: ignore[arg-type]
                URIRef("https://schema.org/" + str(t)[len(_HTTP_SCHEMA) :])
                if isinstance(t, URIRef) and str(t).startswith(_HTTP_SCHEMA)
                else t
                for t in triple
            )
        )
    return out


def unmatched(
    raw: list[dict[str, Any]], mapping: Mapping, *, own_only: bool = False
) -> list[dict[str, Any]]:
    """Every key of the mapping whose keys or paths found nothing in any record: renames of
    a column no record has, fields and identity values that read nothing, and RDF properties
    no record has. ``own_only``: only the keys the mapping file itself declares (not those of
    the files it extends). Each: ``key`` (``fields.name``), ``paths``, ``where`` (file:line)."""
    out: list[dict[str, Any]] = []

    def add(key: str, written: tuple[str, ...] | list[str]) -> None:
        where = mapping.lines.get(f"{key}.from") or mapping.where(key)  # the path's own line
        out.append({"key": key, "paths": list(written), "where": where})

    def wanted(key: str) -> bool:
        return not own_only or key in mapping.own

    if not raw:
        return out
    for old in mapping.rename:
        if wanted(f"rename.{old}") and not any(old in r for r in raw):
            add(f"rename.{old}", [old])
    checks: list[tuple[str, tuple[str, ...]]] = [
        (f"identity.{k}", v) for k, v in mapping.identity.items() if wanted(f"identity.{k}")
    ]
    each: list[tuple[str, FieldSpec]] = []
    for f in mapping.fields:
        key = f"fields.{f.name}"
        if not wanted(key) or f.constant is not None or f.default is not None:
            continue
        checks.append((key, f.sources))
        each += [(f"{key}.each.{sub.name}", sub) for sub in f.each if sub.constant is None]
    if mapping.record_types or mapping.record_type:
        checks += [
            (f"records.fields.{k}", (k,))
            for k in mapping.record_fields
            if wanted(f"records.fields.{k}")
        ]
    if not checks and not each:
        return out
    records = [_renamed(r, mapping) for r in raw]
    for key, written in checks:
        if not any(_first(r, written) is not None for r in records):
            add(key, written)
    for key, sub in each:
        parent = mapping.field(key.split(".")[1])
        assert parent is not None
        items = [
            item
            for r in records
            for item in _as_list(_first(r, parent.sources))
            if isinstance(item, dict)
        ]
        if items and not any(_first(item, sub.sources) is not None for item in items):
            add(key, sub.sources)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def unmatched_issues(found: list[dict[str, Any]], mapping: Mapping) -> list[dict[str, Any]]:
    """``unmatched`` as warnings of the harvest log, naming the mapping file, line and key."""
    return [
        {
            "native_id": None,
            "title": None,
            "severity": "warning",
            "field": None,
            "code": "mapping_matched_nothing",
            "value": u["key"],
            "message_en": (
                f"the mapping's {u['key']} ({u['where']}) reads "
                + " or ".join(repr(p) for p in u["paths"])
                + ", which no record of this register has: check the name (and the path into "
                "nested data) against the register's own field names"
            ),
            "message_nl": (
                f"{u['key']} in de mapping ({u['where']}) leest "
                + " of ".join(repr(p) for p in u["paths"])
                + ", dat in geen enkele registratie van dit register voorkomt: controleer de "
                "naam (en het pad in geneste gegevens) tegen de veldnamen van het register"
            ),
        }
        for u in found
    ]


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first key or path in ``names`` that has one."""
    for n in names:
        v = record.get(n) if n in record else paths.get(record, n)
        if v not in paths.EMPTY:
            return v
    return None


# Where a path ends at an object, what names it (an organisation {name, url, type}, a node
# read from RDF): its name, never the object written out as text.
_NAME_KEYS = ("name", "naam", "schema:name", "foaf:name", "title", "label", "@value", "@id")


def _identity_text(value: Any) -> str | None:
    """One piece of text for an identity value: a string or number as it is; of a language
    value its text; of an object its name; of a list its first such text."""
    if value is None:
        return None
    if isinstance(value, list):
        for item in value:
            text = _identity_text(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if key in value and not isinstance(value[key], dict | list):
                return _identity_text(value[key])
        for item in value.values():  # a node read from RDF: its first named value
            if isinstance(item, dict | list):
                text = _identity_text(item)
                if text:
                    return text
        return None
    if isinstance(value, bool):
        return None
    s = str(value).strip()
    return s or None


def _is_lang(value: Any) -> bool:
    return isinstance(value, dict) and "@value" in value


def _by_language(raw: Any, lang: str, multi: bool) -> list[tuple[str, Any]]:
    """A raw value split by language: ``[(lang, value)]``. Language values
    (``{"@value": ..., "@language": ...}``, as read from RDF or JSON-LD) keep their own tag;
    other values are in the record's ``lang``. A field of one value keeps one per language."""
    items = raw if isinstance(raw, list) else [raw]
    if not any(_is_lang(v) for v in items):
        return [(lang, raw)]
    groups: dict[str, list[Any]] = {}
    for v in items:
        if _is_lang(v):
            groups.setdefault(str(v.get("@language") or lang).lower(), []).append(v["@value"])
        elif v not in paths.EMPTY:
            groups.setdefault(lang, []).append(v)
    return [(tag, values if multi else values[0]) for tag, values in groups.items()]


def _record_language(record: dict[str, Any], mapping: Mapping, given: str) -> str:
    """The record's language: ``given`` (its own field, else its source's), unless its name
    is only in other languages, when the first of those (so that nothing is labelled with a
    language it is not in)."""
    spec = mapping.field("name")
    raw = _first(record, spec.sources) if spec else None
    items = raw if isinstance(raw, list) else [raw]
    tags = [
        str(v.get("@language") or given).lower()
        for v in items
        if isinstance(v, dict) and "@value" in v
    ]
    if not tags or given in tags or any(not _is_lang(v) for v in items):
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
    ident = {k: _identity_text(_first(record, names)) for k, names in mapping.identity.items()}
    org_iri, org_name, foreign = _organisation(source, ident, src_org, src_org_name, minter)
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
    s = URIRef(subject)
    rec.fields["_identity"] = _identity_triples(s, ident, org_iri, org_name)
    present = {k for k, v in record.items() if v is not None and v != "" and v != []}
    for spec in mapping.fields_for(present):
        raw = spec.constant if spec.constant is not None else _first(record, spec.sources)
        if raw is None:
            raw = spec.default
        if raw is None:
            continue
        ctx = transforms.Context(spec.name)
        if spec.each:
            triples, kept = _each(spec, raw, s, lang, org_name, ctx)
            if triples:
                rec.fields[spec.name] = triples
                rec.values[spec.name] = kept
        else:
            triples = []
            for tag, part in _by_language(raw, lang, spec.multi):
                value = _apply(spec, part, ctx)
                if value is None:
                    continue
                if tag == lang or spec.name not in rec.values:
                    rec.values[spec.name] = value
                triples += _emit(spec, s, value, tag, org_name, "", ctx)
            if triples:
                rec.fields[spec.name] = triples
        rec.warnings += ctx.warnings
    return rec


def _each(
    spec: FieldSpec, raw: Any, s: URIRef, lang: str, org_name: str, ctx: transforms.Context
) -> tuple[list[Triple], list[dict[str, Any]]]:
    """A list of objects (impact assessments, risks, ...): a node per object, the sub-fields
    read from each."""
    items = raw if isinstance(raw, list) else [raw]
    triples: list[Triple] = []
    kept = []
    for i, item in enumerate(it for it in items if isinstance(it, dict)):
        row: dict[str, Any] = {}
        for sub in spec.each:
            sub_raw = sub.constant if sub.constant is not None else _first(item, sub.sources)
            if sub_raw is None:
                sub_raw = sub.default
            if sub_raw is None:
                continue
            for tag, part in _by_language(sub_raw, lang, sub.multi):
                value = _apply(sub, part, ctx)
                if value is None:
                    continue
                row.setdefault(sub.name, value)
                triples += _emit(sub, s, value, tag, org_name, f"-{i + 1}", ctx)
        if row:
            kept.append(row)
    return triples, kept


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
) -> tuple[str, str, str | None]:
    """The record's organisation (IRI, name), and the other organisation it names when its
    register belongs to one organisation (``SourceConfig.own_register``) and the record names
    another: such a record is kept as the register's own, never as the other's, so that no
    register can publish for, or take over the algorithms of, an organisation it does not
    belong to. A register that lists many organisations takes each record's: its TOOI code,
    its name in the bundled list, else an IRI minted from its normalised name."""
    code, name = ident.get("organisation_code"), ident.get("organisation")
    named: tuple[str, str] | None = None  # what the record itself says, when identifiable
    if code and (iri := orgs.tooi_from_code(code)):
        named = (iri, name or code)
    elif name:
        if orgs.normalise_name(name) == orgs.normalise_name(src_org_name):
            named = (src_org, src_org_name)
        else:
            named = orgs.lookup(name)
    if source.own_register:
        if named is None or named[0] == src_org:
            # A name nobody codes is taken as the register's own organisation's, and kept:
            # it is evidence that ties that name to it (see ``resolve.organisations``).
            return src_org, (name if named is None and name else src_org_name), None
        same_name = not name or orgs.normalise_name(name) == orgs.normalise_name(src_org_name)
        if code and not orgs.is_tooi(src_org) and same_name:
            # The register's own code, which its configuration did not give.
            return named[0], src_org_name, None
        return src_org, src_org_name, name or code
    if named is not None:
        return named[0], named[1], None
    if name:
        return minter.organisation(orgs.normalise_name(name)), name, None
    if source.organisation:
        return src_org, src_org_name, None
    return "", "", None  # nobody named: the validate stage rejects the record


def _apply(spec: FieldSpec, raw: Any, ctx: transforms.Context) -> Any:
    value = raw
    if isinstance(value, dict):
        value = _identity_text(value)  # an object's name, never the object written out
    elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
        value = [_identity_text(v) if isinstance(v, dict) else v for v in value]
        value = [v for v in value if v not in paths.EMPTY] or None
    if value is None:
        return None
    if spec.value_map:
        if isinstance(value, list):
            mapped = [_mapped(spec, v, ctx) for v in value]
            value = [v for v in mapped if v is not None] or None
        else:
            value = _mapped(spec, value, ctx)
        if value is None:
            return None
        if isinstance(value, dict) or (
            isinstance(value, list) and any(isinstance(v, dict) for v in value)
        ):
            return value  # kept as text: no transform types what the map did not know
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


def _mapped(spec: FieldSpec, value: Any, ctx: transforms.Context) -> Any:
    """A value through the field's value map. A value the map does not name is kept (as
    text where the field writes IRIs or concepts) and flagged; one that already is a value
    the map gives is taken as it is."""
    if value in paths.EMPTY or isinstance(value, dict | list):
        return value if value not in paths.EMPTY else None
    key = normal(value)
    if key in spec.value_map:
        return spec.value_map[key]
    if key in {normal(v) for v in spec.value_map.values()}:
        return value
    ctx.warn("unmapped_value", value)
    if spec.value in ("iri", "concept") and not spec.transforms:
        return {"text": str(value).strip()}
    return value


def _emit(
    spec: FieldSpec,
    s: URIRef,
    value: Any,
    lang: str,
    org_name: str,
    suffix: str,
    ctx: transforms.Context,
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
        term, prop = _term(spec, v, lang, ctx)
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


def _term(
    spec: FieldSpec, v: Any, lang: str, ctx: transforms.Context
) -> tuple[Node | None, URIRef | None]:
    if isinstance(v, dict) and "text" in v:
        literal = Literal(v["text"], lang=lang)
        return (literal, spec.fallback) if spec.fallback is not None else (literal, None)
    kind = spec.value
    if kind == "text":
        return Literal(str(v), lang=lang), None
    if kind == "string":
        return _plain(str(v)), None
    if kind in ("concept", "iri"):
        return _link(spec, v["iri"] if isinstance(v, dict) else str(v), None, lang, ctx)
    if kind == "boolean":
        return (_TRUE if v else _FALSE), None
    if kind == "date":
        ((dtype, lexical),) = v.items()
        return _typed(lexical, dtype), None
    if kind == "contact":
        if "email" in v:
            return _link(spec, v["email"], VCARD.hasEmail, lang, ctx, "invalid_contact")
        return _link(spec, v["iri"], VCARD.hasURL, lang, ctx, "invalid_contact")
    raise ValueError(kind)


def _link(
    spec: FieldSpec,
    value: str,
    prop: URIRef | None,
    lang: str,
    ctx: transforms.Context,
    code: str = "invalid_link",
) -> tuple[Node | None, URIRef | None]:
    """An IRI the store takes; anything else is text, flagged. The transforms (``iri``,
    ``contact``) check this already: here it holds for a mapping that writes IRIs without
    them, so that no record's value can ever fail a publish."""
    if terms.valid_iri(value):
        return URIRef(value), prop
    ctx.warn(code, value)
    return _term(spec, {"text": value}, lang, ctx)


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
    """The JSON-able form kept in state and used to publish: triples as N-Triples per field
    (written by ``terms``: every IRI in them is one the store takes)."""
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
        "nt": {name: terms.nt_lines(triples) for name, triples in rec.fields.items()},
        "warnings": [
            {k: w[k] for k in ("field", "code", "value", "message_en", "message_nl")}
            for w in warnings
        ],
        # Parsed here, in the mapping workers, not for every record at each publish.
        "modified_date": transforms.modified_date(rec.identity.get("modified")),
    }
