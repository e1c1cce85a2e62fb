"""Bad records through the real HTTP path: exactly the expected rejections and warnings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DATA, SHARED, serve_scenario, write_config

from federator import config, report
from federator.pipeline import Federator, RunReport
from federator.query import run_query
from federator.sim import Registers, RegisterServer
from federator.state import State


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Federator, RunReport]]:
    tmp = tmp_path_factory.mktemp("reports")
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, SHARED / "federation-dev")
        # The national register also carries one registration that names no organisation.
        server.registers.api_records.append(
            {"lars": "99999995", "name": "Wees", "description_short": "Van niemand."}
        )
        server.registers.put("broken.json", (DATA / "records" / "broken.json").read_bytes())
        sources.append(
            {
                "id": "gemeente-broken",
                "title": "Broken",
                "level": "municipal",
                "format": "algoritmeregister-json",
                "organisation": "gm0344",
                "url": server.file_url("broken.json"),
            }
        )
        fed = Federator(config.load(write_config(tmp / "f.yaml", sources)))
        yield fed, fed.run_once()


def issues(fed: Federator, rep: RunReport, source: str) -> list[dict[str, str]]:
    return State(fed.config.data_dir).issues(source, rep.run_id)


def test_exactly_the_expected_rejections(run: tuple[Federator, RunReport]) -> None:
    fed, rep = run
    assert rep.exit_code == 0  # rejected records do not fail a source
    broken = issues(fed, rep, "gemeente-broken")
    rejected = {(i["native_id"], i["code"]) for i in broken if i["severity"] == "error"}
    no_id = next(i["native_id"] for i in broken if i["title"] == "Zonder id")
    assert rejected == {
        ("B-1", "missing_name"),
        (no_id, "missing_identifier"),
        ("B-7", "duplicate_id"),
    }
    national = {
        (i["native_id"], i["code"])
        for i in issues(fed, rep, "national")
        if i["severity"] == "error"
    }
    assert national == {("99999995", "missing_organisation")}
    stats = rep.sources["gemeente-broken"].stats
    assert (stats["fetched"], stats["accepted"], stats["rejected"], stats["duplicates"]) == (
        8,
        5,
        2,
        1,
    )


def test_warnings_name_the_field_the_value_and_the_rule(run: tuple[Federator, RunReport]) -> None:
    fed, rep = run
    warned = {
        (i["native_id"], i["code"], i["field"], i["value"])
        for i in issues(fed, rep, "gemeente-broken")
        if i["severity"] == "warning"
    }
    assert ("B-4", "unknown_status", "status", "Wordt besproken") in warned
    assert ("B-5", "unparsed_date", "begin_date", "ergens in 2023") in warned
    assert ("B-6", "invalid_contact", "contact_email", "bel de balie") in warned
    assert ("B-6", "invalid_link", "website", "zie intranet") in warned
    assert ("B-7", "unknown_theme", "category", "Ruimtevaart") in warned
    assert ("B-7", "unknown_publication_category", "publication_category", "Categorie D") in warned
    assert any(w[:3] == ("B-3", "too_long", "name") for w in warned)
    b4 = next(
        i
        for i in issues(fed, rep, "gemeente-broken")
        if i["native_id"] == "B-4" and i["code"] == "unknown_status"
    )
    assert b4["message_en"] == (
        "'status' (\"Status\") value 'Wordt besproken' is not one of In "
        "gebruik, In ontwikkeling, Buiten gebruik; it is kept as text"
    )
    assert b4["message_nl"].startswith("'status' (\"Status\") waarde 'Wordt besproken' is niet")


def test_valid_records_are_all_published_and_rejected_ones_nowhere(
    run: tuple[Federator, RunReport],
) -> None:
    fed, _ = run
    ids = {
        (s["src"].value, s["id"].value)
        for s in run_query(
            fed.store.ox,
            """
        PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?src ?id WHERE { ?c dcterms:identifier ?src ; dcat:record ?r .
                                ?r dcterms:identifier ?id }""",
        )
    }
    broken = {i for s, i in ids if s == "gemeente-broken"}
    assert broken == {"B-3", "B-4", "B-5", "B-6", "B-7"}
    assert ("national", "99999995") not in ids
    assert len([1 for s, _ in ids if s == "national"]) == 1518
    names = {
        s["t"].value
        for s in run_query(
            fed.store.ox,
            """
        SELECT ?t WHERE { ?d <http://purl.org/dc/terms/title> ?t FILTER(?t = "Dubbele id") }""",
        )
    }
    assert names == set()  # the duplicate kept the first record's content


def test_warnings_travel_with_the_published_record(run: tuple[Federator, RunReport]) -> None:
    fed, _ = run
    warnings = [
        s["w"].value
        for s in run_query(
            fed.store.ox,
            """
        PREFIX reg: <https://w3id.org/federator/vocab#> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?w WHERE { ?r dcterms:identifier "B-4" ; reg:warning ?w FILTER(lang(?w) = "en") }""",
        )
    ]
    assert any("Wordt besproken" in w for w in warnings)


def test_quality_measurements_in_the_graph_and_the_log(run: tuple[Federator, RunReport]) -> None:
    fed, rep = run
    rows = {
        s["metric"].value.rsplit("metric-", 1)[1]: float(s["value"].value)
        for s in run_query(
            fed.store.ox,
            """
        PREFIX dqv: <http://www.w3.org/ns/dqv#>
        SELECT ?metric ?value WHERE {
          ?m dqv:computedOn <https://algoritmes.example.org/id/catalog/gemeente-broken> ;
             dqv:isMeasurementOf ?metric ; dqv:value ?value }""",
        )
    }
    assert rows["rejected"] == 2
    assert rows["completeness-name"] == 1.0
    assert rows["completeness-begin_date"] == 0.2  # 1 of the 5 published records
    assert rep.sources["gemeente-broken"].stats["completeness"]["website"] == 0.2


def test_the_terminal_log_lists_rejections_by_native_id(
    run: tuple[Federator, RunReport], tmp_path: Path
) -> None:
    fed, rep = run
    text = report.source_log(State(fed.config.data_dir), "gemeente-broken", None)
    assert text is not None
    assert "Rejected records (3):" in text
    assert "B-1: has no name (field 'name', \"Naam\")" in text
