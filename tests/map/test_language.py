"""The mapping language (docs/mappings.md): paths into nested data, value maps, constants and
defaults, prefixes and full IRIs, languages, and mistakes that name their file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, REPO
from rdflib import Literal, URIRef

from federator.config import SourceConfig
from federator.errors import ConfigError, SourceError
from federator.harvest import Harvested, readers
from federator.map import paths, spec
from federator.map.mapper import map_records, raw_records, unmatched
from federator.vocab import Minter

REGISTERS = DATA / "registers"
MISTAKES = REGISTERS / "mistakes"
DCT = "http://purl.org/dc/terms/"


def source(**extra: Any) -> SourceConfig:
    values: dict[str, Any] = {
        "id": "s",
        "title": "S",
        "level": "municipal",
        "format": "json",
        "url": "x",
    }
    return SourceConfig(**{**values, **extra})


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mapping_from(tmp_path: Path, text: str, name: str = "m.yaml") -> spec.Mapping:
    """The mapping a file of ``text`` is (written in the test's folder)."""
    return spec.load(write(tmp_path, text, name))


def test_paths_into_objects_and_lists() -> None:
    record = {
        "organisation": {"name": "Council", "url": "https://c.example"},
        "tier_2": {"risks": [{"risk_name": "Bias"}, {"risk_name": ""}, {"risk_name": "Drift"}]},
        "models": [{"name": "A"}, {"name": "B"}],
        "Versie 1.2": "x",
    }
    assert paths.get(record, "organisation.name") == "Council"
    assert paths.get(record, "tier_2.risks[].risk_name") == ["Bias", "Drift"]
    assert paths.get(record, "tier_2.risks.risk_name") == ["Bias", "Drift"]
    assert paths.get(record, "models[1].name") == "B"
    assert paths.get(record, "Versie 1.2") == "x"  # a key with a dot is found as written
    assert paths.get(record, "organisation.identifier") is None
    assert paths.get(record, "tier_2.ownership.team") is None
    with pytest.raises(paths.PathError):
        paths.parse("a..b")


def test_an_organisation_object_gives_its_name_never_its_repr(tmp_path: Path) -> None:
    mapping = mapping_from(
        tmp_path,
        "extends: algoritmeregister.yaml\nidentity:\n  source_id: [id]\n"
        "  organisation: [organisation]\nfields:\n  provider:\n    from: supplier\n",
    )
    record = {
        "id": "1",
        "name": "A",
        "organisation": {"name": "Example Council", "type": "Local authority"},
        "supplier": {"name": "Vendor Ltd", "country": "UK"},
    }
    rec = map_records(
        source(), Harvested("s", [], records=[record]), mapping, Minter("https://a.example/")
    ).records[0]
    assert rec.organisation_name == "Example Council"
    assert rec.values["provider"] == "Vendor Ltd"
    assert not any("{" in str(t[2]) for t in rec.triples())


def test_value_maps_keep_the_unmapped_value_as_text_with_a_warning(tmp_path: Path) -> None:
    mapping = mapping_from(
        tmp_path,
        """extends: algoritmeregister.yaml
identity: {source_id: [id]}
fields:
  status:
    from: phase
    map: {Production: In gebruik, Beta: In ontwikkeling}
  type:
    from: kind
    value: concept
    fallback: reg:algorithmTypeText
    map:
      Voorspellend model: reg:PredictiveModel
      Regelgebaseerd: https://example.org/types/rules
""",
    )
    records = [
        {"id": "1", "name": "A", "phase": " production ", "kind": "Voorspellend model"},
        {"id": "2", "name": "B", "phase": "Experimental", "kind": "Iets anders"},
    ]
    mapped = map_records(
        source(), Harvested("s", [], records=records), mapping, Minter("https://a.example/")
    )
    first, second = mapped.records
    assert URIRef("https://w3id.org/federator/vocab/status/in-gebruik") in {
        t[2] for t in first.triples()
    }
    assert URIRef("https://w3id.org/federator/vocab#PredictiveModel") in {
        t[2] for t in first.triples()
    }
    assert ("type", "unmapped_value", "Iets anders") in second.warnings
    assert ("status", "unmapped_value", "Experimental") in second.warnings
    kept = {(str(t[1]), str(t[2])) for t in second.triples()}
    assert ("https://w3id.org/federator/vocab#algorithmTypeText", "Iets anders") in kept


def test_constants_defaults_and_the_sources_language(tmp_path: Path) -> None:
    mapping = mapping_from(
        tmp_path,
        """extends: algoritmeregister.yaml
identity: {source_id: [id]}
defaults: {status: In gebruik}
fields:
  area:
    constant: United Kingdom
  department:
    from: team
    default: Central team
""",
    )
    records = [
        {"id": "1", "name": "Triage"},
        {"id": "2", "name": "Other", "status": "Buiten gebruik", "team": "T"},
    ]
    mapped = map_records(
        source(language="en"),
        Harvested("s", [], records=records),
        mapping,
        Minter("https://a.example/"),
    ).records
    assert (
        mapped[0].values["area"] == "United Kingdom"
        and mapped[0].values["department"] == "Central team"
    )
    assert mapped[1].values["department"] == "T"
    assert str(mapped[0].values["status"]).endswith("in-gebruik")
    assert str(mapped[1].values["status"]).endswith("buiten-gebruik")
    titles = [t[2] for t in mapped[0].triples() if str(t[1]) == DCT + "title"]
    assert titles == [Literal("Triage", lang="en")]


def test_records_where_the_mapping_says(tmp_path: Path) -> None:
    mapping = mapping_from(
        tmp_path, "extends: algoritmeregister.yaml\nrecords: {path: data.items}\n"
    )
    doc = {"data": {"items": [{"name": "A", "source_id": "1"}]}}
    assert raw_records(Harvested("s", [], document=doc), mapping) == [
        {"name": "A", "source_id": "1"}
    ]
    with pytest.raises(SourceError, match="data.items"):
        raw_records(Harvested("s", [], document={"data": {}}), mapping)
    plain = mapping_from(tmp_path, "extends: algoritmeregister.yaml\n", "p.yaml")
    for doc in ([{"name": "A"}], {"records": [{"name": "A"}]}, {"@graph": [{"name": "A"}]}):
        assert raw_records(Harvested("s", [], document=doc), plain) == [{"name": "A"}]
    with pytest.raises(SourceError, match="records: {path"):
        raw_records(Harvested("s", [], document={"meta": 1}), plain)


def test_full_iris_anywhere_and_languages_kept_from_rdf() -> None:
    body = (REGISTERS / "schema-org" / "register.jsonld").read_bytes()
    graph = readers.read_rdf("here", body, "application/ld+json", "register.jsonld")
    mapping = spec.load(MISTAKES / "full-iris.yaml")
    mapped = map_records(
        source(format="rdf"), Harvested("s", [], graph=graph), mapping, Minter("https://a.example/")
    )
    by_id = {r.native_id: r for r in mapped.records}
    assert set(by_id) == {"VS-001", "VS-003"}  # SoftwareApplication only, as the mapping says
    titles = {t[2] for t in by_id["VS-001"].triples() if str(t[1]) == DCT + "title"}
    assert titles == {
        Literal("Parkeervergunning toetsen", lang="nl"),
        Literal("Parking permit check", lang="en"),
    }
    assert by_id["VS-003"].lang == "en"  # its name is only English: never labelled Dutch
    assert by_id["VS-003"].organisation_name == "Stichting Voorbeeldfonds"


def test_schema_org_over_http_and_in_turtle() -> None:
    ttl = b"""@prefix s: <http://schema.org/> .
<https://x.example/1> a s:CreativeWork ; s:identifier "T-1" ;
  s:name "Naam"@nl, "Name"@en ; s:description "Omschrijving"@nl ;
  s:publisher [ s:name "Gemeente Amsterdam" ; s:identifier "gm0363" ] ;
  s:maintainer [ s:name "Team X" ; s:email "x@example.org" ] ."""
    graph = readers.read_rdf("here", ttl, "text/turtle", "r.ttl")
    mapping = spec.load(REPO / "mappings" / "schema-org.yaml")
    (rec,) = map_records(
        source(format="rdf"), Harvested("s", [], graph=graph), mapping, Minter("https://a.example/")
    ).records
    assert rec.organisation == "https://identifier.overheid.nl/tooi/id/gemeente/gm0363"
    assert {(str(t[2]), t[2].language) for t in rec.triples() if str(t[1]) == DCT + "title"} == {
        ("Naam", "nl"),
        ("Name", "en"),
    }
    assert URIRef("mailto:x@example.org") in {t[2] for t in rec.triples()}


def test_mistakes_in_a_mapping_name_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        spec.load(MISTAKES / "unknown-prefix.yaml")
    assert f"{MISTAKES / 'unknown-prefix.yaml'}:6:" in err.value.message
    assert "fields.maintainer.property" in err.value.message
    cases = {
        "fields:\n  name:\n    from: a..b\n    property: dcterms:title\n": ":3:",
        "extends: algoritmeregister.yaml\nfields:\n  x:\n    property: dcterms:title\n"
        "    transforms: [nope]\n": ":5:",
        "extends: algoritmeregister.yaml\nrecords:\n  type: foo:Bar\n": ":3:",
        "extends: algoritmeregister.yaml\nrecrods: {}\n": ":2:",
    }
    for text, line in cases.items():
        with pytest.raises(ConfigError) as err:
            spec.load(write(tmp_path, text, f"case{len(text)}.yaml"))
        assert line in err.value.message, (text, err.value.message)


def test_prefixes_a_mapping_declares(tmp_path: Path) -> None:
    mapping = mapping_from(
        tmp_path,
        "extends: algoritmeregister.yaml\nprefixes: {ex: 'https://example.org/ns#'}\n"
        "fields:\n  x:\n    property: ex:thing\n",
    )
    x = mapping.field("x")
    assert x is not None and x.property == URIRef("https://example.org/ns#thing")


def test_unmatched_names_renames_fields_and_nested_paths() -> None:
    atrs = json.loads((REGISTERS / "uk-atrs" / "records.json").read_text("utf-8"))
    found = unmatched(atrs, spec.load(MISTAKES / "nested-nothing.yaml"), own_only=True)
    assert [u["key"] for u in found] == ["fields.department"]
    assert found[0]["where"] == f"{MISTAKES / 'nested-nothing.yaml'}:7"
    rows = [{"Kenmerk": "1", "Naam algoritme": "A", "Korte omschrijving": "B"}]
    found = unmatched(rows, spec.load(MISTAKES / "missing-column.yaml"), own_only=True)
    assert [u["key"] for u in found] == ["rename.Omschrijving"]


def test_a_language_tag_no_rdf_text_can_carry_is_the_records_language() -> None:
    """A register's own ``@language`` that is no language tag (a hostile or broken value)
    costs neither the register nor the record: the text is in the record's language."""
    records = [
        {"source_id": "a1", "name": [{"@value": "Naam", "@language": "en us!"}],
         "organization": "Gemeente Utrecht",
         "goal": [{"@value": "Doel", "@language": "nl"}, {"@value": "Aim", "@language": "-"}]},
        {"source_id": "a2", "name": "Goed", "organization": "Gemeente Utrecht"},
    ]  # fmt: skip
    harvested = Harvested("s", [])
    harvested.records = records
    src = source(format="algoritmeregister-json", organisation="gm0344")
    mapping = spec.load(spec.builtin_path(src.format))
    result = map_records(src, harvested, mapping, Minter("https://algoritmes.example.org/"))
    assert [r.native_id for r in result.records] == ["a1", "a2"]
    first = {str(p): o for _, p, o in result.records[0].triples()}
    assert first[DCT + "title"] == Literal("Naam", lang="nl")
