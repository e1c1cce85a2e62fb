"""Build ``tests/data/orgs-upgrade``: a small federation and the state today's main left for it.

    .venv/bin/python -m bench.orgs_upgrade_fixture /path/to/an/older/federator/checkout

Writes the registers (real CC0 registrations of the national Algoritmeregister from
``tests/data/federation-dev``: a national register, Belastingdienst's own register configured
by TOOI IRI at level national, Douane's configured by name, Amsterdam's by code) and runs the
federator found at the given checkout (``git archive <commit> | tar -x -C DIR``) on them once,
keeping its ``state.sqlite``: ``tests/test_organisations_upgrade.py`` then runs this federator
over that state and checks that every algorithm IRI published before is still published or
answers 301.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "data" / "orgs-upgrade"
SOURCE = REPO / "tests" / "data" / "federation-dev" / "national" / "records.json"


def registers() -> dict[str, Any]:
    records = json.loads(SOURCE.read_text("utf-8"))

    def of(name: str, n: int) -> list[dict[str, Any]]:
        return copy.deepcopy([r for r in records if r["organization"] == name][:n])

    tax, douane = of("Belastingdienst", 8), of("Douane", 5)
    amsterdam = copy.deepcopy([r for r in records if r.get("org_id") == "gm0363"][:5])

    def own(rec: dict[str, Any], native: str, organisation: str | None) -> dict[str, Any]:
        return {
            "source_id": native,
            "name": rec["name"],
            "organization": organisation,
            "description_short": rec["description_short"],
            "goal": rec["goal"],
            "lawful_basis": rec.get("lawful_basis"),
            "status": rec.get("status") or "In gebruik",
            "lang": "nld",
            "standard_version": "1.0",
        }

    amsterdam[0]["source_id"] = "A-1"  # explicit evidence, as the national register gives it
    return {
        "national.json": tax + douane + amsterdam,
        "belastingdienst.json": [own(r, f"BD-{k}", "Belastingdienst") for k, r in enumerate(tax)],
        "douane.json": [own(r, f"DOU-{k}", None) for k, r in enumerate(douane)],
        "gemeente-amsterdam.json": [
            own(r, f"A-{k + 1}", "Gemeente Amsterdam") for k, r in enumerate(amsterdam)
        ],
    }


# The own registers, as they are configured; written to ``sources.json`` beside them, which
# the test reads to configure them the same way.
SOURCES = [
    {
        "id": "belastingdienst",
        "level": "national",
        "file": "belastingdienst.json",
        "organisation": "https://identifier.overheid.nl/tooi/id/oorg/oorg12368",
    },
    {"id": "douane", "level": "national", "file": "douane.json", "organisation": "Douane"},
    {
        "id": "gemeente-amsterdam",
        "level": "municipal",
        "file": "gemeente-amsterdam.json",
        "organisation": "gm0363",
    },
]


def main(argv: list[str]) -> int:
    old = Path(argv[0]).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in [*registers().items(), ("sources.json", SOURCES)]:
        (OUT / name).write_text(json.dumps(rows, ensure_ascii=False, indent=1), "utf-8")
    script = f"""
import json, sys
from pathlib import Path
import yaml
from federator import config
from federator.pipeline import Federator
from federator.sim import Registers, RegisterServer
out, tmp = Path({str(OUT)!r}), Path(sys.argv[1])
with RegisterServer(Registers()) as server:
    server.registers.api_records = json.loads((out / "national.json").read_text())
    sources = [dict(id="national", title="national", level="national",
                    format="algoritmeregister-api", url=server.api_url)]
    for own in json.loads((out / "sources.json").read_text()):
        server.registers.put(own["file"], (out / own["file"]).read_bytes())
        sources.append(dict(id=own["id"], title=own["id"], level=own["level"],
                            format="algoritmeregister-json", url=server.file_url(own["file"]),
                            organisation=own["organisation"]))
    doc = dict(data_dir=str(tmp / "var"), base_iri="https://algoritmes.example.org/",
               sources=sources)
    (tmp / "federator.yaml").write_text(yaml.safe_dump(doc))
    fed = Federator(config.load(tmp / "federator.yaml"))
    fed.run_once()
    fed.close()
"""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-c", script, tmp], cwd=old, check=True, env={"PYTHONPATH": str(old)}
        )
        shutil.copy(Path(tmp) / "var" / "state.sqlite", OUT / "state.sqlite")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
