"""A run where one register changed rebuilds only its organisations, and publishes exactly
what a full rebuild would."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from helpers import SHARED, serve_scenario, write_config

from federator import codec, config
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator
from federator.publish import snapshot
from federator.push.local import store_text
from federator.query import run_query
from federator.sim import Registers, RegisterServer

DEV = SHARED / "federation-dev"
AMSTERDAM = "gemeente-amsterdam.json"


def edited_amsterdam(split: bool = False) -> bytes:
    """Amsterdam's register with one title edited, one registration withdrawn, and one new
    registration repeating a national one (a merge); with ``split``, a registration that
    shares an algorithm with the national register also changes beyond recognition."""
    doc = json.loads((DEV / AMSTERDAM).read_text("utf-8"))
    records: list[dict[str, Any]] = doc["algoritme_versions"]
    by_id = {r["source_id"]: r for r in records}
    by_id["A-0050"]["name"] += " (herzien)"  # A-0050 and A-0035: Amsterdam's alone (gold.csv)
    records.remove(by_id["A-0035"])
    if split:  # A-0051 is one algorithm with a national registration (gold.csv)
        by_id["A-0051"].update(name="Iets heel anders", description_short="Nieuw.", goal="Nieuw.")
    national = json.loads((DEV / "national" / "records.json").read_text("utf-8"))
    twin = next(r for r in national if str(r["lars"]) == "19497482")  # national alone
    records.append(
        {
            "name": twin["name"],
            "organization": "Gemeente Amsterdam",
            "description_short": twin.get("description_short"),
            "goal": twin.get("goal"),
            "status": "Actief",
            "source_id": "A-NEW-1",
            "standard_version": "1.0",
        }
    )
    return json.dumps(doc).encode("utf-8")


def edited_utrecht() -> bytes:
    """Utrecht's register with the title of its first registration edited."""
    text = (DEV / "gemeente-utrecht.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["name"] += " (herzien)"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def graph_quads(store: ox.Store, graph: str) -> set[str]:
    return {str(q) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


def assert_a_full_rebuild_changes_nothing(fed: Federator) -> None:
    """Mark the unified graph as interrupted: the next run rebuilds every graph from state;
    each must come out exactly as it stands in the store, under the same digest (the unified
    graph's comes from its blocks, whether they were patched or written whole)."""
    names = [g for g in fed.store.graph_names() if g != fed.minter.graph("provenance")]
    published = {g: graph_quads(fed.store.ox, g) for g in names}
    digests = {g: fed.store.published_digest(g) for g in names}
    unified = fed.minter.graph("unified")
    fed.store._mark_dirty(unified)
    again = fed.run_once()
    assert all(sr.stats["graphs_rewritten"] == 0 for sr in again.sources.values())
    for graph in names:
        assert graph_quads(fed.store.ox, graph) == published[graph], graph
        assert fed.store.published_digest(graph) == digests[graph], graph


def assert_state_identities_match_the_graph(fed: Federator) -> None:
    """Every record's identity in state is the algorithm its record names in the graph."""
    rows = fed.state.db.execute("SELECT source, native_id, canonical FROM identities")
    kept = {(source, native): fed.minter.algorithm(token) for source, native, token in rows}
    published = {
        (r["source"].value, r["id"].value): r["algorithm"].value
        for r in run_query(fed.store.ox, CONTRACT_QUERY)
    }
    assert kept == published


def spy_on_comparisons(fed: Federator) -> list[str]:
    """Graph names whose whole texts the store compares or, rebuilding, writes anew (rather
    than skip or patch)."""
    compared: list[str] = []
    sync_graph, stream = fed.store.sync_graph, fed.store.stream

    def spy(graph: str, *args: Any) -> Any:
        compared.append(graph)
        return sync_graph(graph, *args)

    def spy_stream(graph: str, **kwargs: Any) -> Any:
        if fed.store.rebuilding():
            compared.append(graph)
        return stream(graph, **kwargs)

    fed.store.sync_graph = spy  # type: ignore[method-assign]
    fed.store.stream = spy_stream  # type: ignore[method-assign]
    return compared


@pytest.fixture
def federated(tmp_path: Path) -> Any:
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, DEV)
        fed = Federator(config.load(write_config(tmp_path / "f.yaml", sources)))
        fed.run_once()
        yield fed, server


@pytest.mark.parametrize("split", [False, True], ids=["local", "split"])
def test_one_changed_register_rebuilds_only_its_organisation(federated: Any, split: bool) -> None:
    fed, server = federated
    before = {g: fed.store.published_digest(g) for g in fed.store.graph_names()}
    server.registers.put(AMSTERDAM, edited_amsterdam(split))
    compared = spy_on_comparisons(fed)
    report = fed.run_once()
    amsterdam = report.sources["gemeente-amsterdam"].stats
    assert (amsterdam["added"], amsterdam["changed"], amsterdam["removed"]) == (1, 1 + split, 1)
    assert amsterdam["graphs_rewritten"] == 1
    # The national record that lost its Amsterdam twin moves to a new algorithm IRI, so the
    # national graph changes too; otherwise it stands as it was.
    assert report.sources["national"].stats["graphs_rewritten"] == int(split)
    skipped = [fed.minter.source_graph(s) for s in ("gemeente-utrecht", "provincie-groningen")]
    assert not set(skipped) & set(compared)  # not even rebuilt
    assert fed.minter.graph("unified") not in compared  # changed block by block
    assert before[fed.minter.graph("unified")] != fed.store.published_digest(
        fed.minter.graph("unified")
    )
    assert_state_identities_match_the_graph(fed)  # written as a diff: came, went, moved
    # A second register changes in the next run: the blocks kept in state still patch.
    server.registers.put("gemeente-utrecht.csv", edited_utrecht())
    compared.clear()
    fed.run_once()
    assert fed.minter.graph("unified") not in compared
    assert_a_full_rebuild_changes_nothing(fed)


def die_after_writing_the_store(federated: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish Amsterdam's edit into the store, then fail before the state's commit; the
    register then goes back to what the state holds."""
    fed, server = federated
    server.registers.put(AMSTERDAM, edited_amsterdam(split=True))

    def fail(*args: Any) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(snapshot, "take", fail)
        failed = fed.run_once(["gemeente-amsterdam"])  # graphs written, state not committed
    assert failed.sources["gemeente-amsterdam"].outcome == "failed"
    server.registers.put(AMSTERDAM, (DEV / AMSTERDAM).read_bytes())


def test_a_publish_that_died_before_its_commit_is_repaired_by_the_next_run(
    federated: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fed, server = federated
    die_after_writing_the_store(federated, monkeypatch)
    server.registers.put("gemeente-utrecht.csv", edited_utrecht())
    compared = spy_on_comparisons(fed)
    fed.run_once(["gemeente-utrecht"])  # Utrecht only is harvested...
    # ...but the store holds what the state does not: the publish is full, and the unified
    # graph is compared whole (its blocks in state do not name what the store holds).
    assert fed.minter.graph("unified") in compared
    assert_a_full_rebuild_changes_nothing(fed)


def test_the_new_registration_joins_its_national_twin(federated: Any) -> None:
    fed, server = federated
    server.registers.put(AMSTERDAM, edited_amsterdam())
    fed.run_once()
    rows = fed.state.db.execute(
        "SELECT canonical FROM identities WHERE canonical IN "
        "(SELECT canonical FROM identities WHERE source = 'gemeente-amsterdam' "
        "AND native_id = 'A-NEW-1')"
    ).fetchall()
    assert len(rows) == 2


def test_a_run_with_nothing_new_repairs_what_a_dead_publish_left(
    federated: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing looks changed, yet the store must be put right.
    fed, _ = federated
    die_after_writing_the_store(federated, monkeypatch)
    report = fed.run_once()
    assert report.sources["gemeente-amsterdam"].stats["graphs_rewritten"] == 1
    assert_a_full_rebuild_changes_nothing(fed)


def test_blocks_in_state_that_disagree_with_the_graph_are_put_right(federated: Any) -> None:
    # A kept algorithm lost its block and a block no algorithm holds appeared (state and
    # store disagree, however that came about): the run in scope rebuilds the one, drops the
    # other, and the store rewrites the unified graph whole as its blocks now say.
    fed, server = federated
    unified = fed.minter.graph("unified")
    published = graph_quads(fed.store.ox, unified)
    utrecht = fed.state.db.execute(
        "SELECT token, organisation FROM unified_blocks WHERE token IN (SELECT canonical "
        "FROM identities WHERE source = 'gemeente-utrecht') LIMIT 1"
    ).fetchone()
    fed.state.db.execute("DELETE FROM unified_blocks WHERE token = ?", (utrecht[0],))
    stray = f'<{fed.minter.algorithm("stray")}> <http://purl.org/dc/terms/title> "x" .\n'
    fed.state.db.execute(
        "INSERT INTO unified_blocks VALUES ('stray', ?, ?, 'd')", (utrecht[1], stray)
    )
    server.registers.put(AMSTERDAM, edited_amsterdam())
    compared = spy_on_comparisons(fed)
    fed.run_once()
    assert unified in compared  # the patch did not start from what the store holds
    now = graph_quads(fed.store.ox, unified)
    assert not any("stray" in q for q in now)
    assert {q for q in published if utrecht[0] in q} <= now
    tokens = {r[0] for r in fed.state.db.execute("SELECT token FROM unified_blocks")}
    assert "stray" not in tokens and utrecht[0] in tokens
    assert_a_full_rebuild_changes_nothing(fed)


def test_a_full_run_after_scoped_ones_changes_the_unified_graph_block_by_block(
    federated: Any, tmp_path: Path
) -> None:
    # A configuration change rebuilds every graph. No copy of the unified graph's text is
    # kept after a scoped run: it is patched from the blocks in state, not compared whole.
    fed, server = federated
    server.registers.put(AMSTERDAM, edited_amsterdam())
    fed.run_once()
    unified = fed.minter.graph("unified")
    assert fed.store.published_text(unified) is None  # patched: no copy
    published = graph_quads(fed.store.ox, unified)
    fed.close()
    path = tmp_path / "f.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    for source in doc["sources"]:  # the national descriptions now win over Amsterdam's own
        if source["id"] == "gemeente-amsterdam":
            source["priority"] = 1
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    fed = Federator(config.load(path))
    try:
        compared = spy_on_comparisons(fed)
        fed.run_once()
        assert unified not in compared
        assert graph_quads(fed.store.ox, unified) != published
        assert_a_full_rebuild_changes_nothing(fed)
    finally:
        fed.close()


def test_a_record_moving_organisation_and_one_coming_back_publish_what_a_full_run_would(
    federated: Any,
) -> None:
    fed, server = federated
    server.registers.put(AMSTERDAM, edited_amsterdam())  # A-0035 withdrawn, among others
    fed.run_once()
    iri = fed.state.withdrawn_identities()[("gemeente-amsterdam", "A-0035")]
    server.registers.put(AMSTERDAM, (DEV / AMSTERDAM).read_bytes())  # ...and back
    records = server.registers.api_records
    utrecht = next(r for r in records if r["organization"] == "Gemeente Utrecht")
    moved = next(r for r in records if r["organization"] == "Gemeente Amsterdam")
    moved.update(organization="Gemeente Utrecht", org_id=utrecht["org_id"])
    compared = spy_on_comparisons(fed)
    report = fed.run_once()
    assert report.exit_code == 0
    assert fed.minter.source_graph("provincie-groningen") not in compared  # a run in scope
    assert fed.state.identities()[("gemeente-amsterdam", "A-0035")] == iri
    published = {
        row["body"]["identity"].get("lars"): row["body"]["organisation"]
        for row in fed.state.records("national").values()
    }
    assert published[str(moved["lars"])] == published[str(utrecht["lars"])]  # it did move
    assert_state_identities_match_the_graph(fed)
    assert_a_full_rebuild_changes_nothing(fed)


def as_an_older_version_left_it(fed: Federator) -> None:
    """Make ``data_dir`` look as versions before numbered migrations left it: blocks without
    a digest, the graphs' digests in a ``graph_hashes`` table and in a file beside each copy
    (the unified graph named by its text's SHA-256, its copy kept), and no manifest."""
    unified = fed.minter.graph("unified")
    copy = fed.store._file(unified)
    assert copy is not None and not copy.exists()  # this version keeps none for this graph
    text = store_text(fed.store.ox, unified).encode("utf-8")
    with codec.file_writer(copy) as out:
        out.write(text)
    digest = hashlib.sha256(text).hexdigest()
    copy.with_suffix(".sha256").write_text(digest + "\n")
    assert fed.store.published is not None
    (fed.store.published / "manifest.json").unlink()
    db = fed.state.db
    db.execute("CREATE TABLE graph_hashes (graph TEXT PRIMARY KEY, digest TEXT NOT NULL)")
    db.execute("INSERT INTO graph_hashes VALUES (?, ?)", (unified, digest))
    db.execute("ALTER TABLE unified_blocks DROP COLUMN digest")
    db.execute("PRAGMA user_version = 0")  # versions before numbered migrations


def test_data_an_older_version_left_is_upgraded_by_one_full_run(federated: Any) -> None:
    fed, server = federated
    as_an_older_version_left_it(fed)
    fed.close()
    fed = Federator(fed.config)
    try:
        unified = fed.minter.graph("unified")
        server.registers.put(AMSTERDAM, edited_amsterdam())
        compared = spy_on_comparisons(fed)
        assert fed.run_once().exit_code == 0
        assert unified in compared  # no block digests yet: compared whole
        assert fed.state.has_unified_blocks()
        tables = {r[0] for r in fed.state.db.execute("SELECT name FROM sqlite_master")}
        assert "graph_hashes" not in tables  # the store's manifest is the one record
        assert_state_identities_match_the_graph(fed)
        assert_a_full_rebuild_changes_nothing(fed)
        server.registers.put("gemeente-utrecht.csv", edited_utrecht())
        compared.clear()
        fed.run_once()
        assert unified not in compared  # and from then on runs in scope patch it...
        assert fed.minter.source_graph("provincie-groningen") not in compared  # ...in scope
    finally:
        fed.close()


def test_a_record_without_an_identity_puts_its_organisation_in_scope(federated: Any) -> None:
    # However a national record lost its identity, the next run that harvests it resolves its
    # organisation again, with that organisation's records in every register.
    fed, server = federated
    db = fed.state.db
    org = db.execute(
        "SELECT organisation FROM records WHERE source = 'gemeente-amsterdam' LIMIT 1"
    ).fetchone()
    (native,) = db.execute(
        "SELECT native_id FROM records WHERE source = 'national' AND organisation = ?", org
    ).fetchone()
    db.execute("DELETE FROM identities WHERE source = 'national' AND native_id = ?", (native,))
    elsewhere = next(r for r in server.registers.api_records if r["organization"] == "Douane")
    elsewhere["name"] += " (herzien)"  # the national register is harvested again
    assert fed.run_once().exit_code == 0
    assert ("national", native) in fed.state.identities()
    assert_state_identities_match_the_graph(fed)
    assert_a_full_rebuild_changes_nothing(fed)


def test_a_dropped_source_whose_last_write_did_not_land_leaves_nothing_behind(
    federated: Any, tmp_path: Path
) -> None:
    fed, _ = federated
    graph = fed.minter.source_graph("provincie-groningen")
    assert graph in fed.store.graph_names()
    fed.store.manifest.begin_write(graph)  # as a write cut short leaves it: no digest
    fed.close()
    path = tmp_path / "f.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["sources"] = [s for s in doc["sources"] if s["id"] != "provincie-groningen"]
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    fed = Federator(config.load(path))
    try:
        assert fed.run_once().exit_code == 0
        assert graph not in fed.store.graph_names()  # its half-written statements are gone
        assert graph not in fed.store.manifest.graphs
        assert not fed.store.dirty()  # and the next runs may skip and scope again
    finally:
        fed.close()
