"""The benchmark runner: federator side by side with the hand-written script and morph-kgc.

    .venv/bin/python -m bench.run [--sizes 1000 20000] [--repeat 3] [--morph] [--no-baseline]

For each size: build the scenario (``bench.generate``), serve it on loopback, then alternate,
``--repeat`` times: federator cold (``run --once`` on an empty data_dir), federator with no
change, federator with one decentral source changed, and the baseline script. Medians are
quoted, with peak RSS, time per stage (from federator's own run log), SPARQL latency on the
result, and ratios. Run by hand; nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import io
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import generate, serve

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
PYTHON = sys.executable
QUERIES = {
    "contract": """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?source ?id ?algorithm WHERE {
  ?catalog a dcat:Catalog ; dcterms:identifier ?source ; dcat:record ?record .
  ?record a dcat:CatalogRecord ; dcterms:identifier ?id ; foaf:primaryTopic ?algorithm .
}""",
    "count_per_org": """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX reg: <https://w3id.org/federator/vocab#>
SELECT ?org (COUNT(?a) AS ?n) WHERE { ?a a reg:Algorithm ; dcterms:publisher ?org }
GROUP BY ?org ORDER BY DESC(?n)""",
    "text_filter": """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX reg: <https://w3id.org/federator/vocab#>
