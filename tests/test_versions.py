"""Cache keys come from version numbers and data files, never from the text of Python files."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from federator import config, versions
from federator.map import mapper, spec


def test_keys_name_their_versions_and_the_data_they_read() -> None:
    data = b""
    for name in versions.MAPPING_DATA:
        body = resources.files("federator.data").joinpath(name).read_bytes()
        data += f"{name}\0{len(body)}\0".encode() + body
    assert versions.data_digest(*versions.MAPPING_DATA) == hashlib.sha256(data).hexdigest()
    assert f"mapping {versions.MAPPING} " in versions.mapping_key()
    assert f"graphs {versions.GRAPHS} " in versions.graphs_key()


@pytest.mark.parametrize("number", ["MAPPING", "VOCABULARY"])
def test_a_new_mapping_version_changes_the_mapping_key(
    monkeypatch: pytest.MonkeyPatch, number: str
) -> None:
    before = versions.mapping_key()
    monkeypatch.setattr(versions, number, getattr(versions, number) + 1)
    assert versions.mapping_key() != before


def test_an_edited_organisation_list_changes_both_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    before = versions.mapping_key(), versions.graphs_key()
    real = versions.data_digest

    def edited(*names: str) -> str:  # as if organisations.csv had a line more
        return real(*names) + ("+" if "organisations.csv" in names else "")

    monkeypatch.setattr(versions, "data_digest", edited)
    after = versions.mapping_key(), versions.graphs_key()
    assert after[0] != before[0] and after[1] != before[1]


def test_record_digests_do_not_hash_python_sources() -> None:
    # The digest every record carries covers the mapping key, not mapper.py's text.
    assert hashlib.sha256(versions.mapping_key().encode()).hexdigest() == mapper._CODE_DIGEST


def test_a_source_setting_that_changes_its_records_changes_their_digests() -> None:
    cfg = config.load(Path(__file__).parent / "data" / "config" / "good.yaml")
    source = cfg.sources[1]
    mapping = spec.load(spec.builtin_path(source.format))
    before = mapper.mapping_stamp(source, mapping)
    assert mapper.mapping_stamp(source, mapping) == before
    for change in ({"language": "en"}, {"organisation": "gm0363"}, {"lists": "many"}):
        assert mapper.mapping_stamp(replace(source, **change), mapping) != before, change
