"""The public site's speed: searches and algorithm pages over N published registrations.

    python -m bench.site N [--work DIR] [--repeat R]

Generates N national registrations (``bench.generate``), federates them once with
``federator run --once`` (which builds the search index), starts ``federator serve`` in a
process of its own, and times, warm, over loopback: searches (``/algorithms?q=...`` as HTML
and as JSON, with facets), the unfiltered list, a filtered list, and algorithm pages
(``/id/algorithm/{token}`` as HTML). Prints the medians and writes them to
``bench/out/site-N.json``. A ``--work`` directory that holds a published federation is reused.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import generate, serve
from federator import config as fconfig
from federator import search
from federator.state import State
from federator.state.search import SearchIndex

REPO = Path(__file__).resolve().parents[1]
QUERIES = ["parkeren", "gezichtsherk", "jeugd zorg", "uitkering", "camera", "gemeente"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def publish(n: int, work: Path) -> Path:
    """A data_dir with N registrations published (reused when ``work`` has one)."""
    path = work / "federator.yaml"
    if (work / "data" / "search.sqlite").exists() and path.exists():
        return path
    scenario = generate.build(n)
    with serve.serving(scenario) as server:
        serve.write_config(scenario, server, work / "data", path)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "federator", "run", "--once", "--config", str(path)],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        print(f"published {n} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def timed(client: httpx.Client, url: str, repeat: int, **kw: Any) -> float:
    first = client.get(url, **kw)  # warm
    first.raise_for_status()
    assert first.status_code == 200 and len(first.content) > 500, (url, first.status_code)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(url, **kw)
        times.append(time.perf_counter() - started)
        r.raise_for_status()
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.site", description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    work = args.work or REPO / "bench" / "out" / f"site-{args.n}"
    work.mkdir(parents=True, exist_ok=True)
    path = publish(args.n, work)
    # The index: a build from scratch, then a no-change update.
    cfg = fconfig.load(path)
    state = State(cfg.data_dir)
    built = search.update(cfg, state, force=True)
    unchanged = search.update(cfg, state)
    # One algorithm's records changed (as a run that changed one register would): a patch.
    state.db.execute(
        "INSERT INTO changes (run_id, at, source, native_id, kind) SELECT 'bench', "
        "'2026-01-01T00:00:00Z', source, native_id, 'update' FROM identities LIMIT 3"
    )
    patched = search.update(cfg, state)
    state.close()
    with SearchIndex(cfg.data_dir) as ix:
        totals = ix.totals()
        tokens = [d["token"] for d in ix.search("", {"registers": ["2"]}, "title", 5, 0)[1]]
        tokens += [d["token"] for d in ix.search("", {}, "modified", 5, 0)[1]]
    # The server, in a process of its own.
    text = path.read_text(encoding="utf-8")
    port = free_port()
    served = work / "serve.yaml"
    served.write_text(text + f"server: {{host: 127.0.0.1, port: {port}}}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "federator", "serve", "--config", str(served)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    results: dict[str, Any] = {
        "n": args.n,
        "totals": totals,
        "index_build_s": round(built.seconds, 2),
        "index_no_change_s": round(unchanged.seconds, 3),
        "index_patch_s": round(patched.seconds, 2),
        "index_patch_how": patched.how,
    }
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(300):
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            html = {"Accept": "text/html"}
            js = {"Accept": "application/json"}
            search_html = [
                timed(client, f"/algorithms?q={q}", args.repeat, headers=html) for q in QUERIES
            ]
            search_json = [
                timed(client, f"/algorithms?q={q}", args.repeat, headers=js) for q in QUERIES
            ]
            results["search_html_ms"] = dict(zip(QUERIES, map(round, search_html), strict=True))
            results["search_json_ms"] = dict(zip(QUERIES, map(round, search_json), strict=True))
            results["search_median_ms"] = round(statistics.median(search_html + search_json), 1)
            results["list_all_ms"] = round(
                timed(client, "/algorithms", args.repeat, headers=html), 1
            )
            results["list_filtered_ms"] = round(
                timed(
                    client,
                    "/algorithms?status=https://w3id.org/federator/vocab/status/in-gebruik&kind=gemeente",
                    args.repeat,
                    headers=html,
                ),
                1,
            )
            pages = [timed(client, f"/id/algorithm/{t}", args.repeat, headers=html) for t in tokens]
            results["algorithm_page_ms"] = [round(p, 1) for p in pages]
            results["algorithm_page_median_ms"] = round(statistics.median(pages), 1)
            results["front_page_ms"] = round(timed(client, "/", args.repeat, headers=html), 1)
            results["organisations_ms"] = round(
                timed(client, "/organisations", args.repeat, headers=html), 1
            )
    finally:
        proc.terminate()
        proc.wait(15)
    out = REPO / "bench" / "out" / f"site-{args.n}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
