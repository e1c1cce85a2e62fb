"""Incremental and safe sync: real register history, the withdrawal guard, crash safety."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from helpers import SHARED, run_until_paused, write_config

from federator import config
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator
from federator.publish import snapshot
from federator.query import run_query
from federator.sim import Registers, RegisterServer
from federator.state import State

SNAPSHOTS = SHARED / "algoritmeregister" / "snapshots"
DAYS = ("2026-06-22", "2026-07-22", "2026-08-08")


def api_shape(record: dict[str, str]) -> dict[str, Any]:
    """A snapshot record (the scraper's flattened shape) as the register's API serves it."""
    status = {
        "in_gebruik": "In gebruik",
        "ontwikkeling": "In ontwikkeling",
        "buiten_gebruik": "Buiten gebruik",
    }.get(record["status"], record["status"])
    return {
        "lars": record["id"],
        "name": record["title"],
        "organization": record["organisatie"],
        "status": status,
        "goal": record["doel"] or None,
        "lawful_basis": record["juridische_basis"] or None,
        "description_short": record["doel"] or record["title"],
        "create_dt": record["geregistreerd"],
        "standard_version": "1.0",
        "lang": "nld",
        "language": "NLD",
        "org_id": None,
        "source_id": None,
        "url": None,
    }


def day(name: str) -> dict[str, dict[str, Any]]:
    data = json.loads((SNAPSHOTS / f"{name}.json").read_text("utf-8"))
    return {r["id"]: api_shape(r) for r in data["algoritmes"]}


def utrecht(server: RegisterServer) -> dict[str, str]:
    """A municipal register served as ``u.json``."""
    return {
        "id": "utrecht",
        "title": "U",
        "level": "municipal",
        "organisation": "gm0344",
        "format": "algoritmeregister-json",
        "url": server.file_url("u.json"),
    }


def contract(store: ox.Store) -> set[tuple[str, str]]:
    return {(s["source"].value, s["id"].value) for s in run_query(store, CONTRACT_QUERY)}


def test_replaying_the_real_registers_history_finds_the_real_changes(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        cfg = config.load(
            write_config(
                tmp_path / "f.yaml",
                [
                    {
                        "id": "national",
                        "title": "Algoritmeregister",
                        "level": "national",
                        "format": "algoritmeregister-api",
                        "url": server.api_url,
                    }
                ],
            )
        )
        fed = Federator(cfg)
        before: dict[str, dict[str, Any]] = {}
        for name in DAYS:
            records = day(name)
            server.registers.api_records = list(records.values())
            report = fed.run_once()
            stats = report.sources["national"].stats
            added = set(records) - set(before)
            removed = set(before) - set(records)
            changed = {k for k in records if k in before and records[k] != before[k]}
            assert (stats["added"], stats["changed"], stats["removed"]) == (
                len(added),
                len(changed),
                len(removed),
            ), name
            assert stats["unchanged"] == len(records) - len(added) - len(changed)
            published = contract(fed.store.ox)
            assert published == {("national", k) for k in records}
            if removed:
                gone = next(iter(removed))
                prov = run_query(
                    fed.store.ox,
                    """
                    PREFIX prov: <http://www.w3.org/ns/prov#>
                    PREFIX reg: <https://w3id.org/federator/vocab#>
                    SELECT ?when WHERE { ?d prov:invalidatedAtTime ?when }""",
                )
                assert len(list(prov)) == len(removed), gone
            before = records
        # The real register: 54 added, 1 withdrawn, 32 changed between the first and last day
        # (tests/data keeps all of those, and 178 of the first day's 1,477 registrations).
        changes = (
            State(cfg.data_dir)
            .db.execute("SELECT kind, COUNT(*) FROM changes GROUP BY kind")
            .fetchall()
        )
        assert dict(changes) == {"create": 178 + 54, "update": 29 + 4, "delete": 1}


def test_no_change_run_fetches_nothing_new_and_rewrites_nothing(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        server.registers.api_records = list(day(DAYS[0]).values())
        server.registers.put("u.json", json.dumps([{"name": "A", "source_id": "U-1"}]).encode())
        cfg = config.load(
            write_config(
                tmp_path / "f.yaml",
                [
                    {
                        "id": "national",
                        "title": "N",
                        "level": "national",
                        "format": "algoritmeregister-api",
                        "url": server.api_url,
                    },
                    utrecht(server),
                ],
            )
        )
        fed = Federator(cfg)
        fed.run_once()
        second = fed.run_once()
        assert second.sources["utrecht"].stats["fetched_documents"] == 0
        assert second.sources["national"].stats["unchanged"] == 178
        assert server.registers.requests[-1] == ("GET", "/files/u.json", 304)
        assert second.sources["national"].durations["resolve"] == 0.0


def guarded_setup(tmp_path: Path, server: RegisterServer, n: int = 20) -> tuple[Federator, Path]:
    records = [{"name": f"Algoritme {i}", "source_id": f"U-{i}"} for i in range(n)]
    server.registers.put("u.json", json.dumps(records).encode())
    path = write_config(
        tmp_path / "f.yaml",
        [utrecht(server)],
    )
    fed = Federator(config.load(path))
    assert fed.run_once().exit_code == 0
    return fed, path


@pytest.mark.parametrize(("keep", "code"), [(0, "guard_empty"), (10, "guard_withdrawals")])
def test_mass_withdrawal_is_held_back_until_accepted(tmp_path: Path, keep: int, code: str) -> None:
    with RegisterServer(Registers()) as server:
        fed, path = guarded_setup(tmp_path, server)
        kept = [{"name": f"Algoritme {i}", "source_id": f"U-{i}"} for i in range(keep)]
        server.registers.put("u.json", json.dumps(kept).encode())
        report = fed.run_once()
        sr = report.sources["utrecht"]
        assert report.exit_code == 1 and sr.error_code == code
        assert "--accept-withdrawals" in (sr.error or "")
        assert len(contract(fed.store.ox)) == 20  # the last good graph stays
        fed.close()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "federator",
                "run",
                "--once",
                "--source",
                "utrecht",
                "--accept-withdrawals",
                "--config",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        store = snapshot.open_current(path.parent / "var")
        assert store is not None and len(contract(store)) == keep


def test_a_small_withdrawal_is_applied(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        fed, _ = guarded_setup(tmp_path, server)
        kept = [{"name": f"Algoritme {i}", "source_id": f"U-{i}"} for i in range(1, 20)]
        server.registers.put("u.json", json.dumps(kept).encode())
        report = fed.run_once()
        assert report.exit_code == 0 and report.sources["utrecht"].stats["removed"] == 1
        assert ("utrecht", "U-0") not in contract(fed.store.ox)


def kill_when_paused(path: Path, point: str, tmp_path: Path) -> None:
    """Start ``run --once``, wait until it reaches a pause point, then SIGKILL it."""
    proc = run_until_paused(path, point, tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize(
    ("point", "published_before_kill"),
    [
        ("store.mid_graph", False),
        ("publish.between_graphs", False),
        ("publish.before_commit", True),
    ],
)
def test_sigkill_during_publish_keeps_the_last_state_and_the_next_run_completes(
    tmp_path: Path, point: str, published_before_kill: bool
) -> None:
    with RegisterServer(Registers()) as server:
        fed, path = guarded_setup(tmp_path, server)
        fed.close()
        data_dir = path.parent / "var"
        store = snapshot.open_current(data_dir)
        assert store is not None
        first = contract(store)
        changed = [{"name": f"Algoritme {i} (nieuw)", "source_id": f"U-{i}"} for i in range(20)]
        changed.append({"name": "Nog een", "source_id": "U-99"})
        server.registers.put("u.json", json.dumps(changed).encode())
        kill_when_paused(path, point, tmp_path)
        # Readers see the last published state: the old one, or the new one when the kill came
        # after the snapshot but before the state was committed.
        store = snapshot.open_current(data_dir)
        expected = first | {("utrecht", "U-99")} if published_before_kill else first
        assert store is not None and contract(store) == expected
        state = State(data_dir)
        assert state.db.execute("SELECT COUNT(*) FROM runs WHERE outcome='running'").fetchone()[0]
        done = subprocess.run(
            [sys.executable, "-m", "federator", "run", "--once", "--config", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        store = snapshot.open_current(data_dir)
        assert store is not None
        assert contract(store) == first | {("utrecht", "U-99")}
        titles = {
            s["t"].value
            for s in run_query(
                store,
                """
            PREFIX dcterms: <http://purl.org/dc/terms/>
            PREFIX reg: <https://w3id.org/federator/vocab#>
            SELECT ?t WHERE { ?a a reg:Algorithm ; dcterms:title ?t }""",
            )
        }
        assert titles == {f"Algoritme {i} (nieuw)" for i in range(20)} | {"Nog een"}
        # Nothing of the interrupted write is left over: no old titles, no doubled statements.
        old = list(run_query(store, 'SELECT ?s WHERE { ?s ?p "Algoritme 3"@nl }'))
        assert old == []
        per_graph = {
            s["g"].value: int(s["n"].value)
            for s in run_query(
                store,
                """
            SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g {
              ?s <http://purl.org/dc/terms/title> ?o } } GROUP BY ?g""",
            )
        }
        assert per_graph["https://algoritmes.example.org/graph/source/utrecht"] == 21 + 1
        assert per_graph["https://algoritmes.example.org/graph/unified"] == 21
        assert (
            state.db.execute("SELECT COUNT(*) FROM runs WHERE outcome='running'").fetchone()[0] == 0
        )


