"""A publish that writes every graph anew loads a fresh store and swaps it in: the same graphs
as writing into the store in place, and readers see the old snapshot or the new, never half."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import SHARED, run_until_paused, serve_scenario, write_config

from federator import config, versions
from federator.pipeline import Federator
from federator.publish import manifest, snapshot
from federator.publish.store import Store
from federator.sim import Registers, RegisterServer

DEV = SHARED / "federation-dev"


def federate(
    tmp_path: Path, server: RegisterServer, name: str, *, rebuilds: bool, exists: bool = False
) -> Federator:
    sources = serve_scenario(server, DEV)
    (tmp_path / name).mkdir(exist_ok=exists)
    path = write_config(tmp_path / name / "federator.yaml", sources)
    cfg = config.load(path)
    return Federator(cfg, store=Store(cfg.data_dir / "store", rebuilds=rebuilds))


def quads_by_graph(store: ox.Store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for q in store.quads_for_pattern(None, None, None, None):
        assert isinstance(q.graph_name, ox.NamedNode)
        out.setdefault(q.graph_name.value, set()).add(f"{q.subject} {q.predicate} {q.object}")
    return out


def digests(data_dir: Path) -> dict[str, str | None]:
    found = manifest.read(data_dir / "published")
    assert found is not None
    return found["graphs"]


def test_a_rebuild_gives_the_graphs_a_rewrite_in_place_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From one published data directory, copied: every graph written anew into a fresh store
    (an upgrade of the graphs' layout) and every graph rewritten in place (the older way) give
    the same statements, graph by graph, under the same digests."""
    with RegisterServer(Registers()) as server:
        fresh = federate(tmp_path, server, "fresh", rebuilds=True)
        assert fresh.run_once().exit_code == 0
        provenance = fresh.minter.graph("provenance")
        before = quads_by_graph(fresh.store.ox)
        fresh.close()
        shutil.copytree(tmp_path / "fresh" / "var", tmp_path / "in-place" / "var")
        fresh = federate(tmp_path, server, "fresh", rebuilds=True, exists=True)
        in_place = federate(tmp_path, server, "in-place", rebuilds=False, exists=True)
        monkeypatch.setattr(versions, "GRAPHS", versions.GRAPHS + 1)  # an upgrade
        folder = fresh.config.data_dir / "store"
        inode = folder.stat().st_ino
        kept = (in_place.config.data_dir / "store").stat().st_ino
        for graph in in_place.store.manifest.names():  # the older way: each graph rewritten
            in_place.store.manifest.begin_write(graph)
        reports = [fed.run_once() for fed in (fresh, in_place)]
        assert all(r.exit_code == 0 for r in reports)
        assert folder.stat().st_ino != inode  # a fresh store took the place of the old
        assert (in_place.config.data_dir / "store").stat().st_ino == kept  # written in place
        assert not (fresh.config.data_dir / "store.next").exists()
        a, b = quads_by_graph(fresh.store.ox), quads_by_graph(in_place.store.ox)
        assert a.keys() == b.keys() == before.keys() and len(a) > 5
        assert {g: len(a[g] ^ b[g]) for g in a if g != provenance and a[g] != b[g]} == {}
        assert {g: q for g, q in a.items() if g != provenance} == {
            g: q for g, q in before.items() if g != provenance
        }
        assert digests(fresh.config.data_dir) == digests(in_place.config.data_dir)
        # The provenance log was carried over into the fresh store, and grew by this run.
        assert before[provenance] < a[provenance]
        # Nothing said anything new: no source's graph counts as rewritten.
        assert all(sr.stats["graphs_rewritten"] == 0 for sr in reports[0].sources.values())
        fresh.close()
        in_place.close()


def published_counts(data_dir: Path) -> tuple[int, int]:
    """(records, quads outside the provenance log) of the current snapshot."""
    store = snapshot.open_current(data_dir)
    assert store is not None
    records = next(
        iter(
            store.query(
                "SELECT (COUNT(*) AS ?n) WHERE { ?r a <http://www.w3.org/ns/dcat#CatalogRecord> }"
            )
        )
    )
    quads = next(
        iter(
            store.query(
                "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                "FILTER(!STRENDS(STR(?g), '/graph/provenance')) }"
            )
        )
    )
    return int(records["n"].value), int(quads["n"].value)


@pytest.mark.parametrize("point", ["publish.between_graphs", "store.mid_swap"])
def test_readers_see_the_old_snapshot_until_the_swap_and_a_kill_is_repaired(
    tmp_path: Path, point: str
) -> None:
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, DEV)
        path = write_config(tmp_path / "federator.yaml", sources)
        data_dir = tmp_path / "var"
        done = subprocess.run(
            [sys.executable, "-m", "federator", "run", "--once", "--config", str(path)],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        published = published_counts(data_dir)
        # An upgrade: the next run rebuilds. Readers keep answering from the old snapshot
        # while it loads and while it swaps; then it is killed there.
        found = manifest.read(data_dir / "published")
        assert found is not None
        found["layout"] = found["config"] = "what an older version published"
        (data_dir / "published" / manifest.FILE).write_text(json.dumps(found), "utf-8")
        proc = run_until_paused(path, point, tmp_path)
        assert (data_dir / "store.next").exists() or (data_dir / "store.old").exists()
        assert published_counts(data_dir) == published
        # Until the swap the manifest names no graph's digest: the graphs loaded so far are
        # in the fresh store, not in the one a crash now leaves in place.
        during = manifest.read(data_dir / "published")
        assert during is not None and during["graphs"]
        assert not [g for g, d in during["graphs"].items() if d is not None]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert published_counts(data_dir) == published
        # The next run repairs the store folders and rebuilds; nothing is lost or doubled.
        done = subprocess.run(
            [sys.executable, "-m", "federator", "run", "--once", "--config", str(path)],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert published_counts(data_dir) == published
        assert not (data_dir / "store.next").exists() and not (data_dir / "store.old").exists()


def test_a_reader_during_a_rebuild_sees_one_whole_snapshot_or_the_next(tmp_path: Path) -> None:
    """A reader querying without pause through a rebuild (the records are all replaced by
    others): every answer is the whole old graph or the whole new one."""
    with RegisterServer(Registers()) as server:
        fed = federate(tmp_path, server, "reader", rebuilds=True)
        assert fed.run_once().exit_code == 0
        data_dir = fed.config.data_dir
        old = published_counts(data_dir)
        seen: set[tuple[int, int]] = set()
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                seen.add(published_counts(data_dir))

        reader = threading.Thread(target=read)
        reader.start()
        try:
            fed.store.manifest.layout = fed.store.manifest.config = "an older version's"
            national = server.registers.api_records
            server.registers.api_records = national[: len(national) // 2]
            assert fed.run_once(accept_withdrawals=True).exit_code == 0
            time.sleep(0.2)
        finally:
            stop.set()
            reader.join()
        new = published_counts(data_dir)
        assert new != old and old in seen
        assert seen <= {old, new}
        fed.close()
