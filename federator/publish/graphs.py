"""Build the published graphs as N-Triples text, from stored record bodies.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import rdflib

from federator import codec
from federator.config import SourceConfig
from federator.map.transforms import modified_date
from federator.publish.store import lit, nt_lines
from federator.vocab import Minter

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
VOID = "http://rdfs.org/ns/void#"
REG = "https://w3id.org/federator/vocab#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SINGLE_FALLBACK_FIELDS = ("description_short", "goal", "description", "name")


def iri(value: str) -> str:
    return f"<{value}>"


def t(s: str, p: str, o: str) -> str:
    return f"{s} {p} {o} .\n"


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


def modified_literal(body: dict[str, Any]) -> str:
    """The record's one dcterms:modified: the date its register gives, else when federator
    saw its content change."""
    if "modified_date" in body:  # worked out when the record was mapped
        date = body["modified_date"]
    else:  # a body stored before that
        date = modified_date(body["identity"].get("modified"))
    if date:
        return lit(date, dtype=XSD + "date")
    changed = body.get("changed_at") or "1970-01-01T00:00:00Z"
    return lit(changed, dtype=XSD + "dateTime")


PIECE = 2000  # records (or algorithms) per piece of a big graph's text


def source_graph(view: SourceView, minter: Minter, unified: Unified) -> Iterator[str]:
    """The source's catalogue and records, in pieces of ``PIECE`` records."""
    src = view.config
    cat = iri(minter.catalog(src.id))
    out = [
        t(cat, RDF_TYPE, iri(DCAT + "Catalog")),
        t(cat, iri(DCT + "identifier"), lit(src.id)),
        t(cat, iri(DCT + "title"), lit(src.title, "nl")),
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
        t(cat, iri(DCT + "publisher"), iri(view.organisation)),
    ]
    if src.is_remote:
        out.append(t(cat, iri(DCT + "source"), iri(src.url)))
    for n, body in enumerate(sorted(view.records, key=lambda b: b["native_id"])):
        if n and n % PIECE == 0:
            yield "".join(out)
            out = []
        native = body["native_id"]
        rec = iri(minter.record(src.id, native))
        desc = iri(body["subject"])
        canonical = unified.canonical[(src.id, native)]
        out += [
            t(cat, iri(DCAT + "record"), rec),
            t(rec, RDF_TYPE, iri(DCAT + "CatalogRecord")),
            t(rec, iri(DCT + "identifier"), lit(native)),
            t(rec, iri(DCT + "modified"), modified_literal(body)),
            t(rec, iri(FOAF + "primaryTopic"), iri(canonical)),
            t(rec, iri(REG + "description"), desc),
        ]
        # The warning travels with the record (in English; the run log has both languages).
        out += [
            t(rec, iri(REG + "warning"), lit(w["message_en"], "en"))
            for w in body.get("warnings", [])
        ]
        out += [body["nt"][name] for name in sorted(body["nt"])]
    yield "".join(out)


def unified_block(
    members: Sequence[dict[str, Any]],
    unified: Unified,
    priorities: dict[str, int],
    multi_fields: set[str],
) -> str:
    """One algorithm's unified description. Survivorship: per field the highest-priority
    source with a value, ties to the newest; multi-valued fields are the union."""
    first = members[0]
    canonical = unified.canonical[(first["source"], first["native_id"])]
    ranked = sorted(
        members,
        key=lambda b: (
            priorities.get(b["source"], 0),
            b["identity"].get("modified") or "",
            b.get("changed_at") or "",
        ),
        reverse=True,
    )
    c = iri(canonical)
    out = [
        t(c, RDF_TYPE, iri(REG + "Algorithm")),
        t(c, iri(DCT + "identifier"), lit(canonical.rsplit("/", 1)[-1])),
        t(c, iri(DCT + "publisher"), iri(first["organisation"])),
        t(c, iri(DCT + "modified"), max(modified_literal(b) for b in members)),
    ]
    chosen: dict[str, str] = {}
    for body in ranked:
        for name, text in body["nt"].items():
            if name.startswith("_"):
                continue  # identity statements describe the source's record, not the algorithm
            rewritten = text.replace(f"<{body['subject']}", f"<{canonical}")
            if name in multi_fields:
                chosen[name] = chosen.get(name, "") + rewritten
            elif name not in chosen:
                chosen[name] = rewritten
        out.append(t(c, iri(PROV + "wasDerivedFrom"), iri(body["subject"])))
        lars = body["identity"].get("lars")
        if lars:
            out.append(t(c, iri(REG + "lars"), lit(lars)))
    if "description_short" not in chosen:
        # DCAT-AP requires a description: fall back to the next best text we have.
        for name in SINGLE_FALLBACK_FIELDS:
            value = next((b["values"].get(name) for b in ranked if b["values"].get(name)), None)
            if isinstance(value, str):
                out.append(t(c, iri(DCT + "description"), lit(value, first.get("lang", "nl"))))
                break
    out += [_dedupe_lines(chosen[name]) for name in sorted(chosen)]
    return "".join(out)


def unified_graph(blocks: Mapping[str, str | bytes], replaced: str) -> Iterator[str]:
    """The unified graph: every algorithm's block (by token, as ``codec.pack_text`` keeps it),
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


@dataclass
class Patch:
    """A graph's change worked out by its builder: the digests the builder gives the old and
    the new text (``blocks.graph_digest``), so that neither text is read whole; ``changes``
    gives the statements that go and come (worked out only when the store holds the old
    text), ``text`` the whole new text, for when it does not or the builder does not know the
    old one (``old_digest`` None)."""

    old_digest: str | None
    new_digest: str
    changes: Callable[[], tuple[set[str], set[str]] | None]  # None: rewrite it whole
    text: Callable[[], Iterable[str]]


def _dedupe_lines(text: str) -> str:
    return "".join(line + "\n" for line in dict.fromkeys(text.split("\n")) if line)


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
    source_ids: Iterable[str], organisations: dict[str, str], minter: Minter
) -> str:
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
    for org, name in sorted(organisations.items()):
        if iri(org) == agent:
            continue
        out.append(t(iri(org), RDF_TYPE, iri(FOAF + "Agent")))
        out.append(t(iri(org), iri(FOAF + "name"), lit(name or org.rsplit("/", 1)[-1])))
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
    if source.is_remote:
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