def test_remap_uses_stored_payloads_without_fetching(tmp_path: Path) -> None:
    with RegisterServer(Registers()) as server:
        fed, path = guarded_setup(tmp_path, server, n=3)
        fetched = len(server.registers.requests)
        mapping = tmp_path / "m.yaml"
        mapping.write_text(
            "extends: algoritmeregister-json.yaml\n"
            "fields:\n  alternative:\n    from: name\n    property: dcterms:alternative\n"
            "    transforms: [text]\n"
        )
        fed.close()
        text = path.read_text().replace(
            "format: algoritmeregister-json",
            f"format: algoritmeregister-json\n  mapping: {mapping}",
        )
        path.write_text(text)
        fed = Federator(config.load(path))
        report = fed.remap()
        assert report.exit_code == 0 and report.sources["utrecht"].stats["changed"] == 3
        assert len(server.registers.requests) == fetched
        alt = list(
            run_query(
                fed.store.ox, "SELECT ?a WHERE { ?x <http://purl.org/dc/terms/alternative> ?a }"
            )
        )
        assert len(alt) == 6  # the description and the unified algorithm


def test_records_mapped_again_that_say_the_same_are_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgrade of the mapping code maps every record again. One that still describes its
    registration as before is not reported changed, keeps its dates and stays out of the
    change feed; it is stored with its new digest, so that the next run reuses it."""
    from federator.map import mapper
    from federator.publish import publisher

    def stored(fed: Federator) -> dict[str, tuple[str, str, str]]:
        rows = fed.state.db.execute("SELECT native_id, digest, first_seen, changed_at FROM records")
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    with RegisterServer(Registers()) as server:
        fed, _ = guarded_setup(tmp_path, server, n=3)
        before = stored(fed)
        monkeypatch.setattr(mapper, "_CODE_DIGEST", "a new release")
        monkeypatch.setattr(publisher, "now", lambda: "2099-01-01T00:00:00Z")
        report = fed.remap()
        stats = report.sources["utrecht"].stats
        assert (stats["changed"], stats["unchanged"], stats["added"]) == (0, 3, 0)
        after = stored(fed)
        assert all(after[n][0] != before[n][0] for n in before)  # the new digest is kept
        assert all(after[n][1:] == before[n][1:] for n in before)  # and the old dates
        feed = fed.state.db.execute(
            "SELECT COUNT(*) FROM changes WHERE run_id = ?", (report.run_id,)
        ).fetchone()[0]
        assert feed == 0
        fed.close()


def test_a_record_whose_published_date_changes_on_remapping_is_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new date parser can change a record's dcterms:modified while its identity and
    triples stay the same: that record changed, and the graph must say the new date."""
    from federator.map import mapper, transforms

    with RegisterServer(Registers()) as server:
        fed, _ = guarded_setup(tmp_path, server, n=3)
        monkeypatch.setattr(mapper, "_CODE_DIGEST", "a new date parser")
        monkeypatch.setattr(transforms, "modified_date", lambda raw: "2024-03-05")
        report = fed.remap()
        assert report.sources["utrecht"].stats["changed"] == 3
        dates = {
            r["d"].value
            for r in run_query(
                fed.store.ox,
                "SELECT ?d WHERE { ?r a <http://www.w3.org/ns/dcat#CatalogRecord> ; "
                "<http://purl.org/dc/terms/modified> ?d }",
            )
        }
        assert dates == {"2024-03-05"}
        fed.close()


