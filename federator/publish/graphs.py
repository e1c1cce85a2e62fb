"""Build the published graphs as N-Triples text, from stored record bodies.

Every statement is written by ``federator.terms``, which checks each IRI as the store does:
a text built here is one the store loads (the record bodies' statements were written the
same way when they were mapped).

Layout (each statement in exactly one graph, so the union default graph has set semantics):
- ``graph/source/{id}``: the source's ``dcat:Catalog``, its records and its own descriptions;
- ``graph/unified``: one ``reg:Algorithm`` per real algorithm, the survivorship result;
- ``graph/links``: identity links between source descriptions (a ``void:Linkset``);
- ``graph/federation``: the federation catalogue and every publishing organisation;
- ``graph/vocabulary``: the shared vocabulary and its concept schemes;
- ``graph/provenance``: PROV-O activities, one per run per source (append-only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import repeat
from typing import Any

import rdflib

from federator import codec
from federator.config import SourceConfig
from federator.records import by_survivorship
from federator.terms import (
    DCAT,
    DCT,
    FOAF,
    OWL,
    PROV,
    RDF_TYPE,
    REG,
    SKOS,
    VOID,
    XSD,
    date_value,
    iri,
    lit,
    nt_lines,
    t,
    valid_iri,
)
from federator.vocab import Minter

SINGLE_FALLBACK_FIELDS = ("description_short", "goal", "description", "name")
# What every record's statements use, written once.
_RECORD, _RECORD_CLASS = iri(DCAT + "record"), iri(DCAT + "CatalogRecord")
_IDENTIFIER, _MODIFIED = iri(DCT + "identifier"), iri(DCT + "modified")
_TOPIC, _REG_DESCRIPTION = iri(FOAF + "primaryTopic"), iri(REG + "description")
_WARNING = iri(REG + "warning")
_ALGORITHM, _PUBLISHER = iri(REG + "Algorithm"), iri(DCT + "publisher")
_DERIVED, _LARS = iri(PROV + "wasDerivedFrom"), iri(REG + "lars")
_DCT_DESCRIPTION = iri(DCT + "description")


@dataclass
class SourceView:
    """What publishing needs of one source: its config, publisher and current records."""

    config: SourceConfig
    organisation: str
    organisation_name: str
    records: list[dict[str, Any]]  # record bodies (see ``map.mapper.record_body``)


@dataclass
class Unified:
    canonical: dict[tuple[str, str], str]  # (source, native id) -> canonical IRI
    replaced: dict[str, str] = field(default_factory=dict)  # old IRI -> surviving IRI
    # organisation IRI -> the IRI it is known by, for organisations reconciled (aliases)
    organisations: dict[str, str] = field(default_factory=dict)


def modified_literal(body: dict[str, Any]) -> str:
    """The record's one dcterms:modified: the date its register gives, else when federator
    saw its content change."""
    if "modified_date" in body:  # worked out when the record was mapped
        date = body["modified_date"]
    else:  # a body stored before that
        raw = body["identity"].get("modified")
        date = (date_value(raw) or {}).get("date") if raw else None
    if date:
        return lit(date, dtype=XSD + "date")
    changed = body.get("changed_at") or "1970-01-01T00:00:00Z"
    return lit(changed, dtype=XSD + "dateTime")


PIECE = 2000  # records (or algorithms) per piece of a big graph's text
UNPUBLISHED_WARNINGS = frozenset({"missing_recommended"})  # said by what is missing


def source_graph(view: SourceView, minter: Minter, unified: Unified) -> Iterator[str]:
    """The source's catalogue and records, in pieces of ``PIECE`` records: what the register
    says (``source_records``), then where resolution put it (``source_links``)."""
    yield from source_records(view, minter)
    yield source_links(view, minter, unified)


def source_records(view: SourceView, minter: Minter) -> Iterator[str]:
    """What no resolution changes: the catalogue and every record with its description, in
    pieces of ``PIECE`` records (a run that rebuilds the store loads them while it resolves).
    Bodies must be dated (``first_seen``/``changed_at``) for records without a date."""
    src = view.config
    cat = iri(minter.catalog(src.id))
    out = [
        t(cat, RDF_TYPE, iri(DCAT + "Catalog")),
        t(cat, iri(DCT + "identifier"), lit(src.id)),
        t(cat, iri(DCT + "title"), lit(src.title, src.language)),
        t(
            cat,
            iri(DCT + "description"),
            lit(f"Algoritmeregister '{src.title}' ({src.level}), geoogst door federator.", "nl"),
        ),
        t(
            cat,
            iri(DCT + "description"),
            lit(f"Algorithm register '{src.title}' ({src.level}), harvested by federator.", "en"),
        ),
    ]
    if src.is_remote and valid_iri(src.url):  # a URL requests takes may not be an IRI
        out.append(t(cat, iri(DCT + "source"), iri(src.url)))
    for n, body in enumerate(sorted(view.records, key=lambda b: b["native_id"])):
        if n and n % PIECE == 0:
            yield "".join(out)
            out = []
        rec = iri(minter.record(src.id, body["native_id"]))
        out += [
            t(cat, _RECORD, rec),
            t(rec, RDF_TYPE, _RECORD_CLASS),
            t(rec, _IDENTIFIER, lit(body["native_id"])),
            t(rec, _MODIFIED, modified_literal(body)),
            t(rec, _REG_DESCRIPTION, iri(body["subject"])),
        ]
        # The warning travels with the record (in English; the run log has both languages).
        # A recommended field left empty is not repeated: the missing statement says it, the
        # quality graph counts it per source and the harvest log names the record.
        out += [
            t(rec, _WARNING, lit(w["message_en"], "en"))
            for w in body.get("warnings", [])
            if w.get("code") not in UNPUBLISHED_WARNINGS
        ]
        out += [body["nt"][name] for name in sorted(body["nt"])]
    yield "".join(out)


def source_links(view: SourceView, minter: Minter, unified: Unified) -> str:
    """What resolution decides: the catalogue's publisher (reconciled) and the algorithm each
    record describes."""
    src = view.config
    cat = iri(minter.catalog(src.id))
    publisher = iri(unified.organisations.get(view.organisation, view.organisation))
    out = [t(cat, iri(DCT + "publisher"), publisher)]
    for body in sorted(view.records, key=lambda b: b["native_id"]):
        native = body["native_id"]
        canonical = unified.canonical[(src.id, native)]
        out.append(t(iri(minter.record(src.id, native)), _TOPIC, iri(canonical)))
    return "".join(out)


def unified_block(
    members: Sequence[dict[str, Any]],
    unified: Unified,
    priorities: dict[str, int],
    multi_fields: set[str],
) -> str:
    """One algorithm's unified description. Survivorship: per field the highest-priority
    source with a value, ties to the newest; multi-valued fields are the union."""
    first = members[0]
    org = first["organisation"]
    canonical = unified.canonical[(first["source"], first["native_id"])]
    c = iri(canonical)
    if len(members) == 1:  # most algorithms: nothing to rank or merge
        ranked: Sequence[dict[str, Any]] = members
        modified = modified_literal(first)
        own: dict[str, str] = first["nt"]
        described = "description_short" in own
        # identity statements (``_``) describe the source's record, not the algorithm
        texts = [text for name, text in sorted(own.items()) if not name.startswith("_")]
        fields = _fields(texts, f"<{first['subject']}", f"<{canonical}")
    else:
        ranked = by_survivorship(members, priorities)
        modified = max(modified_literal(b) for b in members)
        chosen = _survivors(ranked, canonical, multi_fields)
        described = "description_short" in chosen
        fields = _fields([chosen[name] for name in sorted(chosen)])
    out = [
        t(c, RDF_TYPE, _ALGORITHM),
        t(c, _IDENTIFIER, lit(canonical.rsplit("/", 1)[-1])),
        t(c, _PUBLISHER, iri(unified.organisations.get(org, org))),
        t(c, _MODIFIED, modified),
    ]
    for body in ranked:
        out.append(t(c, _DERIVED, iri(body["subject"])))
        lars = body["identity"].get("lars")
        if lars:
            out.append(t(c, _LARS, lit(lars)))
    if not described:
        # DCAT-AP requires a description: fall back to the next best text we have.
        for name in SINGLE_FALLBACK_FIELDS:
            value = next((b["values"].get(name) for b in ranked if b["values"].get(name)), None)
            if isinstance(value, str):
                out.append(t(c, _DCT_DESCRIPTION, lit(value, first.get("lang", "nl"))))
                break
    out.append(fields)
    return "".join(out)


def _survivors(
    ranked: Sequence[dict[str, Any]], canonical: str, multi_fields: set[str]
) -> dict[str, str]:
    """Each field's statements about the algorithm: the first ranked body's that has the
    field, or for a multi-valued field every body's in turn."""
    chosen: dict[str, str] = {}
    for body in ranked:
        subject, algorithm = f"<{body['subject']}", f"<{canonical}"
        for name, text in body["nt"].items():
            if name.startswith("_"):
                continue  # identity statements describe the source's record, not the algorithm
            if name in multi_fields:
                chosen[name] = chosen.get(name, "") + text.replace(subject, algorithm)
            elif name not in chosen:
                chosen[name] = text.replace(subject, algorithm)
    return chosen


