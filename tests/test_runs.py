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


def test_an_unchanged_run_refers_to_the_warnings_it_keeps_as_they_were(tmp_path: Path) -> None:
    """A carrying run's log reads as the copy of before, and what it refers to is frozen:
    records that change later do not change the log of a run before."""
    state = State(tmp_path)

    def row(native_id: str | None, severity: str, code: str) -> dict[str, str | None]:
        return {
            **issue(native_id or ""),
            "native_id": native_id,
            "severity": severity,
            "code": code,
        }

    def accept(*natives: str) -> None:
        with state.transaction() as db:
            db.execute("DELETE FROM records")
            db.executemany(
                "INSERT INTO records (source, native_id, digest, first_seen, changed_at, body) "
                "VALUES ('a', ?, '', '', '', '')",
                [(n,) for n in natives],
            )

    fresh = [row("U-2", "warning", "w"), row("U-2", "error", "e"), row(None, "warning", "m")]
    logs: dict[str, list[tuple[object, ...]]] = {}

    def write(
        run_id: str, issues: list[dict[str, str | None]], carry: tuple[str, bool] | None
    ) -> None:
        with state.transaction() as db:
            sr = SourceRun(run_id, "a", started=f"2026-01-0{len(logs) + 1}T00:00:00Z")
            sr.outcome, sr.issues, sr.carry = "synced", issues, carry
            state.write_source_run(db, sr)
        logs[run_id] = [tuple(i.values())[1:] for i in state.issues("a", run_id)]

    accept("U-1", "U-4")
    write("w", [*fresh, row("U-1", "warning", "w"), row("U-4", "error", "d")], None)
    write("r1", fresh, ("w", True))  # mapped again: its rejections are its own
    write("r2", [], ("r1", False))  # a 304: the last run's log stands
    write("r3", fresh, ("r2", True))
    write("r4", [], ("r3", False))
    without_dup = [i for i in logs["w"] if i[5] != "d"]
    assert logs["r1"] == logs["r3"] == without_dup  # as the copy: warnings of accepted kept
    assert logs["r2"] == logs["r4"] == without_dup
    refs = dict(state.db.execute("SELECT run_id, warnings_from FROM source_runs").fetchall())
    assert refs == {"w": None, "r1": "w", "r2": "w", "r3": "w", "r4": "w"}
    own = dict(state.db.execute("SELECT run_id, COUNT(*) FROM issues GROUP BY run_id").fetchall())
    assert own == {"w": 5, "r1": 3, "r2": 3, "r3": 3, "r4": 3}  # U-1's warning once only
    assert [state.count_carried_warnings("a", r) for r in logs] == [1] * 5
    # A 304 right after the full run: its log is the full run's, the duplicate's error too.
    write("r5", [], ("w", False))
    assert logs["r5"] == logs["w"]
    # Later runs accept other records: what the runs before logged stays as it was.
    before = {r: state.issues("a", r) for r in logs}
    accept("U-2")
    assert {r: state.issues("a", r) for r in before} == before
    state.close()