def test_a_withdrawn_algorithm_keeps_its_iri_when_it_comes_back(tmp_path: Path) -> None:
    def iri(fed: Federator) -> tuple[str, str | None]:
        row = fed.state.db.execute(
            "SELECT c.token, c.retired_at FROM canonicals c JOIN identities i "
            "ON i.canonical = c.token WHERE i.native_id = 'U-7'"
        ).fetchone()
        return (row[0], row[1]) if row else ("", None)

    with RegisterServer(Registers()) as server:
        fed, _ = guarded_setup(tmp_path, server)
        token, retired = iri(fed)
        assert token and retired is None
        everything = json.loads(server.registers.documents["u.json"].body)
        without = [r for r in everything if r["source_id"] != "U-7"]
        server.registers.put("u.json", json.dumps(without).encode())
        assert fed.run_once().exit_code == 0
        gone = fed.state.db.execute(
            "SELECT retired_at FROM canonicals WHERE token = ?", (token,)
        ).fetchone()[0]
        assert gone is not None  # retired with its last record
        assert fed.state.withdrawn_identities() == {("utrecht", "U-7"): token}
        server.registers.put("u.json", json.dumps(everything).encode())
        assert fed.run_once().exit_code == 0
        assert iri(fed) == (token, None)  # the same IRI, current again
        assert fed.state.withdrawn_identities() == {}  # remembered until it came back
        fed.close()


