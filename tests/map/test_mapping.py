"""The mapping of every field of the publication standard, for every version and layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import XSD, Literal, URIRef

from federator.config import SourceConfig
from federator.harvest import Harvested
from federator.map import spec
from federator.map.mapper import MapResult, map_records
from federator.vocab import (
    DCAT,
    DCTERMS,
    DPV,
    FOAF,
    PROV,
    PUBCAT,
    RDF,
    REG,
    STATUS,
    THEME,
    VCARD,
    Minter,
)

RECORDS = Path(__file__).resolve().parents[1] / "data" / "records"
MINTER = Minter("https://algoritmes.example.org/")


def source(level: str = "municipal", organisation: str | None = "gm0344") -> SourceConfig:
    return SourceConfig(
        id="src",
        title="Src",
        level=level,
        format="algoritmeregister-json",
        url="/dev/null",
        organisation=organisation,
    )


def load_records(name: str) -> list[dict[str, Any]]:
    data = json.loads((RECORDS / name).read_text(encoding="utf-8"))
    return data["algoritme_versions"] if isinstance(data, dict) else data


def mapped(
    records: list[dict[str, Any]],
    fmt: str = "algoritmeregister-json",
    src: SourceConfig | None = None,
) -> MapResult:
    mapping = spec.load(spec.builtin_path(fmt))
    return map_records(src or source(), Harvested("src", [], records=records), mapping, MINTER)


def graph_of(result: MapResult, index: int = 0) -> tuple[rdflib.Graph, URIRef]:
    g = rdflib.Graph()
    rec = result.records[index]
    for t in rec.triples():
        g.add(t)
    return g, URIRef(rec.subject)


def node(g: rdflib.Graph, s: URIRef, via: URIRef) -> URIRef:
    found = list(g.objects(s, via))
    assert len(found) >= 1, f"no {via}"
    return found[0]  # type: ignore[return-value]


@pytest.mark.parametrize(
    "fmt", ["algoritmeregister-api", "algoritmeregister-json", "algoritmeregister-csv", "rdf"]
)
def test_every_builtin_mapping_loads(fmt: str) -> None:
    mapping = spec.load(spec.builtin_path(fmt))
    assert mapping.field("name") is not None
    assert all(f.label.get("nl") and f.label.get("en") for f in mapping.fields)


def test_every_field_of_standard_1_0_is_mapped() -> None:
    standard = json.loads(
        (RECORDS.parent / "reference" / "publicatiestandaard-v1_0.json").read_text(encoding="utf-8")
    )
    mapping = spec.load(spec.builtin_path("algoritmeregister-json"))
    mapped_fields = {f.name for f in mapping.fields} | {
        s for names in mapping.identity.values() for s in names
    }
    missing = set(standard["properties"]) - mapped_fields
    assert not missing, f"fields of standard 1.0 without a mapping: {sorted(missing)}"


def test_full_1_0_record_maps_each_field_to_its_property() -> None:
    result = mapped(load_records("standard-1.0-full.json"))
    rec = result.records[0]
    g, s = graph_of(result)
    assert rec.native_id == "12345678"
    assert rec.organisation == "https://identifier.overheid.nl/tooi/id/gemeente/gm0344"
    assert g.value(s, DCTERMS.title) == Literal("Slimme routeplanning afvalinzameling", lang="nl")
    desc = str(g.value(s, DCTERMS.description))
    assert "<" not in desc and "sneller" in desc and "schoner" in desc
    assert set(g.objects(s, DCAT.theme)) == {THEME["natuur-en-milieu"], THEME["verkeer"]}
    assert g.value(s, DPV.hasActivityStatus) == STATUS["in-gebruik"]
    period = node(g, s, DCTERMS.temporal)
    assert g.value(period, RDF.type) == DCTERMS.PeriodOfTime
    assert g.value(period, DCAT.startDate) == Literal("2023-01", datatype=XSD.gYearMonth)
    assert g.value(period, DCAT.endDate) == Literal("2026-12", datatype=XSD.gYearMonth)
    contact = node(g, s, DCAT.contactPoint)
    assert g.value(contact, VCARD.hasEmail) == URIRef("mailto:algoritmes@utrecht.example.nl")
    assert g.value(contact, VCARD.fn) is not None
    assert g.value(s, DCAT.landingPage) == URIRef(
        "https://utrecht.example.nl/algoritmes/routeplanning"
    )
    assert g.value(s, DCTERMS.type) == PUBCAT["impactvolle-algoritmes"]
    assert g.value(s, PROV.hadPrimarySource) == URIRef("https://utrecht.example.nl/register/U-0100")
    assert g.value(node(g, s, DPV.hasPurpose), DCTERMS.description) == Literal(
        "Minder kilometers rijden & minder uitstoot.", lang="nl"
    )
    for via in (
        DPV.hasJustification,
        DPV.hasHumanInvolvement,
        DPV.hasRisk,
        DPV.hasLegalBasis,
        DPV.hasAlgorithmicLogic,
    ):
        assert g.value(node(g, s, via), DCTERMS.description) is not None, via
    laws = list(g.objects(s, URIRef("http://data.europa.eu/r5r/applicableLegislation")))
    assert len(laws) == 1
    assert g.value(laws[0], FOAF.page) == URIRef("https://wetten.overheid.nl/BWBR0003245")
    assert g.value(laws[0], RDF.type) == URIRef("http://data.europa.eu/eli/ontology#LegalResource")
    assessments = list(g.objects(s, DPV.hasImpactAssessment))
    assert {str(g.value(a, DCTERMS.title)) for a in assessments} == {"DPIA", "IAMA"}
    assert all(g.value(a, FOAF.page) for a in assessments)
    data = node(g, s, DPV.hasData)
    assert g.value(data, FOAF.page) == URIRef("https://data.example.nl/sensoren")
    assert g.value(node(g, s, DPV.hasRecordOfActivity), FOAF.page) is not None
    assert str(g.value(node(g, s, DCTERMS.contributor), FOAF.name)) == "Afvaltech B.V."
    assert g.value(s, REG.sourceCode) == URIRef("https://github.com/example/routeplanning")
    assert {str(k) for k in g.objects(s, DCAT.keyword)} == {"afval", "routes", "sensoren"}
    assert g.value(s, REG.impactAssessmentNote) is not None
    assert g.value(s, REG.dataNote) is not None
    assert rec.warnings == []


def test_standard_0_1_record_language_copies_and_drift() -> None:
    result = mapped(load_records("standard-0.1.json"), src=source(organisation="gm0363"))
    assert [r.native_id for r in result.records] == ["97246956", "A-7", "A-8"]
    assert result.duplicates == []  # the ENG copy is the same registration in English
    g, s = graph_of(result)
    assert set(g.objects(s, DCTERMS.title)) == {
        Literal("Wmo-voorspelmodel", lang="nl"),
        Literal("Wmo forecasting model", lang="en"),
    }
    assert g.value(s, DPV.hasActivityStatus) == STATUS["in-gebruik"]
    assert g.value(s, DCAT.landingPage) == URIRef("https://www.amsterdam.example.nl/wmo")
    assert g.value(s, DCTERMS.abstract) is not None
    assert set(g.objects(s, DCAT.theme)) == {THEME["zorg-en-gezondheid"]}
    iama = [n for n in g.objects(s, DPV.hasImpactAssessment) if (n, RDF.type, REG.IAMA) in g]
    assert g.value(iama[0], REG.carriedOut) == Literal(True)
    assert g.value(s, REG.applicationLinkText) == Literal("niet bekend", lang="nl")
    assert ("application_url", "invalid_link", "niet bekend") in result.records[0].warnings
    assert result.records[0].organisation.endswith("/gemeente/gm0363")
    # 'Niet actief' is clear: out of use. Free text that is not clear stays text, flagged.
    g2, s2 = graph_of(result, 1)
    assert g2.value(s2, DPV.hasActivityStatus) == STATUS["buiten-gebruik"]
    g3, s3 = graph_of(result, 2)
    assert g3.value(s3, DPV.hasActivityStatus) is None
    assert g3.value(s3, REG.statusText) == Literal("Wordt nog besproken", lang="nl")
    assert ("status", "unknown_status", "Wordt nog besproken") in result.records[2].warnings


def test_csv_layout_renames_algorithm_id_to_lars() -> None:
    result = mapped(
        [
            {
                "algorithm_id": "11112222",
                "name": "X",
                "organization": "Gemeente Utrecht",
                "source_id": "U-1",
                "status": "in_gebruik",
            }
        ],
        fmt="algoritmeregister-csv",
    )
    assert result.records[0].native_id == "11112222"
    assert result.records[0].identity["source_id"] == "U-1"


def test_duplicate_native_ids_keep_the_first() -> None:
    recs = [
        {"name": "A", "source_id": "X-1", "organization": "Gemeente Utrecht"},
        {"name": "B", "source_id": "X-1", "organization": "Gemeente Utrecht"},
    ]
    result = mapped(recs)
    assert [r.title() for r in result.records] == ["A"]
    assert result.duplicates == [("X-1", 1)]


@pytest.mark.parametrize(
    ("name", "source_level", "source_org", "expected"),
    [
        (
            "Gemeente Utrecht",
            "national",
            None,
            "https://identifier.overheid.nl/tooi/id/gemeente/gm0344",
        ),
        (
            "Utrecht (gemeente)",
            "national",
            None,
            "https://identifier.overheid.nl/tooi/id/gemeente/gm0344",
        ),
        (
            "provincie Groningen",
            "national",
            None,
            "https://identifier.overheid.nl/tooi/id/provincie/pv20",
        ),
        ("Douane", "national", None, "https://algoritmes.example.org/id/organisation/douane"),
        (
            "Stichting Bureau Informatiediensten Nederland",
            "national",
            None,
            "https://algoritmes.example.org/id/organisation/stichting-bureau-informatiediensten-nederland",
        ),
        (
            "Bureau Informatiediensten Nederland (stichting)",
            "national",
            None,
            "https://algoritmes.example.org/id/organisation/stichting-bureau-informatiediensten-nederland",
        ),
        (
            "Afdeling X",
            "municipal",
            "gm0363",
            "https://identifier.overheid.nl/tooi/id/gemeente/gm0363",
        ),
    ],
)
def test_organisations_become_tooi_or_stable_minted_iris(
    name: str, source_level: str, source_org: str | None, expected: str
) -> None:
    result = mapped(
        [{"name": "A", "lars": "10000001", "organization": name}],
        src=source(source_level, source_org),
    )
    assert result.records[0].organisation == expected


def test_record_naming_no_organisation_in_a_national_register_has_none() -> None:
    result = mapped([{"name": "A", "lars": "10000001"}], src=source("national", None))
    assert result.records[0].organisation == ""
