"""Refresh ``federator/data/organisations.csv`` with the national bodies the register's data codes.

    .venv/bin/python -m bench.orgs_list RECORDS.json [RECORDS.json ...] [--write]

Reads the national register's records (the API's result shape, a list or ``{"results": [...]}``,
or the bulk export ``{"algoritme_versions": [...]}``; every record with an ``org_id`` and an
``organization``) and prints the rows of bodies whose TOOI code the list does not hold yet
(ministries ``mnre``, ZBOs ``zb``, other organisations ``oorg``, ...). With ``--write`` they are
appended to the bundled list. The municipalities, provinces and water boards come from the
reference list of TOOI codes (``reference/organisations.csv``). Data: CC0 (the register's).
Names a body is also known by (abbreviations) may be added as rows of their own with the same
code: the first row of a code gives its official name.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

from federator.vocab import TOOI_TYPES

LIST = Path(__file__).resolve().parents[1] / "federator" / "data" / "organisations.csv"


def _records(path: Path) -> list[dict[str, object]]:
    data = json.loads(path.read_text("utf-8"))
    if isinstance(data, dict):
        data = data.get("results") or data.get("algoritme_versions") or []
    return [r for r in data if isinstance(r, dict)]


def new_rows(paths: list[Path]) -> list[list[str]]:
    with LIST.open(encoding="utf-8", newline="") as fh:
        known = {row["org_id"] for row in csv.DictReader(fh, delimiter=";")}
    names: dict[str, Counter[str]] = {}
    for path in paths:
        for rec in _records(path):
            code = str(rec.get("org_id") or "").strip().lower()
            name = str(rec.get("organization") or "").strip()
            prefix = code.rstrip("0123456789")
            if code and name and code not in known and prefix in TOOI_TYPES:
                names.setdefault(code, Counter())[name] += 1
    return [
        [counts.most_common(1)[0][0], code.upper(), code, TOOI_TYPES[code.rstrip("0123456789")]]
        for code, counts in sorted(names.items())
    ]


def main(argv: list[str]) -> int:
    write = "--write" in argv
    rows = new_rows([Path(a) for a in argv if a != "--write"])
    for row in rows:
        print(";".join(row))
    if write and rows:
        with LIST.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh, delimiter=";", lineterminator="\n").writerows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
