"""End to end: real registers on loopback -> ``run --once`` -> the published graph."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from helpers import DATA, SHARED, gold_pairs, serve_scenario, write_config

from federator import codec, config
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator, RunReport
from federator.publish import snapshot
from federator.publish.export import export
from federator.query import run_query
from federator.sim import Registers, RegisterServer
from federator.state import State

DEV = SHARED / "federation-dev"


def expected_records(folder: Path) -> set[tuple[str, str]]:
    """Every registration of every source with its native id, read straight from the files."""
    out = set()
    for spec in json.loads((folder / "sources.json").read_text("utf-8")):
        data = (folder / spec["path"]).read_bytes()
        if spec["path"].endswith(".csv"):
            rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        else:
            doc = json.loads(data)
            rows = doc["algoritme_versions"] if isinstance(doc, dict) else doc
        for r in rows:
            out.add((spec["id"], r.get("lars") or r.get("algorithm_id") or r["source_id"]))
    return out


def contract_rows(store: ox.Store) -> list[tuple[str, str, str]]:
    return [
        (s["source"].value, s["id"].value, s["algorithm"].value)
        for s in run_query(store, CONTRACT_QUERY)
    ]


@pytest.fixture(scope="module")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[config.Config, RunReport]]:
    tmp = tmp_path_factory.mktemp("dev")
    with RegisterServer(Registers()) as server:
        cfg = config.load(write_config(tmp / "federator.yaml", serve_scenario(server, DEV)))
        fed = Federator(cfg)
        report = fed.run_once()
        fed.close()
        yield cfg, report


def published(cfg: config.Config) -> ox.Store:
    store = snapshot.open_current(cfg.data_dir)
    assert store is not None
    return store


def test_dev_scenario_publishes_every_registration_and_nothing_else(
    dev_run: tuple[config.Config, RunReport],
) -> None:
    cfg, report = dev_run
    assert report.exit_code == 0, {s: r.error for s, r in report.sources.items()}
    rows = contract_rows(published(cfg))
    assert len(rows) == len({(s, i) for s, i, _ in rows})  # one row per registration
    assert {(s, i) for s, i, _ in rows} == expected_records(DEV)


def test_state_keeps_bodies_and_blocks_packed(dev_run: tuple[config.Config, RunReport]) -> None:
    cfg, _ = dev_run
    state = State(cfg.data_dir)
    kinds = state.db.execute("SELECT DISTINCT typeof(body) FROM records").fetchall()
    assert [k[0] for k in kinds] == ["blob"]
    kinds = state.db.execute("SELECT DISTINCT typeof(text) FROM unified_blocks").fetchall()
    assert [k[0] for k in kinds] == ["blob"]
    # and each reads back as its own record: its id, and a subject that is in the graph
    store = published(cfg)
    for source in {s for s, _, _ in contract_rows(store)}:
        for native, row in state.records(source).items():
            assert (row["body"]["source"], row["body"]["native_id"]) == (source, native)
            subject = ox.NamedNode(row["body"]["subject"])
            assert next(iter(store.quads_for_pattern(subject, None, None, None)), None)
    blocks = state.unified_block_texts()
    assert blocks and all(codec.unpack_text(text).startswith("<") for text in blocks.values())
    state.close()


@pytest.fixture(scope="module", params=["federation-dev", "federation-dev-hard"])
def scenario_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, config.Config]]:
    tmp = tmp_path_factory.mktemp(request.param)
    with RegisterServer(Registers()) as server:
        folder = SHARED / request.param
        cfg = config.load(write_config(tmp / "federator.yaml", serve_scenario(server, folder)))
        fed = Federator(cfg)
        assert fed.run_once().exit_code == 0
        fed.close()
        yield request.param, cfg


def test_resolution_against_gold_end_to_end(
    scenario_run: tuple[str, config.Config], record_property: Any
) -> None:
    """Through the real mapping and the published graph: precision >= 0.995, F1 >= 0.99."""
    name, cfg = scenario_run
    rows = contract_rows(published(cfg))
    assert {(s, i) for s, i, _ in rows} == expected_records(SHARED / name)
    by_algorithm: dict[str, list[tuple[str, str]]] = {}
    for s, i, a in rows:
        by_algorithm.setdefault(a, []).append((s, i))
    predicted = {
        frozenset((m[i], m[j]))
        for m in by_algorithm.values()
        for i in range(len(m))
        for j in range(i + 1, len(m))
    }
    _, gold = gold_pairs(SHARED / name)
    tp = len(predicted & gold)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    figures = f"precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f} ({tp}/{len(gold)} pairs)"
    record_property("resolution", figures)
    print(f"{name} end to end:", figures)
    assert precision >= 0.995 and f1 >= 0.99, figures


def test_records_of_one_source_never_share_an_algorithm(
    dev_run: tuple[config.Config, RunReport],
) -> None:
    cfg, _ = dev_run
    seen: set[tuple[str, str]] = set()
    for source, _, algorithm in contract_rows(published(cfg)):
        assert (source, algorithm) not in seen
        seen.add((source, algorithm))


def test_each_statement_lives_in_one_graph(dev_run: tuple[config.Config, RunReport]) -> None:
    cfg, _ = dev_run
    store = published(cfg)
    union = next(iter(run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"]
    distinct = next(
        iter(
            run_query(
                store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }"
            )
        )
    )["n"]
    assert union.value == distinct.value  # the union default graph double-counts otherwise


def test_export_passes_the_official_dcat_ap_shapes(
    dev_run: tuple[config.Config, RunReport], tmp_path: Path
) -> None:
    from pyshacl import validate
    from rdflib import Dataset, Graph

    cfg, _ = dev_run
    out = tmp_path / "dump.nq"
    export(published(cfg), "nquads", out, io.BytesIO())
    data = Graph()
    for quad in Dataset().parse(out, format="nquads").quads():
        data.add(quad[:3])
    shapes = Graph().parse(SHARED / "reference" / "dcat-ap-3.0.1" / "shapes.ttl")
    conforms, _, text = validate(data, shacl_graph=shapes, allow_warnings=True)
    assert conforms, text[:3000]


def test_a_second_run_rewrites_nothing(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        cfg = config.load(write_config(tmp_path / "f.yaml", serve_scenario(server, DEV)))
        fed = Federator(cfg)
        fed.run_once()
        second = fed.run_once()
        assert second.exit_code == 0
        assert all(r.stats.get("graphs_rewritten") == 0 for r in second.sources.values())
        decentral = [p for m, p, s in server.registers.requests if p.startswith("/files/")]
        statuses = [s for m, p, s in server.registers.requests if p.startswith("/files/")]
        assert statuses[-3:] == [304, 304, 304] and len(decentral) == 6


def test_a_broken_source_keeps_its_graph_and_others_publish(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, DEV)
        cfg = config.load(
            write_config(tmp_path / "f.yaml", sources, harvest={"retries": 3, "backoff": 0.01})
        )
        fed = Federator(cfg)
        assert fed.run_once().exit_code == 0
        before = {r for r in contract_rows(fed.store.ox) if r[0] == "gemeente-amsterdam"}
        # Amsterdam's register now answers an HTML error page; Utrecht changed a title.
        server.registers.fault("/files/gemeente-amsterdam.json", "html")
        utrecht = (
            (DEV / "gemeente-utrecht.csv")
            .read_text("utf-8-sig")
            .replace("Dynamisch inzamelen afval", "Dynamisch inzamelen van afval")
        )
        server.registers.put("gemeente-utrecht.csv", utrecht.encode("utf-8"))
        report = fed.run_once()
        assert report.exit_code == 1
        bad = report.sources["gemeente-amsterdam"]
        assert bad.outcome == "failed" and bad.error_code == "html_instead_of_data"
        assert "gemeente-amsterdam" in (bad.error or "")
        assert report.sources["gemeente-utrecht"].outcome == "synced"
        assert report.sources["gemeente-utrecht"].stats["changed"] == 1
        store = published(cfg)
        after = {r for r in contract_rows(store) if r[0] == "gemeente-amsterdam"}
        assert after == before
        titles = {
            s["t"].value
            for s in run_query(
                store,
                "SELECT ?t WHERE { ?x <http://purl.org/dc/terms/title> ?t "
                'FILTER(CONTAINS(?t, "inzamelen van afval")) }',
            )
        }
        assert titles


def test_an_rdf_register_is_federated(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        server.registers.put("register.ttl", (DATA / "records" / "register.ttl").read_bytes())
        cfg = config.load(
            write_config(
                tmp_path / "f.yaml",
                [
                    {
                        "id": "gemeente-rdf",
                        "title": "RDF",
                        "level": "municipal",
                        "format": "rdf",
                        "organisation": "gm0344",
                        "url": server.file_url("register.ttl"),
                    }
                ],
            )
        )
        fed = Federator(cfg)
        report = fed.run_once()
        assert report.exit_code == 0
        assert {(s, i) for s, i, _ in contract_rows(fed.store.ox)} == {
            ("gemeente-rdf", "R-1"),
            ("gemeente-rdf", "R-2"),
        }
        dates = list(
            run_query(
                fed.store.ox,
                """
            PREFIX dcat: <http://www.w3.org/ns/dcat#>
            SELECT ?d WHERE { ?a a <https://w3id.org/federator/vocab#Algorithm> ;
                              <http://purl.org/dc/terms/temporal>/dcat:startDate ?d }""",
            )
        )
        assert [d["d"].value for d in dates] == ["2024-03"]


