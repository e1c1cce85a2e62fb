"""Decentral registers that overlap the national one, in the dev scenario's three layouts.

- ``csv``: like ``gemeente-utrecht.csv`` (UTF-8 BOM, every field quoted, standard 1.0);
- ``bulk-0.1``: like ``gemeente-amsterdam.json`` (``{"algoritme_versions": [...]}``, 0.1);
- ``list-1.0``: like ``provincie-groningen.json`` (a plain list, standard 1.0).
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench import drift
from bench.realdata import Org, plain, slug

CSV_HEADER = [
    "algorithm_id",
    "begin_date",
    "description_short",
    "goal",
    "lang",
    "lawful_basis",
    "name",
    "organization",
    "source_id",
    "standard_version",
    "status",
    "url",
    "website",
]
LAYOUTS = {  # layout -> (format, file suffix)
    "csv": ("algoritmeregister-csv", "csv"),
    "bulk-0.1": ("algoritmeregister-json", "json"),
    "list-1.0": ("algoritmeregister-json", "json"),
}
STATUS_01 = {"In gebruik": "Actief", "Buiten gebruik": "Niet actief"}
NATIONAL_PAGE = "https://algoritmes.overheid.nl/nl/algoritme/"
INCLUDED = 0.85  # share of an organisation's national records its own register also lists
OWN_ONLY = 0.15  # registrations (relative to the copies) found only in the decentral register


@dataclass
class Register:
    """One generated decentral register: its source id, layout, body and gold rows."""

    org: Org
    source_id: str
    layout: str
    body: bytes = b""
    gold: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def format(self) -> str:
        return LAYOUTS[self.layout][0]

    @property
    def file(self) -> str:
        return f"{self.source_id}.{LAYOUTS[self.layout][1]}"

    @property
    def level(self) -> str:
        return "provincial" if self.org.type == "provincie" else "municipal"


def choose_orgs(
    rng: random.Random, records: list[dict[str, Any]], orgs: list[Org], share: float
) -> list[tuple[Org, list[dict[str, Any]]]]:
    """Organisations whose own registers together copy about ``share`` of the national ones."""
    by_org: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        if rec.get("org_id"):
            by_org[rec["org_id"]].append(rec)
    eligible = [
        o for o in orgs if o.type in ("gemeente", "provincie") and len(by_org[o.org_id]) > 1
    ]
    rng.shuffle(eligible)
    target = share * len(records) / INCLUDED
    chosen: list[tuple[Org, list[dict[str, Any]]]] = []
    total = 0
    for org in eligible:
        if total >= target:
            break
        count = len(by_org[org.org_id])
        if count > 1.5 * (target - total) + 5:  # keep one big organisation from overshooting
            continue
        chosen.append((org, by_org[org.org_id]))
        total += count
    return chosen


def build_register(
    rng: random.Random,
    org: Org,
    national: list[dict[str, Any]],
    templates: list[dict[str, Any]],
) -> Register:
    """The organisation's own register: drifted copies (links set on the national side for
    some), plus registrations only it publishes. Mutates ``national`` records' link fields."""
    layout = (
        "list-1.0"
        if org.type == "provincie"
        else rng.choice(["csv", "bulk-0.1", "csv", "bulk-0.1", "list-1.0"])
    )
    reg = Register(org, slug(org.name), layout)
    prefix = (org.place[:1].upper() if org.place[:1].isalpha() else "R") + "-"
    rows: list[dict[str, Any]] = []
    copies = [r for r in national if rng.random() < INCLUDED]
    for k, nat in enumerate(copies, start=1):
        sid = f"{prefix}{k:04d}"
        row = _copy(rng, reg, nat, sid)
        roll = rng.random()
        if roll < 0.5:  # explicit evidence on the national side, as real registers give
            nat["source_id"] = sid
        elif roll < 0.7:
            nat["url"] = row["website"]
        cluster = f"{reg.source_id}:{sid}"
        reg.gold += [("national", nat["lars"], cluster), (reg.source_id, sid, cluster)]
        rows.append(row)
    for k in range(round(OWN_ONLY * len(copies))):
        sid = f"{prefix}{9001 + k:04d}"
        tpl = dict(rng.choice(templates))
        place = drift.template_place(tpl.get("organization"))
        for key in ("name", "description_short", "goal"):
            tpl[key] = drift.swap_place(tpl.get(key), place, org.place)
        tpl["lars"] = None
        rows.append(_copy(rng, reg, tpl, sid))
        reg.gold.append((reg.source_id, sid, f"{reg.source_id}:{sid}"))
    rng.shuffle(rows)
    reg.body = _render(layout, rows)
    return reg


def _copy(rng: random.Random, reg: Register, nat: dict[str, Any], sid: str) -> dict[str, Any]:
    """A decentral row in the register's layout, drifted from the national text."""
    status = nat.get("status") or "In gebruik"
    if reg.layout == "bulk-0.1":
        status = STATUS_01.get(status, status)
    elif status == "In gebruik" and rng.random() < 0.15:
        status = "Actief"
    row: dict[str, Any] = {
        "name": drift.drift_title(rng, nat["name"]),
        "organization": drift.org_spelling(rng, reg.org),
        "description_short": drift.drift_text(rng, nat.get("description_short")),
        "status": status,
        "goal": drift.drift_text(rng, nat.get("goal")),
        "lawful_basis": plain(nat.get("lawful_basis")) or None,
        "website": f"https://{reg.source_id}.example.nl/algoritmeregister/{sid.lower()}",
        "url": None,
        "source_id": sid,
        "lang": "Nederlands" if reg.layout == "bulk-0.1" else "nld",
        "standard_version": "0.1" if reg.layout == "bulk-0.1" else "1.0",
    }
    if nat.get("lars") and reg.layout != "bulk-0.1" and rng.random() < 0.15:
        row["url"] = NATIONAL_PAGE + nat["lars"]
    created = nat.get("create_dt")
    if reg.layout == "bulk-0.1":
        row["revision_date"] = drift.free_date(rng, created)
    else:
        row["begin_date"] = created[:7] if created and rng.random() < 0.4 else None
    return row


def _render(layout: str, rows: list[dict[str, Any]]) -> bytes:
    if layout == "bulk-0.1":
        return json.dumps({"algoritme_versions": rows}, indent=1, ensure_ascii=False).encode()
    if layout == "list-1.0":
        return json.dumps(rows, indent=1, ensure_ascii=False).encode()
    return csv_body(rows, CSV_HEADER)


def csv_body(rows: list[dict[str, Any]], header: list[str]) -> bytes:
    """A CSV register as ``gemeente-utrecht.csv`` is written: a UTF-8 BOM, every field quoted;
    the columns ``header`` names, empty where a row has no value."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row[k] for k in header])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
