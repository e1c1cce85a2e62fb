"""The real inputs the generator grows from: national API records, snapshot texts, organisations."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The benchmark grows the CC0 data vendored for the tests (tests/data, see its README: the
# national records whole, the register's snapshots cut) and the organisations federator ships.
# A folder in the same layout with the snapshots whole may be given instead (``shared``).
SHARED = REPO / "tests" / "data"
ORGANISATIONS = REPO / "federator" / "data" / "organisations.csv"
LOCAL_GOVERNMENT = ("gemeente", "provincie", "waterschap")  # the bodies registers are grown for
TOOI = "https://identifier.overheid.nl/tooi/id/"
_SNAPSHOT_STATUS = {
    "in_gebruik": "In gebruik",
    "ontwikkeling": "In ontwikkeling",
    "buiten_gebruik": "Buiten gebruik",
}
_TAG = re.compile(r"<[^>]+>")


def slug(text: str) -> str:
    """'Gemeente Súdwest-Fryslân' -> 'gemeente-sudwest-fryslan' (the API's ``code`` style)."""
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def plain(text: str | None) -> str:
    """Text without HTML tags and with collapsed whitespace."""
    return " ".join(_TAG.sub(" ", text or "").split())


@dataclass(frozen=True)
class Org:
    """An organisation of the reference list: 'Gemeente Utrecht', 'gm0344', 'gemeente'."""

    name: str
    org_id: str
    type: str

    @property
    def place(self) -> str:
        """The name without its kind: 'Gemeente Utrecht' -> 'Utrecht'."""
        head, _, rest = self.name.partition(" ")
        return (
            rest if head.lower() in ("gemeente", "provincie", "waterschap") and rest else self.name
        )

    @property
    def tooi(self) -> str:
        return f"{TOOI}{self.type}/{self.org_id}"


def require(shared: Path, *parts: str) -> Path:
    """``shared / parts``, or a clear exit when the shared data is not there."""
    path = shared.joinpath(*parts)
    if not path.exists():
        raise SystemExit(
            f"bench: {path} not found. The benchmark grows the data in tests/data "
            f"(federation-dev, the register snapshots); a folder given instead needs the "
            f"same layout."
        )
    return path


def organisations(path: Path = ORGANISATIONS) -> list[Org]:
    """The municipalities, provinces and water boards of the bundled TOOI list."""
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter=";")
        return [
            Org(r["name"], r["org_id"], r["type"]) for r in rows if r["type"] in LOCAL_GOVERNMENT
        ]


def national_records(shared: Path = SHARED) -> list[dict[str, Any]]:
    path = require(shared, "federation-dev", "national", "records.json")
    records: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return records


def snapshot_templates(
    national: list[dict[str, Any]], shared: Path = SHARED
) -> list[dict[str, Any]]:
    """Registrations of the CC0 snapshots whose text the national records do not already hold,
    in the API record shape (the snapshots keep older wordings of changed registrations)."""
    keys = list(national[0])
    seen = {(r["name"], plain(r["goal"])) for r in national}
    orgs = {r["organization"]: (r["org_id"], r["code"]) for r in national}
    out: list[dict[str, Any]] = []
    for path in sorted(require(shared, "algoritmeregister", "snapshots").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["algoritmes"]:
            doel = plain(item.get("doel"))
            if not item.get("title") or not doel or (item["title"], doel) in seen:
                continue
            seen.add((item["title"], doel))
            rec: dict[str, Any] = dict.fromkeys(keys)
            org_id, code = orgs.get(item["organisatie"], (None, slug(item["organisatie"])))
            first = re.split(r"(?<=[.!?])\s+", doel, maxsplit=1)[0]
            rec.update(
                name=item["title"],
                organization=item["organisatie"],
                description_short=f"<p>{first}</p>",
                goal=f"<p>{doel}</p>",
                lawful_basis=item.get("juridische_basis") or None,
                status=_SNAPSHOT_STATUS.get(item.get("status", ""), "In gebruik"),
                lawful_basis_grouping=[],
                impacttoetsen_grouping=[],
                source_data_grouping=[],
                lang="nld",
                standard_version="1.0",
                language="NLD",
                code=code,
                org_id=org_id,
            )
            out.append(rec)
    return out
