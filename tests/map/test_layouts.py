"""Registers in layouts federator does not ship, onboarded with configuration and mapping files
alone, end to end: served on loopback, ``run --once``, the published graph.

- a municipal spreadsheet export (';', Windows-1252, Dutch headings, dd-mm-jjjj dates) with
  ``extends`` + ``rename`` and nothing else, as CSV and as an xlsx workbook;
- a UK ATRS register (nested JSON) with the shipped ``mappings/uk-atrs.yaml``;
- a city register in schema.org JSON-LD, Dutch and English, with ``mappings/schema-org.yaml``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import DATA, REPO, write_config

from federator import config
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator, RunReport
from federator.publish import snapshot
from federator.query import run_query
from federator.sim import Registers, RegisterServer

REGISTERS = DATA / "registers"
SHEET = REGISTERS / "gemeente-spreadsheet"
TOOI_AMSTERDAM = "https://identifier.overheid.nl/tooi/id/gemeente/gm0363"
PREFIXES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
"""


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ox.Store, RunReport]]:
    tmp = tmp_path_factory.mktemp("layouts")
    with RegisterServer(Registers()) as server:
        regs = server.registers
        regs.put("algoritmes.csv", (SHEET / "algoritmes.csv").read_bytes(), "text/csv")
        regs.put("algoritmes.xlsx", (SHEET / "algoritmes.xlsx").read_bytes())
        regs.put("atrs.json", (REGISTERS / "uk-atrs" / "records.json").read_bytes())
        jsonld = (REGISTERS / "schema-org" / "register.jsonld").read_bytes()
        regs.put("register.jsonld", jsonld)
        sheet_mapping = str(SHEET / "mapping.yaml")
        sources = [
            {
                "id": "gemeente-csv",
                "title": "Gemeente Utrecht (CSV)",
                "level": "municipal",
                "format": "csv",
                "url": server.file_url("algoritmes.csv"),
                "organisation": "gm0344",
                "mapping": sheet_mapping,
            },
            {
                "id": "gemeente-xlsx",
                "title": "Gemeente Zeist (xlsx)",
                "level": "municipal",
                "format": "xlsx",
                "url": server.file_url("algoritmes.xlsx"),
                "organisation": "gm0355",
                "mapping": sheet_mapping,
            },
            {
                "id": "uk-atrs",
                "title": "UK ATRS",
                "level": "national",
                "format": "json",
                "url": server.file_url("atrs.json"),
                "mapping": str(REPO / "mappings" / "uk-atrs.yaml"),
                "language": "en",
            },
            {
                "id": "voorbeeldstad",
                "title": "Voorbeeldstad",
                "level": "municipal",
                "format": "rdf",
                "url": server.file_url("register.jsonld"),
                "mapping": str(REPO / "mappings" / "schema-org.yaml"),
                "lists": "many",
            },
        ]
        cfg = config.load(write_config(tmp / "federator.yaml", sources))
        fed = Federator(cfg)
        report = fed.run_once()
        fed.close()
        store = snapshot.open_current(cfg.data_dir)
        assert store is not None
        yield store, report


def rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = run_query(store, PREFIXES + query)
    names = result.variables
    return [{v.value: s[v].value for v in names if s[v] is not None} for s in result]


def titles(store: ox.Store, source: str, native: str) -> set[tuple[str, str]]:
    """The unified titles (text, language) of the algorithm a registration is resolved to."""
    found = rows(
        store,
        f"""SELECT ?t (LANG(?t) AS ?lang) WHERE {{
          ?c dcterms:identifier "{source}" ; dcat:record ?r .
          ?r dcterms:identifier "{native}" ; foaf:primaryTopic ?a .
          ?a a <https://w3id.org/federator/vocab#Algorithm> ; dcterms:title ?t .
        }}""",
    )
    return {(r["t"], r.get("lang", "")) for r in found}


def test_every_source_synced_and_every_record_is_in_the_contract_query(
    layouts: tuple[ox.Store, RunReport],
) -> None:
    store, report = layouts
    assert report.exit_code == 0, {s: r.error for s, r in report.sources.items()}
    got = {(r["source"], r["id"]) for r in rows(store, CONTRACT_QUERY.split("\n", 3)[3])}
    atrs = json.loads((REGISTERS / "uk-atrs" / "records.json").read_text("utf-8"))
    sheet = [f"VB-0{i}" for i in range(1, 5)]
    assert got == (
        {("gemeente-csv", n) for n in sheet}
        | {("gemeente-xlsx", n) for n in sheet}
        | {("uk-atrs", r["id"]) for r in atrs}
        | {("voorbeeldstad", n) for n in ("VS-001", "VS-002", "VS-003")}
    )


def test_spreadsheet_headings_windows_1252_and_dutch_dates(
    layouts: tuple[ox.Store, RunReport],
) -> None:
    store, report = layouts
    for source in ("gemeente-csv", "gemeente-xlsx"):
        assert titles(store, source, "VB-02") == {("Coördinatie onderhoud openbare ruimte", "nl")}
        found = rows(
            store,
            f"""SELECT ?start ?unit WHERE {{
              ?c dcterms:identifier "{source}" ; dcat:record ?r .
              ?r dcterms:identifier "VB-01" ; foaf:primaryTopic ?a .
              ?a dcterms:temporal/dcat:startDate ?start ;
                 <https://w3id.org/dpv#hasOrganisationalUnit>/foaf:name ?unit .
            }}""",
        )
        assert found == [{"start": "2021-03-14", "unit": "Sociaal Domein"}], source
    # Windows-1252 without a word is a guess: the harvest log says so (the workbook is not text).
    csv_codes = {i["code"] for i in report.sources["gemeente-csv"].issues}
    assert "guessed_encoding" in csv_codes
    assert "guessed_encoding" not in {i["code"] for i in report.sources["gemeente-xlsx"].issues}


