"""docs/mappings.md is the whole mapping language: every key, value kind, transform and field of
the standard is in it, and every mapping file it shows loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import REPO

from federator.map import spec, transforms

DOC = (REPO / "docs" / "mappings.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, re.S)
MAPPINGS = [b for b in BLOCKS if b.startswith("name:")]


def test_every_key_kind_transform_and_standard_field_is_documented() -> None:
    names = [
        *spec.TOP_KEYS,
        *spec.FIELD_KEYS,
        *spec.VALUE_KINDS,
        *transforms.REGISTRY,
        *(f.name for f in spec.load(spec.builtin_path("algoritmeregister")).fields),
        *spec.load(spec.builtin_path("algoritmeregister")).identity,
        *("records." + k for k in spec.RECORD_KEYS),
    ]
    missing = [n for n in names if f"`{n}`" not in DOC]
    assert not missing, f"not in docs/mappings.md: {missing}"
    assert f"language (version {spec.LANGUAGE_VERSION})" in DOC


@pytest.mark.parametrize("text", MAPPINGS, ids=lambda t: t.split("\n", 1)[0])
def test_every_mapping_file_the_doc_shows_loads(text: str, tmp_path: Path) -> None:
    path = tmp_path / "shown.yaml"
    path.write_text(text, encoding="utf-8")
    assert spec.load(path).fields


def test_the_doc_shows_a_mapping_per_shipped_mapping() -> None:
    shown = {b.split("\n", 1)[0].removeprefix("name: ") for b in MAPPINGS}
    assert {"gemeente-voorbeeld", "algoritmeregister-csv", "rdf", "uk-atrs", "schema-org"} <= shown


def test_the_spreadsheet_example_is_the_tested_one() -> None:
    """The worked spreadsheet mapping is the one tests/map/test_layouts.py onboards."""
    tested = (REPO / "tests/data/registers/gemeente-spreadsheet/mapping.yaml").read_text("utf-8")
    shown = next(b for b in MAPPINGS if b.startswith("name: gemeente-voorbeeld"))
    assert shown == tested[tested.index("name:") :]
