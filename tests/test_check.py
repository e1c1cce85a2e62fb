"""Mistakes that speak: ``federator check``, and the failures that used to be silent, each run
end to end against registers served on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, REPO, write_config

from federator import cli, config, log
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator, RunReport
from federator.publish import snapshot
from federator.query import run_query
from federator.sim import RegisterServer

REGISTERS = DATA / "registers"
SHEET = REGISTERS / "gemeente-spreadsheet"
MISTAKES = REGISTERS / "mistakes"
ATRS = REGISTERS / "uk-atrs" / "records.json"


@pytest.fixture(autouse=True)
def quiet_logs() -> Iterator[None]:
    """``cli.main`` points the logs at this test's captured stderr: point them back."""
    yield
    log.configure(json=True, level="warning")


def sheet_source(server: RegisterServer, mapping: Path, **extra: Any) -> dict[str, Any]:
    server.registers.put("algoritmes.csv", (SHEET / "algoritmes.csv").read_bytes(), "text/csv")
    return {
        "id": "gemeente",
        "title": "Gemeente",
        "level": "municipal",
        "format": "csv",
        "url": server.file_url("algoritmes.csv"),
        "organisation": "gm0344",
        "mapping": str(mapping),
        **extra,
    }


def atrs_source(server: RegisterServer, mapping: Path) -> dict[str, Any]:
    server.registers.put("atrs.json", ATRS.read_bytes())
    return {
        "id": "uk",
        "title": "UK ATRS",
        "level": "national",
        "format": "json",
        "url": server.file_url("atrs.json"),
        "mapping": str(mapping),
        "language": "en",
    }


def run(cfg_path: Path) -> RunReport:
    fed = Federator(config.load(cfg_path))
    try:
        return fed.run_once()
    finally:
        fed.close()


def matched_nothing(
    tmp_path: Path, source: dict[str, Any]
) -> tuple[RunReport, list[dict[str, Any]]]:
    """A run over one source: its report, and its warnings that the mapping read nothing."""
    report = run(write_config(tmp_path / "f.yaml", [source]))
    issues = report.sources[source["id"]].issues
    return report, [i for i in issues if i["code"] == "mapping_matched_nothing"]


def published_ids(cfg_path: Path) -> set[tuple[str, str]]:
    store = snapshot.open_current(config.load(cfg_path).data_dir)
    assert store is not None
    return {(s["source"].value, s["id"].value) for s in run_query(store, CONTRACT_QUERY)}