def test_the_search_index_moves_only_with_a_committed_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is prepared inside the publish's transaction, from its uncommitted writes:
    a publish that fails after that leaves the index as it was, and the next one moves it."""
    from federator.publish import publisher
    from federator.state import search as index

    def meta() -> dict[str, str]:
        return index.read_meta(tmp_path / "var")[0]

    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, SHARED / "federation-dev")
        fed = Federator(config.load(write_config(tmp_path / "f.yaml", sources)))
        assert fed.run_once().exit_code == 0
        before = meta()
        assert before["how"] == "built"
        server.registers.api_records = server.registers.api_records[:-3]
        with monkeypatch.context() as failing:

            def fail(*_: Any) -> None:
                raise OSError("the snapshot could not be taken")

            failing.setattr(publisher.snapshot, "take", fail)
            assert fed.run_once(accept_withdrawals=True).exit_code == 1
        assert meta() == before
        assert not (tmp_path / "var" / (index.FILE + ".new")).exists()
        assert fed.run_once(accept_withdrawals=True).exit_code == 0
        after = meta()
        assert after["how"] == "patched" and int(after["seq"]) > int(before["seq"])
        fed.close()


def test_a_register_that_answers_the_same_bytes_is_carried_as_after_a_304(
    tmp_path: Path,
) -> None:
    regs = Registers()
    regs.api_records = [
        {"lars": f"{10000000 + i}", "name": f"Algoritme {i}", "organization": "Gemeente X"}
        for i in range(130)
    ]
    regs.api_records[7]["name"] = ""  # rejected, every run
    with RegisterServer(regs) as server:
        source = {
            "id": "nat",
            "title": "N",
            "level": "national",
            "format": "algoritmeregister-api",
            "url": server.api_url,
        }
        cfg = config.load(write_config(tmp_path / "f.yaml", [source]))
        fed = Federator(cfg)
        first = fed.run_once().sources["nat"]
        second = fed.run_once().sources["nat"]
        state = State(cfg.data_dir)
        issues = state.issues("nat", second.run_id)
        state.close()
        fed.close()
    assert first.stats["rejected"] == 1 and first.stats["fetched"] == 130
    assert second.outcome == "synced" and second.carry is not None
    assert second.statuses == {"200": 2}  # both pages fetched, neither read again
    for key in ("fetched", "rejected", "warnings"):
        assert second.stats[key] == first.stats[key]
    assert second.stats["unchanged"] == 129
    assert second.stats.get("added", 0) == second.stats.get("changed", 0) == 0
    assert "map" not in second.durations  # nothing was mapped
    rejected = [i for i in issues if i["severity"] == "error"]
    assert [i["native_id"] for i in rejected] == ["10000007"]


def test_a_named_encoding_reads_the_same_bytes_again(tmp_path: Path) -> None:
    sheet = DATA / "registers" / "gemeente-spreadsheet"
    (tmp_path / "algoritmes.csv").write_bytes((sheet / "algoritmes-macroman.csv").read_bytes())
    source = {
        "id": "gemeente",
        "title": "G",
        "level": "municipal",
        "organisation": "gm0344",
        "format": "csv",
        "url": str(tmp_path / "algoritmes.csv"),
        "mapping": str(sheet / "mapping.yaml"),
    }
    guessed = Federator(config.load(write_config(tmp_path / "f.yaml", [source])))
    first = guessed.run_once().sources["gemeente"]
    guessed.close()
    assert [i["code"] for i in first.issues if i["native_id"] is None] == ["guessed_encoding"]
    # The file is as it was; the operator names its encoding: it is read again, no guess.
    named = Federator(
        config.load(write_config(tmp_path / "f.yaml", [{**source, "encoding": "mac-roman"}]))
    )
    second = named.run_once().sources["gemeente"]
    third = named.run_once().sources["gemeente"]
    named.close()
    assert second.stats["mapping"] != first.stats["mapping"]
    assert second.stats["changed"] > 0 and second.stats["fetched"] == first.stats["fetched"]
    assert not [i for i in second.issues if i["code"] == "guessed_encoding"]
    assert third.stats["fetched"] == first.stats["fetched"] and third.carry is not None
