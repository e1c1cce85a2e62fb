"""A run in which a source did not change refers to the warnings it keeps instead of copying
them (``state.runs``): its harvest log reads as the copy did, it writes only what is its own,
pruning keeps what a kept run refers to, and a state file from before reads as it did.

The copying run log of before is kept here (``copying``) as the oracle: the same register
history is run with it and with the run log of now, and every run's log compared.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import write_config

from federator import config, report
from federator.pipeline import Federator
from federator.sim import Registers, RegisterServer
from federator.state import SourceRun, State, schema
from federator.state.runs import RunLog, now

SOURCE = "utrecht"
RECORDS = [
    {"name": "Goed", "source_id": "U-1", "status": "Wordt besproken"},  # accepted, warned
    {"name": "", "source_id": "U-2", "status": "Wordt besproken"},  # rejected, and warned
    {"name": "Ook goed", "source_id": "U-3", "status": "In gebruik"},
    {"name": "Twee", "source_id": "U-4", "status": "In gebruik"},  # accepted; its id again
    {"name": "Twee", "source_id": "U-4", "status": "In gebruik"},  # an error of U-4's
]
# A full run, then unchanged ones: mapped again ("same": new bytes, same records) or answered
# 304; a change makes a new full log, and unchanged runs follow it.
STEPS = ["full", "304", "same", "304", "same", "304", "304", "change", "304", "same", "same"]


# -- the run log of before: warnings copied into every unchanged run ---------------------------
_ACCEPTED = "(SELECT native_id FROM records WHERE source = ?)"


def _old_write_source_run(self: RunLog, db: sqlite3.Connection, sr: SourceRun) -> None:
    db.execute(
        "INSERT OR REPLACE INTO source_runs VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            sr.run_id,
            sr.source,
            sr.started,
            sr.ended or now(),
            sr.outcome,
            sr.error,
            sr.error_code,
            json.dumps(sr.stats),
            json.dumps(sr.statuses),
            json.dumps(sr.durations),
            json.dumps(sr.payloads),
        ),
    )
    db.execute("DELETE FROM issues WHERE run_id = ? AND source = ?", (sr.run_id, sr.source))
    db.executemany(
        "INSERT INTO issues VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (
                sr.run_id,
                sr.source,
                i.get("native_id"),
                i.get("title"),
                i["severity"],
                i.get("field"),
                i["code"],
                i.get("value"),
                i["message_en"],
                i["message_nl"],
            )
            for i in sr.issues
        ],
    )
    if sr.carry is not None:
        from_run, warnings_only = sr.carry
        only = " AND severity = 'warning' AND native_id IN " + _ACCEPTED
        db.execute(
            "INSERT INTO issues SELECT ?, source, native_id, title, severity, field, code, "
            "value, message_en, message_nl FROM issues WHERE run_id = ? AND source = ?"
            + (only if warnings_only else ""),
            (sr.run_id, from_run, sr.source, *((sr.source,) if warnings_only else ())),
        )


def _old_count_carried_warnings(self: RunLog, source: str, run_id: str) -> int:
    row = self.db.execute(
        "SELECT COUNT(*) FROM issues WHERE source = ? AND run_id = ? "
        "AND severity = 'warning' AND native_id IN " + _ACCEPTED,
        (source, run_id, source),
    ).fetchone()
    return int(row[0])


def _old_issues(self: RunLog, source: str, run_id: str) -> list[dict[str, Any]]:
    rows = self.db.execute(
        "SELECT * FROM issues WHERE source = ? AND run_id = ? ORDER BY severity DESC, native_id",
        (source, run_id),
    ).fetchall()
    return [dict(r) for r in rows]


def _old_prune(self: RunLog, keep_runs: int) -> None:
    with self.transaction() as db:
        gone = db.execute(
            """SELECT rowid, run_id, source FROM (SELECT rowid, run_id, source,
                 ROW_NUMBER() OVER (
                   PARTITION BY source ORDER BY started DESC, rowid DESC) AS n
                 FROM source_runs)
               WHERE n > ?""",
            (keep_runs,),
        ).fetchall()
        db.executemany("DELETE FROM source_runs WHERE rowid = ?", [(r[0],) for r in gone])
        db.executemany(
            "DELETE FROM issues WHERE run_id = ? AND source = ?", [(r[1], r[2]) for r in gone]
        )
        db.execute(
            "DELETE FROM runs WHERE outcome != 'running' AND NOT EXISTS "
            "(SELECT 1 FROM source_runs s WHERE s.run_id = runs.run_id)"
        )


def copying(mp: pytest.MonkeyPatch) -> None:
    """The state file and run log of before (schema version 5)."""
    mp.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:5])
    mp.setattr(RunLog, "write_source_run", _old_write_source_run)
    mp.setattr(RunLog, "count_carried_warnings", _old_count_carried_warnings)
    mp.setattr(RunLog, "issues", _old_issues)
    mp.setattr(RunLog, "prune", _old_prune)


# -- a register's history ---------------------------------------------------------------------
def log_of(state: State, run_id: str) -> dict[str, Any]:
    """A run's log as ``federator log`` and the harvest-log pages read it (``report``); the
    history's folder (in the mapping's warning) left out, to compare histories."""
    detail = report.run_detail(state, SOURCE, run_id)
    assert detail is not None
    assert {i["run_id"] for i in detail["issues"]} <= {run_id}
    run = report.RunLog.of(detail)
    folder = str(state.path.parent.parent)
    mine = [
        {k: v.replace(folder, "") if isinstance(v, str) else v for k, v in i.items()}
        for i in detail["issues"]
    ]
    for i in mine:
        del i["run_id"]
    return {
        "columns": sorted(detail),
        "issues": mine,  # in the order read
        "rejected": len(run.rejected),
        "warnings": len(run.warnings),
        "by_rule": [(code, len(rows)) for code, rows in run.warnings_by_rule],
        "verdict": run.verdict,
        "counts": run.all_counts,
        "carried": state.count_carried_warnings(SOURCE, run_id),
    }


class History:
    def __init__(self, data_dir: Path, run_ids: list[str], logs: list[dict[str, Any]]) -> None:
        self.data_dir, self.run_ids, self.logs = data_dir, run_ids, logs
        self.before: list[dict[str, Any]] = []  # the logs the run log of before read


def play(folder: Path, steps: list[str], old: int = 0) -> History:
    """Run ``steps`` against a register of its own; the first ``old`` with the copying run
    log of before, the rest with today's (the state file migrated in between)."""
    folder.mkdir(parents=True, exist_ok=True)
    mapping = folder / "m.yaml"  # a key no record has: a warning of no record (native id None)
    mapping.write_text(
        "extends: algoritmeregister-json.yaml\n"
        "fields:\n  alternative:\n    from: bijnaam\n    property: dcterms:alternative\n"
        "    transforms: [text]\n"
    )
    run_ids: list[str] = []
    before: list[dict[str, Any]] = []
    with RegisterServer(Registers()) as server, pytest.MonkeyPatch.context() as mp:
        source = {
            "id": SOURCE,
            "title": "U",
            "level": "municipal",
            "organisation": "gm0344",
            "format": "algoritmeregister-json",
            "url": server.file_url("u.json"),
            "mapping": str(mapping),
        }
        cfg = config.load(write_config(folder / "f.yaml", [source]))
        if old:
            copying(mp)
        for n, step in enumerate(steps):
            if n == old and old:
                state = State(cfg.data_dir)
                before = [log_of(state, r) for r in run_ids]
                state.close()
                mp.undo()
            if step == "full":
                server.registers.put("u.json", json.dumps(RECORDS).encode())
            elif step == "same":
                server.registers.documents["u.json"].body += b" "
            elif step == "change":
                changed = [
                    dict(r, name="Anders") if r["source_id"] == "U-3" else r for r in RECORDS
                ]
                server.registers.put("u.json", json.dumps(changed).encode())
            fed = Federator(cfg)
            sr = fed.run_once().sources[SOURCE]
            fed.close()
            assert sr.outcome == "synced"
            assert ("304" in sr.statuses) == (step == "304")
            assert (sr.carry is not None) == (step not in ("full", "change"))
            run_ids.append(sr.run_id)
        state = State(cfg.data_dir)
        logs = [log_of(state, r) for r in run_ids]
        state.close()
    history = History(cfg.data_dir, run_ids, logs)
    history.before = before
    return history


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> History:
    """The history of ``STEPS`` as the copying run log logged it."""
    return play(tmp_path_factory.mktemp("copied"), STEPS, old=len(STEPS))