def test_check_prints_fields_samples_and_keys_that_matched_nothing(
    registers: RegisterServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(
        tmp_path / "f.yaml", [atrs_source(registers, MISTAKES / "nested-nothing.yaml")]
    )
    assert cli.main(["check", "--config", str(cfg), "--source", "uk"]) == 0
    out = capsys.readouterr().out
    assert "records: 3, accepted 3, rejected 0" in out
    assert "'Benefit claim triage model'" in out  # a sample value of 'name'
    assert "fields.department reads tier_2.ownership.team" in out
    assert f"{MISTAKES / 'nested-nothing.yaml'}:7" in out
    assert "mapping usable" in out
    assert not (tmp_path / "var" / "store").exists()  # nothing published


def test_check_fails_when_every_record_is_rejected(
    registers: RegisterServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path / "f.yaml", [atrs_source(registers, MISTAKES / "wrong-name.yaml")])
    assert cli.main(["check", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert "rejected because: missing_name 3" in out
    assert "fields.name reads title" in out
    assert "NOT usable" in out


def test_a_rename_of_a_column_that_does_not_exist_is_a_warning_naming_the_mapping(
    registers: RegisterServer, tmp_path: Path
) -> None:
    _, issues = matched_nothing(tmp_path, sheet_source(registers, MISTAKES / "missing-column.yaml"))
    assert [i["value"] for i in issues] == ["rename.Omschrijving"]
    assert f"{MISTAKES / 'missing-column.yaml'}:6" in issues[0]["message_en"]


def test_a_nested_path_that_matches_nothing_is_a_warning_naming_file_and_key(
    registers: RegisterServer, tmp_path: Path
) -> None:
    report, issues = matched_nothing(
        tmp_path, atrs_source(registers, MISTAKES / "nested-nothing.yaml")
    )
    assert report.exit_code == 0
    assert [i["value"] for i in issues] == ["fields.department"]
    assert "tier_2.ownership.team" in issues[0]["message_en"]
    assert "nested-nothing.yaml:7" in issues[0]["message_nl"]


def test_every_record_rejected_fails_the_source_and_keeps_its_last_good_graph(
    registers: RegisterServer, tmp_path: Path
) -> None:
    mapping = tmp_path / "atrs.yaml"
    shutil.copy(REPO / "mappings" / "uk-atrs.yaml", mapping)
    cfg = write_config(tmp_path / "f.yaml", [atrs_source(registers, mapping)])
    assert run(cfg).exit_code == 0
    before = published_ids(cfg)
    assert len(before) == 3
    # The mapping now reads the name from a key nobody has (the register answers 304).
    mapping.write_text(
        mapping.read_text("utf-8").replace("  name:\n    from: name", "  name:\n    from: title"),
        encoding="utf-8",
    )
    report = run(cfg)
    assert report.exit_code == 1
    sr = report.sources["uk"]
    assert sr.outcome == "failed" and sr.error_code == "all_rejected"
    assert str(mapping) in (sr.error or "") and "fields.name" in (sr.error or "")
    assert "title" in (sr.error or "")
    assert published_ids(cfg) == before
    code = cli.main(["run", "--once", "--config", str(cfg)])
    assert code == 1


def sheet_without_department(registers: RegisterServer, tmp_path: Path) -> tuple[Path, str, Path]:
    """The spreadsheet register with its shipped mapping less the ``Afdeling`` rename: (the
    mapping file, the whole mapping's text to write later, the config file)."""
    mapping = tmp_path / "sheet.yaml"
    text = (
        (SHEET / "mapping.yaml")
        .read_text("utf-8")
        .replace(
            "extends: algoritmeregister.yaml",
            f"extends: {REPO / 'mappings' / 'algoritmeregister.yaml'}",
        )
    )
    mapping.write_text(text.replace("  Afdeling: department\n", ""), encoding="utf-8")
    return mapping, text, write_config(tmp_path / "f.yaml", [sheet_source(registers, mapping)])


def test_a_changed_mapping_is_applied_under_a_304(
    registers: RegisterServer, tmp_path: Path
) -> None:
    mapping, text, cfg = sheet_without_department(registers, tmp_path)
    assert run(cfg).exit_code == 0
    query = """PREFIX dpv: <https://w3id.org/dpv#>
    SELECT ?unit WHERE { ?a dpv:hasOrganisationalUnit/<http://xmlns.com/foaf/0.1/name> ?unit }"""

    def units() -> set[str]:
        store = snapshot.open_current(config.load(cfg).data_dir)
        assert store is not None
        return {s["unit"].value for s in run_query(store, query)}

    assert units() == set()
    mapping.write_text(text, encoding="utf-8")  # the operator adds the rename
    report = run(cfg)
    assert report.exit_code == 0
    statuses = {str(k): v for k, v in report.sources["gemeente"].statuses.items()}
    assert statuses.get("304")  # the register answered: not modified
    assert "Sociaal Domein" in units()
    # And a third run, nothing changed at all: a plain 304, nothing replayed.
    third = run(cfg)
    assert third.sources["gemeente"].stats.get("fetched") == 0


def test_a_changed_mapping_that_cannot_be_replayed_is_tried_again(
    registers: RegisterServer, tmp_path: Path
) -> None:
    mapping, text, cfg = sheet_without_department(registers, tmp_path)
    first = run(cfg).sources["gemeente"].stats["mapping"]
    mapping.write_text(text, encoding="utf-8")  # the operator adds the rename...
    raw = config.load(cfg).data_dir / "raw"
    moved = tmp_path / "raw-aside"
    shutil.move(raw, moved)  # ...while the stored payloads cannot be read
    second = run(cfg).sources["gemeente"]
    assert second.stats.get("fetched") == 0  # a 304, and nothing to replay
    assert second.stats.get("mapping") == first  # the old mapping still made the records
    shutil.move(moved, raw)
    third = run(cfg).sources["gemeente"]  # so the next run applies it
    assert third.stats.get("mapping") != first
