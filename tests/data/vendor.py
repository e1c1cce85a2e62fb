"""How the vendored scenario and reference data in ``tests/data`` was cut (see its README).

The developers' shared data folder (not part of the repository) is where it came from; the
tests read only the copies here, and this script runs only by hand, given that folder:

    python tests/data/vendor.py PATH/TO/shared/data

Copied verbatim: ``federation-dev/`` (whole), ``federation-dev-hard/`` except its national
register, ``reference/dcat-ap-3.0.1/shapes.ttl``, ``reference/publicatiestandaard-v1_0.json``.
Cut, keeping the records verbatim and the files' own layout:

- ``federation-dev-hard/national/records.json``: the national records that resolution can
  meet (every record of an organisation that has a decentral register in the scenario, by
  TOOI code or by a word of its name, which also keeps look-alikes such as Midden-Groningen),
  every record in ``gold.csv``, and up to three records of other organisations per title that
  a decentral register also uses (``Anonimiseren`` and the like: the same name at different
  organisations, which must stay apart). ``gold.csv`` is unchanged: no record it names is cut.
- ``algoritmeregister/snapshots/*.json``: every registration that was added, withdrawn or
  changed between two snapshots, and every tenth of the others (in the first snapshot's order);
  ``count`` says how many each file holds.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DAYS = ("2026-06-22", "2026-07-22", "2026-08-08")
VERBATIM = (
    "federation-dev/sources.json",
    "federation-dev/gold.csv",
    "federation-dev/national/records.json",
    "federation-dev/gemeente-utrecht.csv",
    "federation-dev/gemeente-amsterdam.json",
    "federation-dev/provincie-groningen.json",
    "reference/dcat-ap-3.0.1/shapes.ttl",
    "reference/publicatiestandaard-v1_0.json",
    "algoritmeregister/snapshots/LICENSE-upstream.txt",
)
GENERIC = {"gemeente", "provincie", "stichting", "nederland", "bureau", "de", "het", "van", "en"}
SAME_TITLE = 3  # national records of other organisations kept per title of a decentral record
EVERY = 10  # of the snapshot registrations that never change, one in this many is kept


def _words(text: str | None) -> set[str]:
    return set(re.findall(r"\w+", (text or "").lower()))


def _title(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    doc = json.loads(path.read_text("utf-8"))
    return list(doc["algoritme_versions"] if isinstance(doc, dict) else doc)


def hard_national(folder: Path) -> list[dict[str, Any]]:
    sources = json.loads((folder / "sources.json").read_text("utf-8"))
    decentral = [s for s in sources if s["format"] != "algoritmeregister-api"]
    codes = {s["org_id"] for s in decentral if s.get("org_id")}
    names = set().union(*(_words(s.get("organisation")) - GENERIC for s in decentral))
    titles = {_title(r.get("name")) for s in decentral for r in _rows(folder / s["path"])}
    with (folder / "gold.csv").open(encoding="utf-8", newline="") as fh:
        gold = {r["native_id"] for r in csv.DictReader(fh) if r["source"] == "national"}
    national = json.loads((folder / "national" / "records.json").read_text("utf-8"))
    kept, per_title = [], Counter[str]()
    for rec in national:
        title = _title(rec.get("name"))
        same_org = rec.get("org_id") in codes or _words(rec.get("organization")) & names
        if same_org or str(rec["lars"]) in gold:
            kept.append(rec)
        elif title in titles and per_title[title] < SAME_TITLE:
            per_title[title] += 1
            kept.append(rec)
    assert gold <= {str(r["lars"]) for r in kept}
    return kept


def snapshots(folder: Path) -> dict[str, dict[str, Any]]:
    docs = {d: json.loads((folder / f"{d}.json").read_text("utf-8")) for d in DAYS}
    by_id = [{r["id"]: r for r in docs[d]["algoritmes"]} for d in DAYS]
    touched: set[str] = set()
    for before, after in zip(by_id, by_id[1:], strict=False):
        touched |= set(before) ^ set(after)
        touched |= {k for k in before.keys() & after.keys() if before[k] != after[k]}
    still = [r["id"] for r in docs[DAYS[0]]["algoritmes"] if r["id"] not in touched]
    keep = touched | set(still[::EVERY])
    out = {}
    for d, doc in docs.items():
        records = [r for r in doc["algoritmes"] if r["id"] in keep]
        out[d] = {**doc, "algoritmes": records, "count": len(records)}
    return out


def main(shared: Path) -> None:
    for name in VERBATIM:
        (HERE / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / name, HERE / name)
    hard = shared / "federation-dev-hard"
    (HERE / "federation-dev-hard" / "national").mkdir(parents=True, exist_ok=True)
    for path in hard.iterdir():
        if path.is_file():
            shutil.copyfile(path, HERE / "federation-dev-hard" / path.name)
    out = HERE / "federation-dev-hard" / "national" / "records.json"
    out.write_text(json.dumps(hard_national(hard), indent=1, ensure_ascii=False), "utf-8")
    for day, doc in snapshots(shared / "algoritmeregister" / "snapshots").items():
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (HERE / "algoritmeregister" / "snapshots" / f"{day}.json").write_text(text, "utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/data/vendor.py SHARED_DATA_FOLDER")
    main(Path(sys.argv[1]))