def _fields(texts: list[str], subject: str = "", algorithm: str = "") -> str:
    """The fields' statements one field after another, each field's lines once
    (``_dedupe_lines``), ``subject`` rewritten as ``algorithm``. A field as mapped ends every
    line and holds each once: all of them are checked at once (one split, in C) and kept as
    they are. Deduplicated field by field, every line was rejoined in Python, a quarter of
    the block's time."""
    joined = "".join(texts)
    if subject:  # an IRI holds no line end: no line is cut or joined by this
        joined = joined.replace(subject, algorithm)
    lines = joined.split("\n")
    # Each field ends its last line, so no line runs from one field into the next; every
    # line ends (the last piece is empty) and none repeats, not even an empty one: then each
    # field holds its lines once, and ``_dedupe_lines`` would keep every text whole.
    if (
        all(map(str.endswith, texts, repeat("\n")))
        and lines[-1] == ""
        and len(set(lines)) == len(lines)
    ):
        return joined
    if subject:
        texts = [text.replace(subject, algorithm) for text in texts]
    return "".join(_dedupe_lines(text) for text in texts)


def unified_graph(blocks: Mapping[str, str | bytes], replaced: str) -> Iterator[str]:
    """The unified graph: every algorithm's block (by token, as ``codec.pack_texts`` keeps it),
    then the retired IRIs (``replaced_statements``); in pieces of ``PIECE`` algorithms."""
    tokens = sorted(blocks)
    for i in range(0, len(tokens), PIECE):
        yield "".join(codec.unpack_text(blocks[token]) for token in tokens[i : i + PIECE])
    yield replaced