@pytest.fixture(scope="module")
def referred(tmp_path_factory: pytest.TempPathFactory) -> History:
    """The history of ``STEPS`` as the run log of now logs it."""
    return play(tmp_path_factory.mktemp("referred"), STEPS)


def own_rows(data_dir: Path, run_id: str) -> list[sqlite3.Row]:
    with sqlite3.connect(data_dir / "state.sqlite") as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM issues WHERE run_id = ?", (run_id,)).fetchall()


# -- the tests --------------------------------------------------------------------------------
def test_an_unchanged_run_logs_what_the_copy_logged(copied: History, referred: History) -> None:
    full = copied.logs[0]
    # The register's log has all kinds: a rejection, its record's warnings, warnings of
    # accepted records, an error of an accepted record (its id again), and the mapping's
    # warning (of no record).
    assert (full["rejected"], full["warnings"]) == (2, 17)
    codes = {(i["native_id"], i["code"]) for i in full["issues"]}
    assert {("U-2", "missing_name"), ("U-2", "unknown_status"), ("U-1", "unknown_status")} <= codes
    assert ("U-4", "duplicate_id") in codes
    assert (None, "mapping_matched_nothing") in codes
    for n, step in enumerate(STEPS):
        assert referred.logs[n] == copied.logs[n], f"run {n} ({step})"
    # Every unchanged run keeps the warnings (and the mapping's) and the rejection.
    for log in referred.logs:
        assert (log["warnings"], log["by_rule"], log["carried"]) == (17, full["by_rule"], 11)
        assert ("U-2", "missing_name") in {(i["native_id"], i["code"]) for i in log["issues"]}


