"""Run morph-kgc on N generated national records and report the time.

``python -m bench.morph.run N [--seed S]``: creates ``bench/.venv-morph`` on first use and
installs morph-kgc there (it pins pyoxigraph 0.3, which must not enter the main .venv), writes
the API records of ``bench.generate.build(N)`` to ``bench/out/morph-N/records.json`` with the
mapping and a config beside them, and times ``python -m morph_kgc config.ini`` as a whole
(interpreter start, mapping parse, JSON load, functions, N-Quads writing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.generate import build

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV = REPO / "bench" / ".venv-morph"
OUT = REPO / "bench" / "out"
MORPH = "morph-kgc==2.10.0"
CONFIG = """\
[CONFIGURATION]
output_file: {out}
output_format: N-QUADS
udfs: {udfs}
logging_level: WARNING

[DataSource1]
mappings: {mapping}
"""


def ensure_venv() -> Path:
    """The morph-kgc interpreter, installing it into its own virtualenv when missing."""
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, MORPH], check=True)
    return python


def prepare(n: int, seed: int, work: Path) -> Path:
    """records.json, the mapping beside it (its source path is relative) and config.ini."""
    work.mkdir(parents=True, exist_ok=True)
    records = build(n, seed).api_records
    (work / "records.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    shutil.copy(HERE / "mapping.ttl", work / "mapping.ttl")
    config = work / "config.ini"
    config.write_text(
        CONFIG.format(out=work / "morph.nq", udfs=HERE / "udfs.py", mapping=work / "mapping.ttl"),
        encoding="utf-8",
    )
    return config


def run(n: int, seed: int = 1) -> dict[str, Any]:
    python = ensure_venv()
    work = OUT / f"morph-{n}"
    config = prepare(n, seed, work)
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), "-m", "morph_kgc", str(config)], cwd=work, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"morph-kgc failed ({done.returncode}):\n{done.stderr[-3000:]}")
    with (work / "morph.nq").open("rb") as fh:
        quads = sum(1 for line in fh if line.strip())
    return {"n": n, "morph_s": round(seconds, 2), "quads": quads, "output": str(work / "morph.nq")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.morph.run", description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.n, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
