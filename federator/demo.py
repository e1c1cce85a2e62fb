"""``federator demo``: bundled registers served on loopback, federated, and shown. Offline."""

from __future__ import annotations

import json
import sys
import time
from importlib import resources
from pathlib import Path

from federator import config
from federator.pipeline import Federator
from federator.query import run_query, write_results
from federator.server.serve import serve_forever
from federator.sim import Registers, RegisterServer

CONTRACT_QUERY = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?source ?id ?algorithm WHERE {
  ?catalog a dcat:Catalog ; dcterms:identifier ?source ; dcat:record ?record .
  ?record a dcat:CatalogRecord ; dcterms:identifier ?id ; foaf:primaryTopic ?algorithm .
}"""

SHARED_QUERY = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?algorithm ?title (COUNT(?record) AS ?registers) WHERE {
  ?record foaf:primaryTopic ?algorithm .
  ?algorithm dcterms:title ?title . FILTER(lang(?title) = "nl")
} GROUP BY ?algorithm ?title HAVING (COUNT(?record) > 1) ORDER BY ?title LIMIT 5"""


def demo_registers() -> Registers:
    files = resources.files("federator.data").joinpath("demo")
    regs = Registers()
    regs.api_records = json.loads(files.joinpath("national.json").read_text("utf-8"))
    for name in ("gemeente-utrecht.csv", "gemeente-amsterdam.json"):
        regs.put(name, files.joinpath(name).read_bytes())
    return regs


def write_config(data_dir: Path, server: RegisterServer, port: int = 8000) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "federator.yaml"
    path.write_text(
        f"""# Written by 'federator demo'; its registers are served only while the demo runs.
data_dir: .
base_iri: https://algoritmes.example.org/
server: {{host: 127.0.0.1, port: {port}}}
sources:
  - id: national
    title: Algoritmeregister (demo)
    level: national
    format: algoritmeregister-api
    url: {server.api_url}
    organisation: https://identifier.overheid.nl/tooi/id/ministerie/mnre1034
  - id: gemeente-utrecht
    title: Algoritmeregister gemeente Utrecht (demo)
    level: municipal
    format: algoritmeregister-csv
    url: {server.file_url("gemeente-utrecht.csv")}
    organisation: gm0344
  - id: gemeente-amsterdam
    title: Algoritmeregister gemeente Amsterdam (demo)
    level: municipal
    format: algoritmeregister-json
    url: {server.file_url("gemeente-amsterdam.json")}
    organisation: gm0363
""",
        encoding="utf-8",
    )
    return path


def main(data_dir: Path, serve: bool = False) -> int:

    out = sys.stdout
    with RegisterServer(demo_registers()) as registers:
        cfg = config.load(write_config(data_dir.resolve(), registers))
        print(f"Serving three demo registers on {registers.url} (loopback only).", file=out)
        started = time.perf_counter()
        fed = Federator(cfg)
        fed.state.abandon_leftovers()
        report = fed.run_once()
        elapsed = time.perf_counter() - started
    print(f"\nFederated in {elapsed:.1f} s:", file=out)
    for sid, sr in report.sources.items():
        st = sr.stats
        print(
            f"  {sid:<20} {sr.outcome:<7} {st.get('accepted', 0):>4} records, "
            f"{st.get('rejected', 0)} rejected, {st.get('warnings', 0)} warnings",
            file=out,
        )
    store = fed.store.ox
    total = next(iter(run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value
    algos = next(
        iter(
            run_query(
                store,
                "PREFIX reg: <https://w3id.org/federator/vocab#> "
                "SELECT (COUNT(?a) AS ?n) WHERE { ?a a reg:Algorithm }",
            )
        )
    )["n"].value
    print(f"  {algos} algorithms, {total} statements in the published graph\n", file=out)
    print("The contract query (first 10 rows):", file=out)
    out.flush()
    write_results(
        run_query(store, CONTRACT_QUERY + " ORDER BY ?source ?id LIMIT 10"), "table", out.buffer
    )
    print("\nAlgorithms that several registers describe (first 5):", file=out)
    out.flush()
    write_results(run_query(store, SHARED_QUERY), "table", out.buffer)
    conf = cfg.path
    print(
        f"""
Look further:
  federator query --config {conf} 'SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10'
  federator log gemeente-amsterdam --config {conf}
  federator clusters --config {conf}
  federator export --config {conf} --output {data_dir}/dump.nq.gz""",
        file=out,
    )
    fed.close()  # not left to the collector at the process's exit (``cli.finish``)
    if serve:
        del fed, store
        print(
            f"\nServing the result on http://{cfg.server.host}:{cfg.server.port}/sparql "
            "(Ctrl-C to stop)",
            file=out,
        )
        out.flush()
        return serve_forever(cfg)
    return 0 if not report.failed else 1
