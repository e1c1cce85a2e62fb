"""Federations with national bodies' own registers, to measure resolution end to end.

    .venv/bin/python -m bench.orgs_eval build OUTDIR [--part dev|held] [--seeds 1 2 3]
    .venv/bin/python -m bench.orgs_eval eval FOLDER [FOLDER ...] [--errors]
    .venv/bin/python -m bench.orgs_eval run [--part dev|held] [--seeds ...] [--errors]

Each federation is built from the CC0 national records of ``tests/data/federation-dev``
(the 2026-08-08 snapshot in the API's shape) and laid out like ``federation-dev``
(``sources.json``, ``gold.csv``, ``national/records.json`` and one file per register):

- the national register (``algoritmeregister-api``: it lists many organisations);
- the own registers of national bodies: at least one whose TOOI code the national records give
  (configured by TOOI IRI, by code or by name; its records name the body in words, by an
  abbreviation, or not at all, some with their ``org_id``) and at least one without a TOOI
  code (configured by its name, once spelled otherwise than the national register does, with a
  few explicit links then). National bodies register families of near-identical titles
  (``Detecteren risico's in douaneaangiften voor ...``, ``Algoritme ...`` with one shared text):
  each own register copies most of its body's national records and also lists some of its
  body's real registrations that the national register lacks (removed from it), the hardest
  negatives there are;
- the own registers of a few municipalities and provinces, the same way;
- one takeover attempt: a municipality's register publishing a record with another
  municipality's ``org_id`` and the ``lars`` of one of its registrations (never joined).

Every copied title and text is drifted (``reword``): typos, a space moved across a word
boundary, a prefix or suffix added or dropped (``Algoritme ...``, ``... (pilot)``), a word
dropped or replaced (``parkeercontrole`` -> ``parkeerhandhaving``), case; texts stripped of
HTML, cut short, reordered, a sentence dropped or another added, a word misspelt. Few copies
carry an explicit link (``source_id``/``url`` on the national side, a link into the national
register on the other). ``gold.csv`` says which records are one algorithm.

Two parts, built from disjoint seeds and (where the data allows) disjoint organisations: ``dev``
(tuned on) and ``held`` (held aside: measured, never tuned on). ``eval`` serves a federation
on loopback, runs ``federator run --once`` in-process and scores the contract query's answer:
pairwise precision, recall and F1 over pairs of records.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import io
import json
import random
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import decentral
from bench.realdata import national_records, organisations, plain, slug

NATIONAL_PAGE = "https://algoritmes.overheid.nl/nl/algoritme/"
TOOI = "https://identifier.overheid.nl/tooi/id/"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9‘'\"(])")

# National bodies: (name in the national register, TOOI code or None, abbreviation or None).
DEV_BODIES: dict[str, list[Any]] = {
    "coded": [
        ("Belastingdienst", "oorg12368", "oorg", None),
        ("Uitvoeringsinstituut Werknemersverzekeringen", "zb000117", "zbo", "UWV"),
    ],
    "uncoded": [
        ("Douane", "Douane Nederland"),
        ("Autoriteit Consument en Markt", "ACM"),
        ("Rijksdienst voor Ondernemend Nederland", "RVO"),
    ],
}
HELD_BODIES: dict[str, list[Any]] = {
    "coded": [
        ("Rijksdienst voor Identiteitsgegevens", "oorg10103", "oorg", "RvIG"),
        ("Belastingdienst", "oorg12368", "oorg", None),
        ("Uitvoeringsinstituut Werknemersverzekeringen", "zb000117", "zbo", "UWV"),
    ],
    "uncoded": [
        ("Politie", "Nationale Politie"),
        ("Stichting Bureau Informatiediensten Nederland", "BIN"),
        ("Dienst Toeslagen", "Toeslagen"),
        ("Ministerie van Financiën", "Financiën"),
    ],
}
SEEDS = {"dev": [1, 2, 3], "held": [101, 102, 103]}

# Words an editor replaces by another in a title (also inside compounds).
SYNONYMS = {
    "controle": "handhaving",
    "handhaving": "controle",
    "toezicht": "controle",
    "risicomodel": "risicoanalyse",
    "signaalmodel": "signalering",
    "detecteren": "opsporen",
    "selectie": "selecteren",
    "algoritme": "model",
    "model": "algoritme",
    "tool": "applicatie",
    "scan": "check",
    "chatbot": "digitale assistent",
    "verwerking": "afhandeling",
    "aanvragen": "aanvraag",
    "beoordeling": "toetsing",
}
PREFIXES = ("Algoritme ", "Toepassing ", "Model ")
SUFFIXES = (" (pilot)", " (experiment)", " 2.0", " - versie 2")
EXTRA_SENTENCES = (
    "Meer informatie is op te vragen bij de afdeling.",
    "Deze beschrijving wordt periodiek bijgewerkt.",
    "Het algoritme wordt jaarlijks geëvalueerd.",
)


def sentences(text: str | None) -> list[str]:
    return [s for s in _SENTENCE.split(plain(text)) if s]


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def reword(rng: random.Random, title: str) -> str:
    """A title as another editor wrote it: one or two edits of the kinds seen between real
    registers."""
    out = title
    for _ in range(1 if rng.random() < 0.7 else 2):
        words = out.split()
        roll = rng.random()
        if roll < 0.15 and len(words) > 1:  # a space moved across a word boundary
            k = rng.randrange(len(words) - 1)
            a, b = words[k], words[k + 1]
            if len(a) > 2:
                words[k : k + 2] = [a[:-1], a[-1] + b]
        elif roll < 0.3:  # a typo in one word
            k = rng.randrange(len(words))
            words[k] = _typo(rng, words[k])
        elif roll < 0.42:  # a prefix added or dropped
            hit = next((p for p in PREFIXES if out.startswith(p)), None)
            if hit and len(words) > 2:
                words = out[len(hit) :].split()
                words[0] = words[0][:1].upper() + words[0][1:]
            else:
                words = rng.choice(PREFIXES).split() + [words[0][:1].lower() + words[0][1:]]
                words += out.split()[1:]
        elif roll < 0.55:  # a suffix added or dropped
            if out.endswith(")") and "(" in out:
                words = re.sub(r"\s*\([^)]*\)$", "", out).split() or words
            else:
                words = (out + rng.choice(SUFFIXES)).split()
        elif roll < 0.68 and len(words) > 3:  # a word dropped (not the first)
            del words[rng.randrange(1, len(words))]
        elif roll < 0.82:  # a word replaced, also inside a compound
            for k in rng.sample(range(len(words)), len(words)):
                low = words[k].lower()
                hit = next((w for w in SYNONYMS if w in low), None)
                if hit:
                    words[k] = low.replace(hit, SYNONYMS[hit])
                    if k == 0:
                        words[k] = words[k][:1].upper() + words[k][1:]
                    break
        elif roll < 0.9:
            words = (out.lower() if rng.random() < 0.5 else out.upper()).split()
        out = " ".join(words) or title
    return out


def redraft(rng: random.Random, text: str | None) -> str | None:
    """A text as another register keeps it: HTML gone, and most often shortened, reordered,
    a sentence dropped or added, or a word misspelt."""
    parts = sentences(text)
    if not parts:
        return text
    roll = rng.random()
    if roll < 0.25 and len(parts) > 1:  # one contains the other
        parts = parts[: max(1, len(parts) // 2 + rng.randrange(2))]
    elif roll < 0.4 and len(parts) > 1:
        parts = parts[1:] + parts[:1]
    elif roll < 0.55 and len(parts) > 2:
        del parts[rng.randrange(len(parts))]
    elif roll < 0.7:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(EXTRA_SENTENCES))
    elif roll < 0.85:
        k = rng.randrange(len(parts))
        words = parts[k].split()
        j = rng.randrange(len(words))
        words[j] = _typo(rng, words[j])
        parts[k] = " ".join(words)
    return " ".join(parts)


# The decentral registers' columns, and the organisation's code after its name.
_AFTER_NAME = decentral.CSV_HEADER.index("organization") + 1
CSV_HEADER = [*decentral.CSV_HEADER[:_AFTER_NAME], "org_id", *decentral.CSV_HEADER[_AFTER_NAME:]]


def _render(layout: str, rows: list[dict[str, Any]]) -> tuple[str, bytes]:
    if layout == "csv":
        with_ids = [dict(row, algorithm_id=row.get("lars")) for row in rows]
        return "algoritmeregister-csv", decentral.csv_body(with_ids, CSV_HEADER)
    if layout == "bulk-0.1":
        doc: Any = {"algoritme_versions": rows}
    else:
        doc = rows
    return "algoritmeregister-json", json.dumps(doc, indent=1, ensure_ascii=False).encode()


class Builder:
    def __init__(self, seed: int, part: str) -> None:
        self.rng = random.Random(seed)
        self.part = part
        self.national = copy.deepcopy(national_records())
        self.by_org: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in self.national:
            self.by_org[rec["organization"]].append(rec)
        self.sources: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.gold: list[tuple[str, str, str]] = []
        self.removed: set[str] = set()  # lars taken out of the national register

    def register(
        self,
        sid: str,
        level: str,
        body: list[dict[str, Any]],
        *,
        configured: str,
        spellings: list[str | None],
        org_id: str | None,
        link_share: float,
        own_only: float,
    ) -> None:
        """An own register of the organisation whose national records are ``body``."""
        rng = self.rng
        layout = rng.choice(["csv", "bulk-0.1", "list-1.0"])
        prefix = slug(sid)[:3].upper() + "-"
        rows: list[dict[str, Any]] = []
        body = [r for r in body if r["lars"] not in self.removed]
        rng.shuffle(body)
        n_only = max(1, round(own_only * len(body))) if len(body) > 3 else 0
        only, copies = body[:n_only], body[n_only:]
        copies = [r for r in copies if rng.random() < 0.85]
        for k, nat in enumerate(copies + only, start=1):
            native = f"{prefix}{k:04d}"
            row = self._copy(nat, native, layout, spellings, org_id)
            if nat in only:
                self.removed.add(nat["lars"])  # the national register lacks it
                self.gold.append((sid, native, f"{sid}:{native}"))
            else:
                roll = rng.random()
                if roll < link_share / 2:
                    nat["source_id"] = native
                elif roll < link_share:
                    nat["url"] = row["website"]
                elif roll < link_share * 1.3 and layout != "bulk-0.1":
                    row["url"] = NATIONAL_PAGE + nat["lars"]
                cluster = f"{sid}:{native}"
                self.gold += [("national", nat["lars"], cluster), (sid, native, cluster)]
            rows.append(row)
        rng.shuffle(rows)
        fmt, data = _render(layout, rows)
        suffix = "csv" if layout == "csv" else "json"
        self.files[f"{sid}.{suffix}"] = data
        self.sources.append(
            {
                "id": sid,
                "level": level,
                "format": fmt,
                "path": f"{sid}.{suffix}",
                "organisation": configured,  # as the config says it
                "org_id": org_id if org_id and org_id in configured else None,
            }
        )

    def _copy(
        self,
        nat: dict[str, Any],
        native: str,
        layout: str,
        spellings: list[str | None],
        org_id: str | None,
    ) -> dict[str, Any]:
        rng = self.rng
        status = nat.get("status") or "In gebruik"
        if layout == "bulk-0.1":
            status = {"In gebruik": "Actief", "Buiten gebruik": "Niet actief"}.get(status, status)
        row: dict[str, Any] = {
            "name": reword(rng, nat["name"]) if rng.random() < 0.9 else nat["name"],
            "organization": rng.choice(spellings),
            "description_short": redraft(rng, nat.get("description_short")),
            "goal": redraft(rng, nat.get("goal")),
            "lawful_basis": plain(nat.get("lawful_basis")) or None,
            "status": status,
            "source_id": native,
            "website": f"https://register.example.nl/{slug(native)}",
            "url": None,
            "lang": "Nederlands" if layout == "bulk-0.1" else "nld",
            "standard_version": "0.1" if layout == "bulk-0.1" else "1.0",
        }
        if org_id and rng.random() < 0.3:
            row["org_id"] = org_id
        return row

    def build(self, bodies: dict[str, list[Any]], n_municipal: int) -> None:
        rng = self.rng
        coded = rng.sample(bodies["coded"], 2)
        uncoded = rng.sample(bodies["uncoded"], 2)
        for name, code, kind, abbrev in coded:
            how = rng.choice(["iri", "code", "name"])
            configured = {"iri": f"{TOOI}{kind}/{code}", "code": code, "name": name}[how]
            spellings = [name, name, abbrev or name, None]
            self.register(
                slug(abbrev or name),
                "national",
                self.by_org[name],
                configured=configured,
                spellings=spellings,
                org_id=code,
                link_share=0.1,
                own_only=0.15,
            )
        for n, (name, other) in enumerate(uncoded):
            # The first is configured by the national register's spelling; the second by
            # another spelling, with some explicit links then.
            configured = name if n == 0 else other
            self.register(
                slug(other),
                "national",
                self.by_org[name],
                configured=configured,
                spellings=[configured, None],
                org_id=None,
                link_share=0.1 if n == 0 else 0.25,
                own_only=0.15,
            )
        orgs = {o.org_id: o for o in organisations()}
        candidates = sorted(
            {
                r["org_id"]
                for r in self.national
                if (r.get("org_id") or "").startswith(("gm", "pv"))
                and len(self.by_org[r["organization"]]) >= 4
            }
        )
        # Disjoint municipalities per part: even positions for dev, odd for held.
        candidates = candidates[(0 if self.part == "dev" else 1) :: 2]
        chosen = rng.sample(candidates, n_municipal)
        for code in chosen:
            org = orgs[code]
            body = [r for r in self.national if r.get("org_id") == code]
            self.register(
                slug(org.name),
                "provincial" if code.startswith("pv") else "municipal",
                body,
                configured=code,
                spellings=[org.name, f"{org.place} ({org.type})", None],
                org_id=code,
                link_share=0.15,
                own_only=0.15,
            )
        self._takeover(chosen)

    def _takeover(self, chosen: list[str]) -> None:
        """A register publishing another municipality's registration as its own."""
        thief = next(s for s in self.sources if s["organisation"] == chosen[0])
        victim = next(
            r
            for r in self.national
            if r.get("org_id") == chosen[1] and r["lars"] not in self.removed
        )
        path = thief["path"]
        native = "TAKE-0001"
        row = {
            "lars": victim["lars"],
            "name": victim["name"] + " (overgenomen)",
            "organization": victim["organization"],
            "org_id": victim["org_id"],
            "description_short": "Andere tekst.",
            "source_id": native,
            "website": "https://takeover.example.nl/",
            "status": "In gebruik",
            "lang": "nld",
            "standard_version": "1.0",
        }
        data = self.files[path]
        if path.endswith(".csv"):
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
            rows = [dict(r, lars=r.pop("algorithm_id") or None) for r in rows]
            _, self.files[path] = _render("csv", rows + [row])
        else:
            doc = json.loads(data)
            if isinstance(doc, dict):
                doc["algoritme_versions"].append(row)
                _, self.files[path] = _render("bulk-0.1", doc["algoritme_versions"])
            else:
                _, self.files[path] = _render("list-1.0", doc + [row])
        # Its native id is the lars it carries; it is an algorithm of its own.
        self.gold.append((thief["id"], victim["lars"], f"{thief['id']}:{native}"))

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "national").mkdir(exist_ok=True)
        national = [r for r in self.national if r["lars"] not in self.removed]
        (folder / "national" / "records.json").write_text(
            json.dumps(national, ensure_ascii=False), "utf-8"
        )
        for name, data in self.files.items():
            (folder / name).write_bytes(data)
        sources = [
            {
                "id": "national",
                "level": "national",
                "format": "algoritmeregister-api",
                "path": "national/records.json",
            }
        ] + self.sources
        (folder / "sources.json").write_text(json.dumps(sources, indent=1), "utf-8")
        with (folder / "gold.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["source", "native_id", "cluster"])
            writer.writerows(self.gold)
        (folder / "LICENSE").write_text(
            "Built by bench/orgs_eval.py from CC0 data of the national Algoritmeregister.\n"
        )


def build(folder: Path, seed: int, part: str) -> Path:
    b = Builder(seed, part)
    b.build(DEV_BODIES if part == "dev" else HELD_BODIES, n_municipal=5)
    b.write(folder)
    return folder


# -- evaluation ------------------------------------------------------------------------------


def evaluate(folder: Path, errors: bool = False) -> dict[str, Any]:
    """Serve ``folder``, run federator once, score the published contract query."""
    import yaml

    from federator import config
    from federator.demo import CONTRACT_QUERY
    from federator.pipeline import Federator
    from federator.publish import snapshot
    from federator.query import run_query
    from federator.sim import Registers, RegisterServer

    specs = json.loads((folder / "sources.json").read_text("utf-8"))
    with tempfile.TemporaryDirectory() as tmp, RegisterServer(Registers()) as server:
        entries = []
        for spec in specs:
            entry: dict[str, Any] = {k: spec[k] for k in ("id", "level", "format")}
            entry["title"] = spec["id"]
            if spec["format"] == "algoritmeregister-api":
                server.registers.api_records = json.loads((folder / spec["path"]).read_text())
                entry["url"] = server.api_url
            else:
                server.registers.put(spec["path"], (folder / spec["path"]).read_bytes())
                entry["url"] = server.file_url(spec["path"])
            if spec.get("organisation") or spec.get("org_id"):
                entry["organisation"] = spec.get("organisation") or spec["org_id"]
            entries.append(entry)
        path = Path(tmp) / "federator.yaml"
        doc: dict[str, Any] = {
            "data_dir": str(Path(tmp) / "var"),
            "base_iri": "https://algoritmes.example.org/",
        }
        doc["sources"] = entries
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
        cfg = config.load(path)
        with contextlib.redirect_stdout(io.StringIO()):  # the run's log lines
            fed = Federator(cfg)
            report = fed.run_once()
            fed.close()
        if report.failed:  # a measure of a half-published federation would mislead
            errors_ = {s: r.error for s, r in report.sources.items() if r.error}
            raise SystemExit(f"{folder.name}: the run failed: {errors_}")
        store = snapshot.open_current(cfg.data_dir)
        assert store is not None
        rows = [
            (s["source"].value, s["id"].value, s["algorithm"].value)
            for s in run_query(store, CONTRACT_QUERY)
        ]
        titles = _titles(store)
        review = ""
        if errors:
            from federator.explain import explain

            review = explain(cfg, uncertain=True)
    by_algorithm: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s, i, a in rows:
        by_algorithm[a].append((s, i))
    predicted = {
        frozenset((m[i], m[j]))
        for m in by_algorithm.values()
        for i in range(len(m))
        for j in range(i + 1, len(m))
    }
    clusters: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with (folder / "gold.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            clusters[row["cluster"]].append((row["source"], row["native_id"]))
    gold = {
        frozenset((m[i], m[j]))
        for m in clusters.values()
        for i in range(len(m))
        for j in range(i + 1, len(m))
    }
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    result = {
        "folder": folder.name,
        "gold_pairs": len(gold),
        "predicted_pairs": len(predicted),
        "tp": tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
    if errors:
        for kind, pairs in (("false pair", predicted - gold), ("missed pair", gold - predicted)):
            for pair in sorted(sorted(p) for p in pairs):
                a, b = pair
                listed = any(
                    f"{a[0]}:{a[1]} " in line and f"{b[0]}:{b[1]} " in line
                    for line in review.splitlines()
                )
                print(
                    f"  {kind}: {a} {titles.get(a, '')!r} ~ {b} {titles.get(b, '')!r}"
                    + (" [listed by clusters --uncertain]" if listed else " [not listed]")
                )
    return result


def _titles(store: Any) -> dict[tuple[str, str], str]:
    from federator.query import run_query

    query = """
    PREFIX dcat: <http://www.w3.org/ns/dcat#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    PREFIX reg: <https://w3id.org/federator/vocab#>
    SELECT ?source ?id ?title WHERE {
      ?catalog dcterms:identifier ?source ; dcat:record ?record .
      ?record dcterms:identifier ?id ; reg:description ?d .
      ?d dcterms:title ?title .
    }"""
    try:
        return {
            (r["source"].value, r["id"].value): r["title"].value for r in run_query(store, query)
        }
    except Exception:  # titles are a help for reading errors only
        return {}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.orgs_eval")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("outdir", type=Path)
    b.add_argument("--part", choices=("dev", "held"), default="dev")
    b.add_argument("--seeds", type=int, nargs="*")
    e = sub.add_parser("eval")
    e.add_argument("folders", type=Path, nargs="+")
    e.add_argument("--errors", action="store_true")
    r = sub.add_parser("run")
    r.add_argument("--part", choices=("dev", "held"), default="dev")
    r.add_argument("--seeds", type=int, nargs="*")
    r.add_argument("--errors", action="store_true")
    args = parser.parse_args(argv)
    if args.command in ("build", "run"):
        out = args.outdir if args.command == "build" else Path(tempfile.mkdtemp())
        folders = [
            build(out / f"orgs-{args.part}-{seed}", seed, args.part)
            for seed in (args.seeds or SEEDS[args.part])
        ]
        if args.command == "build":
            print("\n".join(str(f) for f in folders))
            return 0
    else:
        folders = args.folders
    totals = {"gold_pairs": 0, "predicted_pairs": 0, "tp": 0}
    for folder in folders:
        res = evaluate(folder, errors=getattr(args, "errors", False))
        for k in totals:
            totals[k] += res[k]
        print(
            f"{res['folder']}: precision {res['precision']:.4f} recall {res['recall']:.4f} "
            f"F1 {res['f1']:.4f} ({res['tp']}/{res['gold_pairs']} pairs, "
            f"{res['predicted_pairs']} predicted)"
        )
    p = totals["tp"] / totals["predicted_pairs"] if totals["predicted_pairs"] else 1.0
    rc = totals["tp"] / totals["gold_pairs"] if totals["gold_pairs"] else 1.0
    f1 = 2 * p * rc / (p + rc) if totals["tp"] else 0.0
    print(
        f"all: precision {p:.4f} recall {rc:.4f} F1 {f1:.4f} "
        f"({totals['tp']}/{totals['gold_pairs']} pairs)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
