"""Grow the real register data to N national registrations plus overlapping decentral registers.

``build(n, seed)`` is deterministic. Every national record keeps the API result shape of the
real ones (all keys), gets a new 8-digit ``lars`` with the register's check digit, and keeps a
real text: the first copy of each text stays with its own organisation, later copies go to
other organisations of the reference list with the text varied (place names, titles, sentence
order). About ``overlap`` of the national records are also published, drifted, in decentral
registers of their organisation (see ``bench.decentral``).

CLI: ``python -m bench.generate N OUTDIR [--seed S]`` writes ``records.json``, the decentral
files, ``sources.json`` and ``gold.csv`` (``source,native_id,cluster`` as in the dev scenario).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import decentral, drift, realdata
from bench.realdata import Org, slug

EPOCH = datetime(2022, 6, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 8, 7, tzinfo=UTC) - EPOCH).total_seconds())
LINK_FIELDS = ("source_id", "url", "website")


@dataclass(frozen=True)
class SourceEntry:
    """One register of the scenario; ``organisation`` is the publisher's TOOI code."""

    id: str
    title: str
    level: str
    format: str
    file: str
    organisation: str | None = None
    organisation_name: str | None = None


@dataclass
class Scenario:
    """API records (newest ``create_dt`` first), decentral documents and who publishes what."""

    n: int
    seed: int
    api_records: list[dict[str, Any]]
    documents: dict[str, bytes]
    sources: list[SourceEntry]
    gold: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def decentral(self) -> list[SourceEntry]:
        return [s for s in self.sources if s.level != "national"]


def check_digit(first7: str) -> str:
    """The last digit of a lars: weights 3,1,3,1,3,1,3, modulo 10 (fits every real lars)."""
    return str(sum(int(c) * w for c, w in zip(first7, (3, 1, 3, 1, 3, 1, 3), strict=True)) % 10)


def _lars_codes(rng: random.Random, taken: set[str]) -> Iterator[str]:
    """Fresh lars codes, never one of ``taken`` (the real register's, so no collision)."""
    while True:
        head = str(rng.randrange(1_000_000, 10_000_000))
        code = head + check_digit(head)
        if code not in taken:
            taken.add(code)
            yield code


class _OrgPicker:
    """Skewed draws (a few organisations register a lot) without repeating a (text, org) pair:
    the same product at the same organisation twice would be a true duplicate."""

    def __init__(self, rng: random.Random, orgs: list[Org]) -> None:
        self.rng = rng
        self.orgs = orgs[:]
        rng.shuffle(self.orgs)
        self.cum = list(itertools.accumulate(1 / (k + 1) ** 0.5 for k in range(len(self.orgs))))
        self.used: set[tuple[int, str]] = set()

    def pick(self, text: int) -> Org | None:
        """None only when every organisation has this text already (past ~700,000 records)."""
        for _ in range(50):
            org = self.rng.choices(self.orgs, cum_weights=self.cum)[0]
            if (text, org.org_id) not in self.used:
                self.used.add((text, org.org_id))
                return org
        free = [o for o in self.orgs if (text, o.org_id) not in self.used]
        if not free:
            return None
        self.used.add((text, free[0].org_id))
        return free[0]


def _unique_title(title: str, org: Org, seen: set[tuple[str, str]]) -> str:
    """Number a title the organisation already uses: one organisation registering 'Zivver'
    twice would make two registrations look like one algorithm, which no gold says."""
    candidate, k = title, 2
    while (candidate.casefold(), org.org_id) in seen:
        candidate, k = f"{title} {k}", k + 1
    seen.add((candidate.casefold(), org.org_id))
    return candidate