def replaced_statements(replaced: dict[str, str]) -> str:
    out = []
    for old, new in sorted(replaced.items()):
        out.append(t(iri(old), iri(DCT + "isReplacedBy"), iri(new)))
        out.append(t(iri(old), iri(OWL + "deprecated"), lit("true", dtype=XSD + "boolean")))
    return "".join(out)


def _dedupe_lines(text: str) -> str:
    """Each non-empty line once, in order, every one ended."""
    lines = dict.fromkeys(text.split("\n"))
    lines.pop("", None)
    return "\n".join(lines) + "\n" if lines else ""


def links_graph(clusters: Iterable[Sequence[tuple[str, str]]], minter: Minter) -> str:
    """skos:exactMatch between the source descriptions of each cluster of several records."""
    linkset = iri(minter.base + "id/linkset")
    out = [
        t(linkset, RDF_TYPE, iri(VOID + "Linkset")),
        t(linkset, iri(VOID + "linkPredicate"), iri(SKOS + "exactMatch")),
        t(linkset, iri(DCT + "title"), lit("Identiteitslinks tussen registerbeschrijvingen", "nl")),
        t(linkset, iri(DCT + "title"), lit("Identity links between register descriptions", "en")),
    ]
    for members in clusters:
        subjects = sorted(minter.description(src, native) for src, native in members)
        for a, b in zip(subjects, subjects[1:], strict=False):
            out.append(t(iri(a), iri(SKOS + "exactMatch"), iri(b)))
    return "".join(out)