SELECT ?a ?t WHERE { ?a a reg:Algorithm ; dcterms:title ?t
  FILTER(CONTAINS(LCASE(STR(?t)), "fraude")) }""",
    "one_description": "DESCRIBE <{algorithm}>",
}


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (worker processes), in KiB.

    A child that has not yet replaced itself with its own program (between fork and exec, its
    command line still its parent's) shares its parent's memory, and its VmRSS shows all of
    it: it is not counted. That assumes children exec, as federator's (spawned) workers do.
    Counted, one 100,000 run read 2,847 MB for a 1,871 MB process.
    """
    total, todo = 0, [(pid, b"")]
    while todo:
        p, parent_cmdline = todo.pop()
        try:
            with open(f"/proc/{p}/cmdline", "rb") as fh:
                cmdline = fh.read()
            if cmdline == parent_cmdline:
                continue
            with open(f"/proc/{p}/status") as fh:
                total += next((int(x.split()[1]) for x in fh if x.startswith("VmRSS")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [(int(c), cmdline) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def timed_child(args: list[str], rss_file: Path | None = None) -> tuple[float, dict[str, Any]]:
    """Run a command; its seconds, and (with ``rss_file``) the peak RSS of the process itself
    and the peak of the sum over it and its workers (sampled every 0.1 s)."""
    env = {**os.environ}
    if rss_file:
        env["BENCH_RSS_FILE"] = str(rss_file)
    # What the last command wrote (a cold run writes about a gigabyte at 20,000) is written
    # out first: otherwise its writeback lands on this command's fsyncs, whichever it is.
    os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    tree_peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            tree_peak[0] = max(tree_peak[0], tree_rss_kb(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{args[:4]} failed ({proc.returncode}):\n{stderr[-3000:]}")
    info = json.loads(rss_file.read_text()) if rss_file and rss_file.exists() else {}
    info["exit"] = proc.returncode
    info["tree_rss_kb"] = tree_peak[0]
    info["timeline"] = timeline(stderr)
    return seconds, info


def timeline(log: str) -> dict[str, Any]:
    """The stage windows of federator's ``run.timeline`` event (JSON logs), if any."""
    for line in reversed(log.splitlines()):
        if '"run.timeline"' in line:
            event = json.loads(line)
            return {k: v for k, v in event.items() if isinstance(v, dict) or k == "seconds"}
    return {}


def store_floor(data_dir: Path) -> dict[str, Any]:
    """pyoxigraph's own ``bulk_load`` of exactly the quads a run published, in one call into
    an empty store on disk (and in memory): the floor a full rewrite is held to."""
    import pyoxigraph as ox

    from federator.publish import snapshot

    store = snapshot.open_current(data_dir)
    assert store is not None
    data = store.dump(format=ox.RdfFormat.N_QUADS)
    del store
    out: dict[str, Any] = {"quads": data.count(b"\n")}
    target = data_dir.parent / "floor-store"
    shutil.rmtree(target, ignore_errors=True)
    disk = ox.Store(str(target))
    start = time.perf_counter()
    disk.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    disk.flush()
    out["bulk_load_disk_s"] = round(time.perf_counter() - start, 3)
    del disk
    shutil.rmtree(target, ignore_errors=True)
    memory = ox.Store()
    start = time.perf_counter()
    memory.bulk_load(data, format=ox.RdfFormat.N_QUADS)
    out["bulk_load_memory_s"] = round(time.perf_counter() - start, 3)
    return out


def federator(config: Path, work: Path, label: str) -> tuple[float, dict[str, Any]]:
    rss = work / f"rss-{label}.json"
    rss.unlink(missing_ok=True)
    return timed_child(
        [
            PYTHON,
            "-m",
            "bench.child",
            "run",
            "--once",
            "--config",
            str(config),
            "--log-format",
            "json",
        ],
        rss,
    )


def stages(data_dir: Path) -> dict[str, float]:
    """Seconds per stage of the newest run, summed over sources (resolve/publish once)."""
    db = sqlite3.connect(data_dir / "state.sqlite")
    run = db.execute("SELECT run_id FROM runs ORDER BY started DESC, rowid DESC LIMIT 1").fetchone()
    rows = db.execute("SELECT durations FROM source_runs WHERE run_id = ?", run).fetchall()
    out: dict[str, float] = {}
    for (text,) in rows:
        for stage, seconds in json.loads(text).items():
            if stage in ("resolve", "publish", "run"):  # shared by the run's sources
                out[stage] = max(out.get(stage, 0.0), seconds)
            else:
                out[stage] = out.get(stage, 0.0) + seconds
    return {k: round(v, 3) for k, v in out.items()}


def change_one_source(scenario: generate.Scenario) -> tuple[str, bytes]:
    """The first decentral document with one registration's title edited."""
    name = sorted(scenario.documents)[0]
    body = scenario.documents[name]
    if name.endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        rows[0]["name"] += " (gewijzigd)"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
        return name, ("\ufeff" + out.getvalue()).encode("utf-8")
    doc = json.loads(body)
    records = doc["algoritme_versions"] if isinstance(doc, dict) else doc
    records[0]["name"] += " (gewijzigd)"
    return name, json.dumps(doc, ensure_ascii=False).encode("utf-8")


def sparql_latency(data_dir: Path) -> dict[str, float]:
    """Each query as ``federator query --format csv`` answers it: planned, run, written as CSV."""
    import pyoxigraph as ox

    from federator.publish import snapshot
    from federator.query import run_query, write_results

    store = snapshot.open_current(data_dir)
    assert store is not None
    first = next(iter(run_query(store, QUERIES["contract"] + " LIMIT 1")))
    algorithm = first["algorithm"].value
    out = {}
    for name, query in QUERIES.items():
        times = []
        for _ in range(5):
            start = time.perf_counter()
            buffer = io.BytesIO()
            result = run_query(store, query.replace("{algorithm}", algorithm))
            write_results(result, "csv", buffer)
            times.append(time.perf_counter() - start)
        out[name] = round(statistics.median(times), 4)
        text = buffer.getvalue().decode("utf-8")
        if isinstance(result, ox.QueryTriples):  # a graph, as N-Triples: a line per triple
            out[f"{name}_rows"] = text.count("\n")
        else:  # CSV: a header row, and values may hold line breaks
            out[f"{name}_rows"] = sum(1 for _ in csv.reader(io.StringIO(text))) - 1
    return out


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def bench_size(n: int, repeat: int, baseline: bool, morph: bool) -> dict[str, Any]:
    scenario = generate.build(n)
    records = len(scenario.api_records) + sum(1 for _ in scenario.gold)
    work = OUT / f"run-{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result: dict[str, Any] = {
        "n": n,
        "sources": len(scenario.sources),
        "api_records": len(scenario.api_records),
        "decentral_documents": len(scenario.documents),
    }
    times: dict[str, list[float]] = {
        k: [] for k in ("cold", "no_change", "one_changed", "baseline")
    }
    rss: list[int] = []
    tree: list[int] = []
    windows: list[dict[str, Any]] = []
    load = [os.getloadavg()[0]]  # the machine's other load, before and after
    stage_log: dict[str, list[dict[str, float]]] = {"cold": [], "no_change": [], "one_changed": []}
    with serve.serving(scenario) as server:
        for i in range(repeat):
            data_dir = work / f"data-{i}"
            config = serve.write_config(scenario, server, data_dir, work / f"federator-{i}.yaml")
            seconds, info = federator(config, work, f"cold-{i}")
            times["cold"].append(seconds)
            windows.append(info["timeline"])
            rss.append(info.get("max_rss_kb", 0))
            tree.append(info.get("tree_rss_kb", 0))
            stage_log["cold"].append(stages(data_dir))
            seconds, _ = federator(config, work, f"same-{i}")
            times["no_change"].append(seconds)
            stage_log["no_change"].append(stages(data_dir))
            name, body = change_one_source(scenario)
            original = scenario.documents[name]
            server.registers.put(name, body)
            seconds, _ = federator(config, work, f"changed-{i}")
            server.registers.put(name, original)
            times["one_changed"].append(seconds)
            stage_log["one_changed"].append(stages(data_dir))
            if baseline:
                seconds, _ = timed_child(
                    [PYTHON, "-m", "bench.baseline", str(config), str(work / "baseline.nq")]
                )
                times["baseline"].append(seconds)
            print(
                f"  n={n} round {i + 1}: "
                + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items() if v),
                flush=True,
            )
        result["sparql_s"] = sparql_latency(work / "data-0")
    load.append(os.getloadavg()[0])
    result["load_average_1m"] = [round(x, 2) for x in load]
    result["store_floor"] = floor = store_floor(work / "data-0")
    # A cold run's stage windows (the median round's), and its store work against the floor.
    cold_windows = sorted(windows, key=lambda w: w.get("seconds", 0.0))[len(windows) // 2]
    result["cold_timeline"] = cold_windows
    result["median_s"] = {k: median(v) for k, v in times.items() if v}
    result["all_s"] = {k: [round(x, 3) for x in v] for k, v in times.items() if v}
    result["peak_rss_mb"] = round(max(rss) / 1024, 1)
    result["peak_tree_rss_mb"] = round(max(tree) / 1024, 1)  # with its worker processes
    result["stages_s"] = {
        kind: {
            stage: median([s.get(stage, 0.0) for s in logs])
            for stage in sorted({k for s in logs for k in s})
        }
        for kind, logs in stage_log.items()
    }
    m = result["median_s"]
    result["ratios"] = {
        "no_change/cold": round(m["no_change"] / m["cold"], 3),
        "one_changed/cold": round(m["one_changed"] / m["cold"], 3),
    }
    if baseline:
        result["ratios"]["cold/baseline"] = round(m["cold"] / m["baseline"], 3)
    for stage in ("store", "publish"):
        seconds = cold_windows.get(stage, {}).get("seconds")
        if seconds:
            ratio = seconds / floor["bulk_load_disk_s"]
            result["ratios"][f"cold {stage}/bulk_load"] = round(ratio, 3)
    if morph:
        from bench.morph import run as morph_run

        morph_s = [morph_run.run(n)["morph_s"] for _ in range(repeat)]
        result["median_s"]["morph_kgc_map"] = median(morph_s)
        fed_map = result["stages_s"]["cold"].get("map", 0.0)
        result["ratios"]["federator_map/morph_kgc"] = round(fed_map / median(morph_s), 3)
    result["records_total"] = records
    return result


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "| registrations | cold | no change | one source changed | baseline | cold / baseline "
        "| no change / cold | peak RSS (with workers) | contract query |"
    )
    lines = [head, "|" + " --- |" * 9]
    for r in results:
        m, q = r["median_s"], r["ratios"]
        nan = float("nan")
        lines.append(
            f"| {r['api_records']:,} (+{r['decentral_documents']} registers) | {m['cold']:.2f} s "
            f"| {m['no_change']:.2f} s | {m['one_changed']:.2f} s "
            f"| {m.get('baseline', nan):.2f} s | {q.get('cold/baseline', nan):.2f} "
            f"| {q['no_change/cold']:.2f} "
            f"| {r['peak_rss_mb']:.0f} MB ({r.get('peak_tree_rss_mb', 0):.0f} MB) "
            f"| {r['sparql_s']['contract']:.3f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--morph", action="store_true", help="also morph-kgc (mapping only)")
    args = parser.parse_args(argv)
    # federator as installed runs from compiled bytecode (pip compiles a package it installs);
    # an editable checkout under PYTHONDONTWRITEBYTECODE (our Dockerfile, many CI images)
    # would compile every module again in every run and in every worker it starts.
    for package in ("federator", "bench"):
        compileall.compile_dir(REPO / package, quiet=1)
    results = []
    for n in args.sizes:
        print(f"n={n}: building and serving the scenario", flush=True)
        results.append(bench_size(n, args.repeat, not args.no_baseline, args.morph))
        (OUT / f"results-{n}.json").write_text(json.dumps(results[-1], indent=1))
        print(json.dumps(results[-1], indent=1), flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
