"""Fixtures for the resolve tests: the development scenarios as ``Candidate`` lists plus gold."""

from __future__ import annotations

import csv
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from federator import orgs
from federator.resolve.candidates import Candidate, RecordKey

DATA = Path(__file__).resolve().parents[1] / "data"  # the scenarios vendored in tests/data
MINTED = "https://example.org/id/organisation/"

_TAG = re.compile(r"<[^>]+>")
_STATUS = {
    "in gebruik": "in-gebruik",
    "actief": "in-gebruik",
    "active": "in-gebruik",
    "in ontwikkeling": "in-ontwikkeling",
    "buiten gebruik": "buiten-gebruik",
    "niet actief": "buiten-gebruik",
}
_STATUS_NS = "https://w3id.org/federator/vocab/status/"


@dataclass
class Scenario:
    name: str
    candidates: list[Candidate]
    gold: dict[RecordKey, str]  # record -> gold cluster id (records absent are singletons)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = html.unescape(_TAG.sub(" ", str(value))).replace("\xa0", " ")
    s = " ".join(s.split())
    return s or None


def _status(value: Any) -> str | None:
    s = _text(value)
    if s is None:
        return None
    key = _STATUS.get(s.lower())
    return _STATUS_NS + key if key else None


def _date(value: Any) -> str | None:
    s = _text(value)
    return s if s and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", s) else None


def _minted(name: str) -> str:
    return MINTED + orgs.normalise_name(name).replace(" ", "-")


def _national_org(rec: dict[str, Any]) -> str:
    if rec.get("org_id") and (iri := orgs.tooi_from_code(rec["org_id"])):
        return iri
    if hit := orgs.lookup(rec["organization"]):
        return hit[0]
    return _minted(rec["organization"])


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [
                {k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(fh)
            ]
    data = json.loads(path.read_text("utf-8"))
    return list(data["algoritme_versions"] if isinstance(data, dict) else data)


def load_scenario(folder: Path) -> Scenario:
    """Turn a scenario folder into candidates (one place, so the real mapping can replace it)."""
    sources = json.loads((folder / "sources.json").read_text("utf-8"))
    candidates: list[Candidate] = []
    for src in sources:
        national = src["level"] == "national" and src["format"] == "algoritmeregister-api"
        src_org = None
        if not national:
            code = src.get("org_id")
            src_org = (orgs.tooi_from_code(code) if code else None) or _minted(src["organisation"])
        for rec in _rows(folder / src["path"]):
            lars = rec.get("lars") or rec.get("algorithm_id")
            native = lars or rec.get("source_id")
            if not native:
                continue
            candidates.append(
                Candidate(
                    source=src["id"],
                    native_id=str(native),
                    level=src["level"],
                    priority=10 if src["level"] == "national" else 20,
                    org=_national_org(rec) if national else str(src_org),
                    org_name=rec.get("organization") or src.get("organisation") or "",
                    name=_text(rec.get("name")) or "",
                    description=_text(rec.get("description_short")),
                    goal=_text(rec.get("goal")),
                    lawful_basis=_text(rec.get("lawful_basis")),
                    lars=lars,
                    source_id=_text(rec.get("source_id")),
                    url=_text(rec.get("url")),
                    website=_text(rec.get("website")),
                    begin_date=_date(rec.get("begin_date")),
                    modified=_text(rec.get("create_dt")),
                    status=_status(rec.get("status")),
                    provider=_text(rec.get("provider")),
                )
            )
    gold: dict[RecordKey, str] = {}
    with (folder / "gold.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            gold[(row["source"], row["native_id"])] = row["cluster"]
    return Scenario(folder.name, candidates, gold)


@pytest.fixture(scope="session", params=["federation-dev", "federation-dev-hard"])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return load_scenario(DATA / request.param)
