"""The script an agency would write instead of federator: fetch, map with rdflib, dump N-Quads.

No state, no change detection, no identity resolution: POST-page the national API until
``total_count``, GET each decentral file, one named graph per source, about 11 triples per
registration, ``Dataset.serialize`` to N-Quads. Stand-alone on purpose (no federator import).

CLI: ``python -m bench.baseline CONFIG.yaml OUT.nq`` prints the stats as JSON.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
import yaml
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

REG = Namespace("https://w3id.org/federator/vocab#")
STATUS = Namespace("https://w3id.org/federator/vocab/status/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
TOOI = "https://identifier.overheid.nl/tooi/id/"
TOOI_TYPES = {
    "gm": "gemeente",
    "pv": "provincie",
    "ws": "waterschap",
    "mnre": "ministerie",
    "zb": "zbo",
    "oorg": "oorg",
}
STATUSES = {
    "in gebruik": "in-gebruik",
    "actief": "in-gebruik",
    "active": "in-gebruik",
    "in ontwikkeling": "in-ontwikkeling",
    "buiten gebruik": "buiten-gebruik",
    "niet actief": "buiten-gebruik",
}
NATIONAL_PAGE = "https://algoritmes.overheid.nl/nl/algoritme/"
PAGE_SIZE = 100
_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"^([a-z]+)\d+$")


def fetch_api(session: requests.Session, api: str) -> tuple[list[dict[str, Any]], int]:
    """All records of ``{api}/algoritme/NLD``, de-duplicated by lars; and the bytes read."""
    records: dict[str, dict[str, Any]] = {}
    size, page = 0, 1
    while True:
        resp = session.post(
            f"{api.rstrip('/')}/algoritme/NLD", json={"page": page, "limit": PAGE_SIZE}, timeout=60
        )
        resp.raise_for_status()
        size += len(resp.content)
        body = resp.json()
        for rec in body["results"]:
            records.setdefault(rec["lars"], rec)
        if not body["results"] or len(records) >= body["total_count"]:
            return list(records.values()), size
        page += 1


def fetch_file(session: requests.Session, url: str, fmt: str) -> tuple[list[dict[str, Any]], int]:
    resp = session.get(url, timeout=60)
    resp.raise_for_status()
    if fmt == "algoritmeregister-csv":
        text = resp.content.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline=""))), len(resp.content)
    data = resp.json()
    if isinstance(data, dict):
        data = data.get("algoritme_versions") or data.get("results") or []
    return data, len(resp.content)


def text(value: Any) -> str | None:
    if not value:
        return None
    return " ".join(html.unescape(_TAG.sub(" ", str(value))).split()) or None


def tooi(code: str | None) -> URIRef | None:
    match = _CODE.match((code or "").strip().lower())
    if not match or match.group(1) not in TOOI_TYPES:
        return None
    return URIRef(f"{TOOI}{TOOI_TYPES[match.group(1)]}/{match.group(0)}")


def add_record(
    g: Graph,
    base: str,
    source: str,
    catalog: URIRef,
    native_id: str,
    rec: Mapping[str, Any],
    publisher: URIRef | None,
) -> None:
    """A registration as a reg:Algorithm description plus its dcat:CatalogRecord."""
    key = re.sub(r"[^A-Za-z0-9_-]", "_", native_id)
    subject = URIRef(f"{base}id/description/{source}/{key}")
    record = URIRef(f"{base}id/record/{source}/{key}")
    g.add((subject, RDF.type, REG.Algorithm))
    g.add((subject, DCTERMS.identifier, Literal(native_id)))
    if title := text(rec.get("name")):
        g.add((subject, DCTERMS.title, Literal(title, lang="nl")))
    if description := text(rec.get("description_short")):
        g.add((subject, DCTERMS.description, Literal(description, lang="nl")))
    if goal := text(rec.get("goal")):
        g.add((subject, REG.goal, Literal(goal, lang="nl")))
    if org := tooi(rec.get("org_id")) or publisher:
        g.add((subject, DCTERMS.publisher, org))
    if status := text(rec.get("status")):
        slug = STATUSES.get(status.lower())
        g.add((subject, ADMS.status, STATUS[slug] if slug else Literal(status)))
    page = rec.get("website") or rec.get("url")
    if rec.get("lars"):
        page = NATIONAL_PAGE + rec["lars"]
    if page:
        g.add((subject, DCAT.landingPage, URIRef(page)))
    g.add((record, RDF.type, DCAT.CatalogRecord))
    g.add((record, FOAF.primaryTopic, subject))
    if rec.get("create_dt"):
        g.add((record, DCTERMS.modified, Literal(rec["create_dt"], datatype=XSD.dateTime)))
    g.add((catalog, DCAT.record, record))


def load_sources(config: str | Path | Iterable[Mapping[str, Any]]) -> tuple[list[Any], str]:
    if isinstance(config, str | Path):
        doc = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
        return list(doc["sources"]), doc.get("base_iri") or "https://algoritmes.example.org/"
    return list(config), "https://algoritmes.example.org/"


def run(
    config_path_or_urls: str | Path | Iterable[Mapping[str, Any]], out_path: str | Path
) -> dict[str, Any]:
    """Harvest every source of a federator config (or a list of source dicts with id,
    format, url and optionally organisation) into one N-Quads file; return timings."""
    sources, base = load_sources(config_path_or_urls)
    start = time.perf_counter()
    ds = Dataset()
    stats: dict[str, Any] = {"sources": {}, "bytes": 0, "fetch_s": 0.0, "map_s": 0.0}
    graphs: list[Graph] = []
    with requests.Session() as session:
        for src in sources:
            t0 = time.perf_counter()
            if src["format"] == "algoritmeregister-api":
                records, size = fetch_api(session, src["url"])
            else:
                records, size = fetch_file(session, src["url"], src["format"])
            t1 = time.perf_counter()
            g = ds.graph(URIRef(f"{base}graph/{src['id']}"))
            graphs.append(g)
            catalog = URIRef(f"{base}id/catalog/{src['id']}")
            g.add((catalog, RDF.type, DCAT.Catalog))
            g.add((catalog, DCTERMS.title, Literal(src.get("title") or src["id"], lang="nl")))
            publisher = tooi(src.get("organisation"))
            for i, rec in enumerate(records):
                native = rec.get("lars") or rec.get("source_id") or f"row-{i + 1}"
                add_record(g, base, src["id"], catalog, str(native), rec, publisher)
            stats["fetch_s"] += t1 - t0
            stats["map_s"] += time.perf_counter() - t1
            stats["bytes"] += size
            stats["sources"][src["id"]] = len(records)
    t2 = time.perf_counter()
    ds.serialize(destination=str(out_path), format="nquads")
    end = time.perf_counter()
    stats.update(
        records=sum(stats["sources"].values()),
        quads=sum(len(g) for g in graphs),
        serialize_s=end - t2,
        total_s=end - start,
        out_bytes=Path(out_path).stat().st_size,
    )
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("config", type=Path, help="a federator YAML config")
    parser.add_argument("out", type=Path, help="N-Quads file to write")
    args = parser.parse_args(argv)
    stats = run(args.config, args.out)
    stats["sources"] = len(stats["sources"])
    json.dump(stats, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
