"""The compiled shapes give exactly pySHACL's results, on real and on broken records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib
from helpers import DATA, SHARED
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import SH

from federator.config import SourceConfig
from federator.harvest import Harvested, readers
from federator.map import spec
from federator.map.mapper import map_records
from federator.validate import shapes
from federator.vocab import Minter

MINTER = Minter("https://algoritmes.example.org/")
VALUE_CONSTRAINTS = {
    SH.MinLengthConstraintComponent,
    SH.MaxLengthConstraintComponent,
    SH.InConstraintComponent,
}


def scenario_graph() -> rdflib.Graph:
    """Every record of the dev scenario and the broken fixtures, mapped, in one graph."""
    graph = rdflib.Graph()
    folder = SHARED / "federation-dev"
    documents = [
        (s["id"], s["format"], folder / s["path"], s.get("org_id"))
        for s in json.loads((folder / "sources.json").read_text("utf-8"))
    ]
    documents.append(("broken", "algoritmeregister-json", DATA / "records" / "broken.json", None))
    documents.append(
        ("v01", "algoritmeregister-json", DATA / "records" / "standard-0.1.json", "gm0363")
    )
    for sid, fmt, path, org in documents:
        level = "national" if sid == "national" else "municipal"
        body = path.read_bytes()
        if fmt == "algoritmeregister-csv":
            records = readers.read_csv(sid, body, "")
        else:
            records = readers.records_from_json(sid, readers.read_json(sid, body, ""))
        src = SourceConfig(
            id=sid, title=sid, level=level, format=fmt, url=str(path), organisation=org
        )
        mapping = spec.load(spec.builtin_path(fmt))
        for rec in map_records(src, Harvested(sid, [], records=records), mapping, MINTER).records:
            for t in rec.triples():
                graph.add(t)
    return graph


def pyshacl_results(data: rdflib.Graph) -> set[tuple[str, str, str]]:
    _, report, _ = pyshacl_validate(data, shacl_graph=shapes.shapes_graph(), allow_warnings=True)
    out = set()
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        component = report.value(result, SH.sourceConstraintComponent)
        value = report.value(result, SH.value) if component in VALUE_CONSTRAINTS else None
        out.add(
            (
                str(report.value(result, SH.focusNode)),
                str(report.value(result, SH.sourceShape)),
                str(value) if value is not None else "",
            )
        )
    return out


def compiled_results(data: rdflib.Graph) -> set[tuple[str, str, str]]:
    return {
        (str(v.focus), str(v.rule.shape), str(v.value) if v.value is not None else "")
        for v in shapes.validate_triples(data)
    }


def test_compiled_shapes_equal_pyshacl_on_real_and_broken_records() -> None:
    data = scenario_graph()
    expected = pyshacl_results(data)
    got = compiled_results(data)
    assert got == expected
    # The comparison is not vacuous: both errors and warnings occur.
    shapes_hit = {shape.rsplit("#", 1)[1] for _, shape, _ in got}
    assert {
        "name",
        "identifier",
        "status-text",
        "name-length",
        "contact-text",
        "begin-date-text",
        "website-text",
        "theme-text",
    } <= shapes_hit


def test_unsupported_constraints_are_refused(tmp_path: Path) -> None:
    text = (Path(shapes.__file__).parents[1] / "data" / "shapes.ttl").read_text("utf-8")
    text = text.replace("sh:maxLength 100 ;", 'sh:pattern "^x" ;', 1)
    with pytest.raises(ValueError, match="not supported"):
        shapes.compile_shapes(rdflib.Graph().parse(data=text, format="turtle"))
