"""Configuration: the contract's keys, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from federator import config
from federator.errors import ConfigError

GOOD = Path(__file__).parent / "data" / "config" / "good.yaml"


def test_good_config_reads_every_contract_key() -> None:
    cfg = config.load(GOOD)
    assert cfg.base_iri == "https://algoritmes.example.org/"
    assert cfg.data_dir == GOOD.parent / "var"  # relative to the config file
    assert cfg.server["port"] == 8000 and cfg.harvest["retries"] == 5
    national, utrecht = cfg.sources
    assert national.priority == 10 and national.schedule == "0 */6 * * *"
    assert utrecht.priority == 20  # decentral registers win by default
    assert utrecht.url == str((GOOD.parent / "registers" / "utrecht.csv").resolve())
    assert utrecht.schedule == {"every": "6h"}


def broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "federator.yaml"
    text = GOOD.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            "    format: algoritmeregister-csv",
            "    format: excel",
            15,
            "sources[1].format: unknown format 'excel'",
        ),
        ("    priority: 10", "    priorty: 10", 10, "sources[0].priorty: unknown key"),
        ("server: {host", "sever: {host", 3, "sever: unknown key"),
        ("  - id: gemeente-utrecht", "  - id: national", 12, "duplicate source id 'national'"),
        ("    level: municipal", "    level: city", 14, "unknown level 'city'"),
        ("    schedule: {every: 6h}", "    schedule: {every: soon}", 18, "invalid interval"),
        ('    schedule: "0 */6 * * *"', '    schedule: "0 */6 * *"', 11, "invalid cron expression"),
        ("  - id: gemeente-utrecht", "  - id: Gemeente Utrecht", 12, "must match [a-z0-9-]+"),
        ("base_iri: https://algoritmes.example.org/", "base_iri: algoritmes", 2, "base_iri"),
        ("data_dir: var", "data_dir: var\ndata_dir: x", 2, "duplicate key"),
        ("    title: Algoritmeregister\n", "    title: [Algoritmeregister\n", 7, "malformed YAML"),
        ("    priority: 10", "    priority: high", 10, "expected int, got str"),
    ],
)
def test_bad_config_names_file_line_and_key(
    tmp_path: Path, old: str, new: str, line: int, words: str
) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    message = str(err.value)
    assert words in message
    assert f"{path}:{line}" in message, message


def test_unreadable_mapping_file_is_a_config_error(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("extends: algoritmeregister.yaml\nfields:\n  name: {property: x:y}\n")
    path = broken(tmp_path, "    priority: 10", f"    mapping: {mapping}")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert "sources[0].mapping" in str(err.value) and "unknown prefix" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        config.load(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["federator.yaml", "docker.yaml"])
def test_shipped_configs_load(name: str) -> None:
    cfg = config.load(Path(__file__).resolve().parents[1] / "config" / name)
    assert [s.id for s in cfg.sources] == ["national"]
