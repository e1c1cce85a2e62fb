"""Hand-run smoke test (not in the suite): generate N, serve on loopback, run the baseline.

``python -m bench.smoke [N ...]`` (default 1000) prints, per N, the generate time and the
baseline's time and quad count; outputs go to ``bench/out/smoke-N/``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import build
from bench.serve import serving, write_config

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"


def smoke(n: int, seed: int = 1) -> dict[str, float | int]:
    start = time.perf_counter()
    scenario = build(n, seed)
    generated = time.perf_counter() - start
    work = OUT / f"smoke-{n}"
    with serving(scenario) as server:
        config = write_config(scenario, server, work / "data", work / "federator.yaml")
        # A process of its own, as federator will run: in this one the server's threads would
        # compete with the client for the GIL.
        began = time.perf_counter()
        cmd = [sys.executable, "-m", "bench.baseline", str(config), str(work / "baseline.nq")]
        done = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - began
    stats = json.loads(done.stdout)
    return {
        "n": n,
        "generate_s": round(generated, 2),
        "sources": stats["sources"],
        "records": stats["records"],
        "quads": stats["quads"],
        "fetch_s": round(stats["fetch_s"], 2),
        "map_s": round(stats["map_s"], 2),
        "serialize_s": round(stats["serialize_s"], 2),
        "baseline_s": round(stats["total_s"], 2),
        "baseline_wall_s": round(wall, 2),  # with interpreter start and imports
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.smoke", description=__doc__)
    parser.add_argument("n", type=int, nargs="*", default=[1000])
    args = parser.parse_args(argv)
    for n in args.n:
        print(smoke(n), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
