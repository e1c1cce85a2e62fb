"""The run log kept in state: each source's newest runs stay, with their issues, and nothing
of the runs pruned (``state.runs``)."""

from __future__ import annotations

from pathlib import Path

from federator.state import SourceRun, State


def issue(native_id: str) -> dict[str, str]:
    return {
        "native_id": native_id,
        "severity": "warning",
        "code": "c",
        "message_en": "m",
        "message_nl": "m",
    }


def test_prune_keeps_the_newest_runs_of_each_source_and_only_their_issues(
    tmp_path: Path,
) -> None:
    state = State(tmp_path)
    for i in range(4):
        run_id = f"r{i}"
        state.start_run(run_id, "manual", 1)
        with state.transaction() as db:
            # Source "a" ran every time, "b" only in the first two runs.
            for source in ("a", "b") if i < 2 else ("a",):
                sr = SourceRun(run_id, source, started=f"2026-01-0{i + 1}T00:00:00Z")
                sr.outcome = "synced"
                sr.issues = [issue(f"{source}{i}-{n}") for n in range(3)]
                state.write_source_run(db, sr)
            state.end_run(db, run_id, "synced")
    state.start_run("r9", "manual", 1)  # a run under way is never pruned
    state.prune(2)
    kept = {(r["run_id"], r["source"]) for r in state.db.execute("SELECT * FROM source_runs")}
    assert kept == {("r2", "a"), ("r3", "a"), ("r0", "b"), ("r1", "b")}
    left = {
        (r["run_id"], r["source"], r["native_id"]) for r in state.db.execute("SELECT * FROM issues")
    }
    assert {(run, source) for run, source, _ in left} == kept
    assert len(left) == 3 * len(kept)
    runs = {r["run_id"] for r in state.db.execute("SELECT run_id FROM runs")}
    assert runs == {"r0", "r1", "r2", "r3", "r9"}  # r0 and r1 still have b's
    state.prune(1)
    kept = {(r["run_id"], r["source"]) for r in state.db.execute("SELECT * FROM source_runs")}
    assert kept == {("r3", "a"), ("r1", "b")}
    assert {(r[0], r[1]) for r in state.db.execute("SELECT run_id, source FROM issues")} == kept
    runs = {r["run_id"] for r in state.db.execute("SELECT run_id FROM runs")}
    assert runs == {"r1", "r3", "r9"}
    state.close()