def test_an_unchanged_run_keeps_the_verdict_in_the_log(tmp_path: Path) -> None:
    records = [
        {"name": "Goed", "source_id": "U-1", "status": "Wordt besproken"},
        {"name": "", "source_id": "U-2", "status": "Wordt besproken"},  # rejected, and warned
    ]
    with RegisterServer(Registers()) as server:
        server.registers.put("u.json", json.dumps(records).encode(), "text/plain")
        cfg = config.load(
            write_config(
                tmp_path / "f.yaml",
                [utrecht(server)],
            )
        )
        fed = Federator(cfg)
        first = fed.run_once()
        # The document has no validators this time: it is fetched and mapped, all unchanged.
        server.registers.documents["u.json"].body += b" "
        second = fed.run_once()
        state = State(cfg.data_dir)

        def verdict(run_id: str) -> set[tuple[str, str]]:
            return {(i["native_id"], i["code"]) for i in state.issues("utrecht", run_id)}

        assert second.sources["utrecht"].stats["unchanged"] == 1
        assert second.sources["utrecht"].stats["rejected"] == 1
        assert verdict(second.run_id) == verdict(first.run_id)
        assert ("U-2", "missing_name") in verdict(second.run_id)
        assert ("U-1", "unknown_status") in verdict(second.run_id)
        # Run after run, the log holds each issue once: the rejected record's warnings come
        # with its new verdict, not again with the carried one.
        server.registers.documents["u.json"].body += b" "
        third = fed.run_once()

        def rows(run_id: str) -> list[tuple[str, str]]:
            return sorted((i["native_id"], i["code"]) for i in state.issues("utrecht", run_id))

        assert rows(third.run_id) == rows(second.run_id) == rows(first.run_id)
        assert ("U-2", "unknown_status") in rows(third.run_id)
        counts = [r.sources["utrecht"].stats["warnings"] for r in (first, second, third)]
        assert counts[0] == counts[1] == counts[2]


def test_raw_payloads_are_kept_while_a_kept_run_refers_to_them(tmp_path: Path) -> None:
    """``history.keep_runs`` runs are kept per source, and with them exactly the payloads
    they read (``remap`` replays them); the others, and half-written ones, are swept."""
    with RegisterServer(Registers()) as server:
        bodies = [json.dumps([{"name": f"A {n}", "source_id": "U-1"}]).encode() for n in (1, 2, 3)]
        path = write_config(tmp_path / "f.yaml", [utrecht(server)], history={"keep_runs": 2})
        fed = Federator(config.load(path))
        raw = tmp_path / "var" / "raw"
        kept: list[set[str]] = []
        for body in bodies:
            server.registers.put("u.json", body)
            (raw / "ab").mkdir(parents=True, exist_ok=True)
            (raw / "ab" / ".tmp-interrupted").write_bytes(b"half")  # a write cut off
            assert fed.run_once().exit_code == 0
            kept.append({p.parent.name + p.name for p in raw.glob("*/*")})
        fed.close()
    digests = [hashlib.sha256(b).hexdigest() for b in bodies]
    assert kept[0] == {digests[0]}
    assert kept[1] == {digests[0], digests[1]}
    assert kept[2] == {digests[1], digests[2]}  # the first run was pruned, and its payload