def federation_graph(
    source_ids: Iterable[str],
    organisations: dict[str, str],
    minter: Minter,
    aliases: Mapping[str, str] | None = None,
    labels: Mapping[str, Iterable[str]] | None = None,
) -> str:
    """The federation catalogue and every publishing organisation: its name, the other names
    it goes by (``labels``, ``skos:altLabel``), and for an IRI that turned out to be another
    organisation's (``aliases``) ``owl:sameAs`` and ``dcterms:isReplacedBy`` that one."""
    aliases, labels = aliases or {}, labels or {}
    fed = iri(minter.federation())
    agent = iri(minter.agent())
    out = [
        t(fed, RDF_TYPE, iri(DCAT + "Catalog")),
        t(fed, iri(DCT + "title"), lit("Gefedereerd algoritmeregister", "nl")),
        t(fed, iri(DCT + "title"), lit("Federated algorithm register", "en")),
        t(
            fed,
            iri(DCT + "description"),
            lit(
                "Algoritmeregistraties uit landelijke, provinciale en gemeentelijke registers, "
                "samengebracht door federator, met herkomst naar elk bronrecord.",
                "nl",
            ),
        ),
        t(
            fed,
            iri(DCT + "description"),
            lit(
                "Algorithm registrations from national, provincial and municipal registers, "
                "federated by federator, with provenance back to every source record.",
                "en",
            ),
        ),
        t(fed, iri(DCT + "publisher"), agent),
        t(agent, RDF_TYPE, iri(FOAF + "Agent")),
        t(agent, RDF_TYPE, iri(PROV + "SoftwareAgent")),
        t(agent, iri(FOAF + "name"), lit("federator")),
    ]
    for sid in sorted(source_ids):
        out.append(t(fed, iri(DCAT + "catalog"), iri(minter.catalog(sid))))
    names = dict(organisations)
    for old, new in aliases.items():
        names.setdefault(new, names.get(old, ""))
    for org, name in sorted(names.items()):
        if iri(org) == agent:
            continue
        # The names it goes by; a configured IRI or code is no name.
        known = {n for n in labels.get(org, ()) if n and not n.startswith(("http:", "https:"))}
        if not name or name.startswith(("http:", "https:")):
            name = min(known, default=name)
        name = name or org.rsplit("/", 1)[-1]
        out.append(t(iri(org), RDF_TYPE, iri(FOAF + "Agent")))
        out.append(t(iri(org), iri(FOAF + "name"), lit(name)))
        if org in aliases:
            out.append(t(iri(org), iri(OWL + "sameAs"), iri(aliases[org])))
            out.append(t(iri(org), iri(DCT + "isReplacedBy"), iri(aliases[org])))
            continue
        out += [t(iri(org), iri(SKOS + "altLabel"), lit(n)) for n in sorted(known - {name})]
    for old, new in sorted(aliases.items()):
        if old not in names:  # published before, under a name no record uses any more
            out.append(t(iri(old), iri(OWL + "sameAs"), iri(new)))
            out.append(t(iri(old), iri(DCT + "isReplacedBy"), iri(new)))
    return "".join(out)


def vocabulary_graph() -> str:
    text = resources.files("federator.data").joinpath("vocabulary.ttl").read_text("utf-8")
    graph = rdflib.Graph().parse(data=text, format="turtle")
    return nt_lines(sorted(graph))


def provenance(
    activity: str,
    agent: str,
    source: SourceConfig,
    graph: str,
    started: str,
    ended: str,
    outcome: str,
    run_id: str,
) -> str:
    a = iri(activity)
    out = [
        t(a, RDF_TYPE, iri(PROV + "Activity")),
        t(a, iri(DCT + "identifier"), lit(run_id)),
        t(a, iri(PROV + "startedAtTime"), lit(started, dtype=XSD + "dateTime")),
        t(a, iri(PROV + "endedAtTime"), lit(ended, dtype=XSD + "dateTime")),
        t(a, iri(PROV + "wasAssociatedWith"), iri(agent)),
        t(a, iri(REG + "outcome"), lit(outcome)),
        t(a, iri(DCT + "title"), lit(f"harvest of {source.id}, run {run_id}", "en")),
    ]
    if source.is_remote and valid_iri(source.url):
        out.append(t(a, iri(PROV + "used"), iri(source.url)))
    if outcome == "synced":
        out.append(t(a, iri(PROV + "generated"), iri(graph)))
    return "".join(out)


def withdrawal(subject: str, activity: str, stamp: str) -> str:
    """A registration that disappeared from its source: when, and by which run."""
    d = iri(subject)
    return t(d, iri(PROV + "invalidatedAtTime"), lit(stamp, dtype=XSD + "dateTime")) + t(
        d, iri(PROV + "wasInvalidatedBy"), iri(activity)
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