def test_an_unchanged_run_writes_no_copied_warnings(referred: History) -> None:
    accepted = {"U-1", "U-3", "U-4"}
    for n, step in enumerate(STEPS):
        own = own_rows(referred.data_dir, referred.run_ids[n])
        log = referred.logs[n]["issues"]
        kept = [i for i in log if i["severity"] == "warning" and i["native_id"] in accepted]
        assert kept  # U-1's and the duplicate's
        if step in ("full", "change"):
            assert len(own) == len(log)
            continue
        # Its own: the rejection, its record's warnings, the mapping's; after a 304 (nothing
        # validated) copied from the run before, being few (the duplicate's error, too).
        assert not [r for r in own if r["severity"] == "warning" and r["native_id"] in accepted]
        assert len(own) == len(log) - len(kept)


def test_prune_keeps_the_warnings_a_kept_run_refers_to(tmp_path: Path) -> None:
    steps = ["full", "same", "304", "change", "304"]
    history = play(tmp_path, steps)
    r = history.run_ids
    state = State(history.data_dir)

    def held() -> set[str]:
        return {row[0] for row in state.db.execute("SELECT DISTINCT run_id FROM issues")}

    def rejects() -> set[str]:
        return {row[0] for row in state.db.execute("SELECT run_id FROM issue_rejects")}

    assert held() == set(r)
    assert rejects() == {r[0], r[3]}  # the runs referred to, frozen when first referred to
    state.prune(3)
    kept = [x["run_id"] for x in state.source_runs(SOURCE)]
    assert kept == [r[4], r[3], r[2]]
    # r[2] refers to r[0]'s warnings: pruned from the log, its rows stay.
    assert held() == {r[0], r[2], r[3], r[4]}
    assert rejects() == {r[0], r[3]}
    assert report.run_detail(state, SOURCE, r[0]) is None
    assert state.issues(SOURCE, r[0]) == []
    assert [log_of(state, x) for x in r[2:]] == history.logs[2:]
    state.prune(3)  # nothing more to prune: nothing changes
    assert held() == {r[0], r[2], r[3], r[4]}

    def write(run_id: str, carry: tuple[str, bool] | None) -> None:
        """A later run, as the pipeline writes it (in the far future: the newest)."""
        with state.transaction() as db:
            state.start_run(run_id, "manual", 1)
            sr = SourceRun(run_id, SOURCE, started=f"2999-01-0{len(kept)}T00:00:00Z")
            sr.outcome, sr.carry = "synced", carry
            state.write_source_run(db, sr)
            state.end_run(db, run_id, "synced")
        kept.append(run_id)

    # One more unchanged run (a 304 after r[4]): r[2] is pruned, nothing kept refers to r[0].
    write("r-later", (r[4], False))
    later = log_of(state, "r-later")
    assert later["issues"] == history.logs[4]["issues"]
    state.prune(3)
    assert [x["run_id"] for x in state.source_runs(SOURCE)] == ["r-later", r[4], r[3]]
    assert held() == {r[3], r[4], "r-later"}
    assert rejects() == {r[3]}
    assert not state.db.execute("SELECT * FROM pruned_origins").fetchall()
    assert [log_of(state, x) for x in r[3:]] == history.logs[3:]
    assert log_of(state, "r-later") == later
    # Only the newest kept: it still refers to r[3], whose rows stay until it is pruned too.
    state.prune(1)
    assert held() == {r[3], "r-later"}
    assert rejects() == {r[3]}
    assert log_of(state, "r-later") == later
    write("r-last", None)  # a run of its own (no issues), referring to nothing
    state.prune(1)
    assert held() == set() and rejects() == set()
    assert not state.db.execute("SELECT * FROM pruned_origins").fetchall()
    state.close()


@pytest.mark.parametrize("old", [2, 3])  # the first run after: mapped again, or a 304
def test_a_state_file_from_before_reads_as_it_did(
    tmp_path: Path, copied: History, old: int
) -> None:
    # The first runs made, and read, by the run log of before; then the file is migrated and
    # the same history goes on with today's, referring to the copied runs.
    mixed = play(tmp_path, STEPS, old=old)
    assert mixed.before == copied.logs[:old]
    assert mixed.logs == copied.logs
    with sqlite3.connect(mixed.data_dir / "state.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
        refs = dict(db.execute("SELECT run_id, warnings_from FROM source_runs").fetchall())
    r = mixed.run_ids
    assert [refs[x] for x in r[:old]] == [None] * old  # their own rows are their whole log
    assert refs[r[old]] == r[old - 1]  # the first run after refers to the last copied one
    assert not [row for row in own_rows(mixed.data_dir, r[old]) if row["native_id"] == "U-1"]
    assert len(own_rows(mixed.data_dir, r[old - 1])) == len(copied.logs[old - 1]["issues"])