def national(
    rng: random.Random,
    n: int,
    templates: list[dict[str, Any]],
    orgs: list[Org],
    taken: set[str],
    own: int,
) -> list[dict[str, Any]]:
    """N API records, newest ``create_dt`` first as the API answers. The first copy of each of
    the first ``own`` templates keeps its organisation; every other copy goes to another one."""
    order = list(range(len(templates)))
    rng.shuffle(order)
    picker = _OrgPicker(rng, orgs)
    lars = _lars_codes(rng, taken)
    titles: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    for i in range(n):
        t = order[i % len(order)]
        tpl = templates[t]
        rec = {k: (list(v) if isinstance(v, list) else v) for k, v in tpl.items()}
        rec.update(dict.fromkeys(LINK_FIELDS))  # links are set only where a register copies it
        # Snapshot texts are often older wordings of a national registration: at their own
        # organisation they would be a second registration of the same algorithm.
        org = picker.pick(t) if i >= len(order) or t >= own else None
        if org is not None:
            place = drift.template_place(tpl.get("organization"))
            rec.update(organization=org.name, code=slug(org.name), org_id=org.org_id)
            title = drift.swap_place(tpl["name"], place, org.place) or tpl["name"]
            rec["name"] = _unique_title(drift.vary_title(rng, title, org), org, titles)
            for key in ("description_short", "goal"):
                rec[key] = drift.vary_html(rng, drift.swap_place(tpl.get(key), place, org.place))
        else:
            titles.add((str(rec["name"]).casefold(), str(rec["org_id"] or rec["organization"])))
        created = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        rec["create_dt"] = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        rec["lars"] = next(lars)
        out.append(rec)
    out.sort(key=lambda r: r["create_dt"], reverse=True)
    return out


def build(n: int, seed: int = 1, overlap: float = 0.05, shared: Path = realdata.SHARED) -> Scenario:
    """A scenario of ``n`` national registrations; ``overlap`` of them also published
    decentrally."""
    rng = random.Random(seed)
    real = realdata.national_records(shared)
    templates = real + realdata.snapshot_templates(real, shared)
    orgs = realdata.organisations()
    records = national(rng, n, templates, orgs, {r["lars"] for r in real}, own=len(real))
    sources = [
        SourceEntry(
            "national", "Algoritmeregister", "national", "algoritmeregister-api", "records.json"
        )
    ]
    documents: dict[str, bytes] = {}
    gold: list[tuple[str, str, str]] = []
    for org, recs in decentral.choose_orgs(rng, records, orgs, overlap):
        reg = decentral.build_register(rng, org, recs, templates)
        title = "Algoritmeregister " + org.name[:1].lower() + org.name[1:]
        sources.append(
            SourceEntry(reg.source_id, title, reg.level, reg.format, reg.file, org.org_id, org.name)
        )
        documents[reg.file] = reg.body
        gold += reg.gold
    return Scenario(n, seed, records, documents, sources, gold)


def write(scenario: Scenario, outdir: Path) -> None:
    """records.json, the decentral files, sources.json and gold.csv into ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(scenario.api_records, indent=1, ensure_ascii=False)
    (outdir / "records.json").write_text(text, encoding="utf-8")
    for name, body in scenario.documents.items():
        (outdir / name).write_bytes(body)
    meta = {
        "n": scenario.n,
        "seed": scenario.seed,
        "sources": [asdict(s) for s in scenario.sources],
    }
    (outdir / "sources.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    with (outdir / "gold.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["source", "native_id", "cluster"])
        writer.writerows(scenario.gold)


def load(outdir: Path) -> Scenario:
    """Read back what ``write`` wrote (so a runner can generate once and serve many times)."""
    meta = json.loads((outdir / "sources.json").read_text(encoding="utf-8"))
    sources = [SourceEntry(**s) for s in meta["sources"]]
    records = json.loads((outdir / "records.json").read_text(encoding="utf-8"))
    documents = {s.file: (outdir / s.file).read_bytes() for s in sources if s.level != "national"}
    with (outdir / "gold.csv").open(encoding="utf-8", newline="") as fh:
        gold = [(r["source"], r["native_id"], r["cluster"]) for r in csv.DictReader(fh)]
    return Scenario(meta["n"], meta["seed"], records, documents, sources, gold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("n", type=int, help="national registrations to generate")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overlap", type=float, default=0.05)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    scenario = build(args.n, args.seed, args.overlap)
    built = time.perf_counter() - start
    write(scenario, args.outdir)
    copies = sum(1 for s, _, _ in scenario.gold if s == "national")
    print(
        f"{args.n} national records, {len(scenario.decentral)} decentral registers "
        f"({len(scenario.gold) - copies} records, {copies} copies of national ones); "
        f"built in {built:.2f} s, written in {time.perf_counter() - start - built:.2f} s "
        f"to {args.outdir}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
