"""The data of the differential suite: the shape of the published graph, large enough to plan.

Made here, not harvested: source catalogues with their records in their own graphs, one
description per algorithm in the unified graph, provenance; 11,000 records, so that a pattern
such as ``?r a dcat:CatalogRecord`` has more than ``plan.BIG`` solutions and the rewrite
engages; and a graph of odd terms beside it (triple terms, blank nodes, language tags with a
direction, typed literals, strings holding tabs, quotes, braces and hashes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

BASE = "https://algoritmes.example.org/"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
REG = "https://w3id.org/federator/vocab#"
DPV = "https://w3id.org/dpv#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
EX = "http://example.org/"
SOURCES = {"national": 8000, "gemeente-a": 1800, "gemeente-b": 1200}  # records per source
SHARED = 600  # gemeente-a records that describe a national algorithm
RESULT_LIMIT = 100_000  # above every answer here: the server answers in full, and plans


@dataclass
class Published:
    data_dir: Path
    config_path: Path
    snapshot: Path


def quads() -> Iterator[ox.Quad]:
    """Every quad of the published graph made for the suite."""
    n = ox.NamedNode
    a = n(RDF_TYPE)

    def lit(value: str, lang: str | None = None, datatype: str | None = None) -> ox.Literal:
        if lang:
            return ox.Literal(value, language=lang)
        return ox.Literal(value, datatype=n(datatype)) if datatype else ox.Literal(value)

    unified, provenance = n(BASE + "graph/unified"), n(BASE + "graph/provenance")
    federation = n(BASE + "graph/federation")
    fed = n(BASE + "catalog")
    yield ox.Quad(fed, a, n(DCAT + "Catalog"), federation)
    yield ox.Quad(fed, n(DCT + "title"), lit("Federatie", "nl"), federation)
    orgs = [n(f"https://identifier.overheid.nl/tooi/id/gemeente/gm{i:04d}") for i in range(40)]
    statuses = [n(f"{REG}status/{s}") for s in ("in-gebruik", "buiten-gebruik", "in-ontwikkeling")]
    algorithm_no = 0
    for sid, count in SOURCES.items():
        graph = n(f"{BASE}graph/source/{sid}")
        catalog = n(f"{BASE}catalog/{sid}")
        yield ox.Quad(fed, n(DCAT + "catalog"), catalog, federation)
        yield ox.Quad(catalog, a, n(DCAT + "Catalog"), graph)
        yield ox.Quad(catalog, n(DCT + "identifier"), lit(sid), graph)
        yield ox.Quad(catalog, n(DCT + "title"), lit(f"Register {sid}", "nl"), graph)
        for i in range(count):
            record = n(f"{BASE}record/{sid}/{i}")
            if sid == "gemeente-a" and i < SHARED:
                algorithm, new = n(f"{BASE}id/algorithm/a{i * 7}"), False
            else:
                algorithm, new = n(f"{BASE}id/algorithm/a{algorithm_no}"), True
                algorithm_no += 1
            native = f"{i:05d}" if sid == "national" else f"{sid[9:].upper()}-{i:04d}"
            yield ox.Quad(catalog, n(DCAT + "record"), record, graph)
            yield ox.Quad(record, a, n(DCAT + "CatalogRecord"), graph)
            yield ox.Quad(record, n(DCT + "identifier"), lit(native), graph)
            yield ox.Quad(
                record,
                n(DCT + "modified"),
                lit(f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:00Z", datatype=XSD + "dateTime"),
                graph,
            )
            yield ox.Quad(record, n(FOAF + "primaryTopic"), algorithm, graph)
            yield ox.Quad(algorithm, n(DCT + "title"), lit(f"{sid} algoritme {i}", "nl"), graph)
            if not new:
                continue
            k = algorithm_no - 1
            yield ox.Quad(algorithm, a, n(REG + "Algorithm"), unified)
            yield ox.Quad(algorithm, n(DCT + "title"), lit(f"Algoritme {k}", "nl"), unified)
            if k % 3 == 0:
                yield ox.Quad(algorithm, n(DCT + "title"), lit(f"Algorithm {k}", "en"), unified)
            yield ox.Quad(algorithm, n(DCT + "publisher"), orgs[k % len(orgs)], unified)
            yield ox.Quad(algorithm, n(REG + "status"), statuses[k % 3], unified)
            if k % 5 != 4:
                purpose = "fraude opsporen" if k % 11 == 0 else f"doel {k % 97}"
                yield ox.Quad(algorithm, n(DPV + "hasPurpose"), lit(purpose, "nl"), unified)
            if k % 4 == 0:
                yield ox.Quad(
                    algorithm,
                    n(REG + "riskScore"),
                    lit(str(k % 10), None, XSD + "integer"),
                    unified,
                )
        run = n(f"{BASE}run/{sid}/1")
        yield ox.Quad(run, a, n(PROV + "Activity"), provenance)
        yield ox.Quad(run, n(PROV + "used"), catalog, provenance)
        yield ox.Quad(
            run,
            n(PROV + "endedAtTime"),
            lit("2026-12-01T06:00:00Z", datatype=XSD + "dateTime"),
            provenance,
        )
    yield from _odd_terms()


def _odd_terms() -> Iterator[ox.Quad]:
    """Terms that must come through every path unchanged."""
    n = ox.NamedNode
    graph = n(EX + "graph/odd")
    s = n(EX + "thing")
    said = ox.Triple(n(EX + "a"), n(EX + "says"), ox.Literal("hallo", language="nl"))
    nested = ox.Triple(n(EX + "b"), n(EX + "quotes"), said)
    contact = ox.BlankNode("contact1")
    values: list[ox.NamedNode | ox.Literal] = [
        ox.Literal("tab\there"),
        ox.Literal("line\nbreak"),
        ox.Literal("quote \" and ' and { brace } and # hash"),
        ox.Literal("back\\slash"),
        ox.Literal("service"),
        ox.Literal("SELECT * WHERE { ?s ?p ?o }"),
        ox.Literal("42", datatype=n(XSD + "integer")),
        ox.Literal("2026-12-07", datatype=n(XSD + "date")),
        ox.Literal("1.5e0", datatype=n(XSD + "double")),
        ox.Literal("مرحبا", language="ar", direction=ox.BaseDirection.RTL),
        ox.Literal("hello", language="en-GB"),
        ox.Literal("x", language="x-service"),
        ox.Literal("custom", datatype=n(EX + "type")),
        n(EX + "self-service"),
    ]
    for value in values:
        yield ox.Quad(s, n(EX + "value"), value, graph)
    yield ox.Quad(s, n(EX + "statement"), said, graph)
    yield ox.Quad(s, n(EX + "statement"), nested, graph)
    yield ox.Quad(s, n(EX + "contact"), contact, graph)
    yield ox.Quad(contact, n(FOAF + "name"), ox.Literal("Loket"), graph)
    yield ox.Quad(contact, n(FOAF + "mbox"), n("mailto:loket@example.org"), graph)
    yield ox.Quad(ox.BlankNode("anon2"), n(EX + "value"), ox.Literal("anonymous"), graph)