def test_atrs_records_are_english_with_real_organisations(
    layouts: tuple[ox.Store, RunReport],
) -> None:
    store, _ = layouts
    assert titles(store, "uk-atrs", "atrs-0002") == {("Benefit claim triage model", "en")}
    # No literal of the register's records is labelled Dutch: its language is English.
    tagged = rows(
        store,
        """SELECT DISTINCT (LANG(?o) AS ?lang) WHERE {
          ?c dcterms:identifier "uk-atrs" ; dcat:record ?r .
          ?r foaf:primaryTopic ?a .
          { ?a ?p ?o BIND(?a AS ?s) }
          UNION { ?a <http://www.w3.org/ns/prov#wasDerivedFrom> ?s . ?s ?p ?o }
          UNION { ?a ?q ?s . ?s ?p ?o }
          # what federator wrote of the records, not the vocabulary's own (Dutch) labels
          FILTER(STRSTARTS(STR(?s), "https://algoritmes.example.org/id/"))
          FILTER(isLiteral(?o) && LANG(?o) != "")
        }""",
    )
    assert {r["lang"] for r in tagged} == {"en"}
    publishers = rows(
        store,
        """SELECT DISTINCT ?org ?name WHERE {
          ?c dcterms:identifier "uk-atrs" ; dcat:record ?r .
          ?r foaf:primaryTopic ?a . ?a dcterms:publisher ?org .
          OPTIONAL { ?org foaf:name ?name }
        }""",
    )
    names = {r.get("name") for r in publishers}
    assert {"Example Borough Council", "Department for Example Affairs"} <= names
    assert all(r["org"].startswith("https://") and "{" not in r.get("name", "") for r in publishers)


def test_atrs_nested_fields_land_in_the_shared_vocabulary(
    layouts: tuple[ox.Store, RunReport],
) -> None:
    store, _ = layouts
    found = rows(
        store,
        """PREFIX dpv: <https://w3id.org/dpv#>
        SELECT ?human ?risk ?ia ?data ?mail WHERE {
          ?c dcterms:identifier "uk-atrs" ; dcat:record ?r .
          ?r dcterms:identifier "atrs-0001" ; foaf:primaryTopic ?a .
          ?a dpv:hasHumanInvolvement/dcterms:description ?human ;
             dpv:hasRisk/dcterms:title ?risk ;
             dpv:hasImpactAssessment/dcterms:title ?ia ;
             dpv:hasData/dcterms:title ?data ;
             dcat:contactPoint/<http://www.w3.org/2006/vcard/ns#hasEmail> ?mail .
        }""",
    )
    assert {r["risk"] for r in found} == {"Wrong zone data"}
    assert {r["ia"] for r in found} == {
        "Data Protection Impact Assessment",
        "Equality Impact Assessment",
    }
    assert {r["data"] for r in found} == {"Council address gazetteer"}
    assert {r["mail"] for r in found} == {"mailto:transparency@council.example.org.uk"}
    assert found[0]["human"].startswith("Every refusal is reviewed")


def test_schema_org_titles_in_each_language_and_organisations(
    layouts: tuple[ox.Store, RunReport],
) -> None:
    store, _ = layouts
    assert titles(store, "voorbeeldstad", "VS-001") == {
        ("Parkeervergunning toetsen", "nl"),
        ("Parking permit check", "en"),
    }
    # Only in English: never labelled Dutch.
    assert titles(store, "voorbeeldstad", "VS-003") == {("Subsidy application sorting", "en")}
    descriptions = rows(
        store,
        """SELECT ?d (LANG(?d) AS ?lang) WHERE {
          ?c dcterms:identifier "voorbeeldstad" ; dcat:record ?r .
          ?r dcterms:identifier "VS-001" ; foaf:primaryTopic ?a . ?a dcterms:description ?d .
        }""",
    )
    assert {(r["d"].split()[0], r["lang"]) for r in descriptions} == {
        ("Toetst", "nl"),
        ("Checks", "en"),
    }
    publishers = {
        r["id"]: r["org"]
        for r in rows(
            store,
            """SELECT ?id ?org WHERE {
              ?c dcterms:identifier "voorbeeldstad" ; dcat:record ?r .
              ?r dcterms:identifier ?id ; foaf:primaryTopic ?a . ?a dcterms:publisher ?org .
            }""",
        )
    }
    assert publishers["VS-001"] == publishers["VS-002"] == TOOI_AMSTERDAM
    minted = publishers["VS-003"]
    assert minted.startswith("https://algoritmes.example.org/")
    named = rows(store, f"SELECT ?n WHERE {{ <{minted}> foaf:name ?n }}")
    assert {r["n"] for r in named} == {"Stichting Voorbeeldfonds"}


def test_shipped_layout_mappings_load() -> None:
    from federator.map import spec

    for name in ("uk-atrs", "schema-org"):
        mapping = spec.load(REPO / "mappings" / f"{name}.yaml")
        assert mapping.version == 2
        assert mapping.field("name") is not None


@pytest.mark.parametrize(
    "path", sorted(REGISTERS.glob("*/mapping.yaml")), ids=lambda p: p.parent.name
)
def test_test_register_mappings_load(path: Path) -> None:
    from federator.map import spec

    assert spec.load(path).fields
