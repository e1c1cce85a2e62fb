"""The run log: runs, what each source did in them, and the issues of its records."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_ACCEPTED = "(SELECT native_id FROM records WHERE source = ?)"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


@dataclass
class SourceRun:
    """What one source did in one run; written to ``source_runs`` and ``issues``."""

    run_id: str
    source: str
    started: str = field(default_factory=now)
    ended: str | None = None
    outcome: str = "running"
    error: str | None = None
    error_code: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    # (run id, warnings only): that run's verdict stands for unchanged records; copied in SQL,
    # since at 100,000 registrations it is 200,000 rows.
    carry: tuple[str, bool] | None = None


class Tables:
    """The connection the state's parts share (``State`` opens it)."""

    db: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # also when COMMIT itself failed (disk full)
                self.db.execute("ROLLBACK")
            raise


class RunLog(Tables):
    def start_run(self, run_id: str, trigger: str, pid: int) -> None:
        self.db.execute(
            "INSERT INTO runs (run_id, started, outcome, trigger, pid) "
            "VALUES (?, ?, 'running', ?, ?)",
            (run_id, now(), trigger, pid),
        )

    def start_source_run(self, sr: SourceRun) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO source_runs (run_id, source, started, outcome) "
            "VALUES (?,?,?,?)",
            (sr.run_id, sr.source, sr.started, sr.outcome),
        )

    def write_source_run(self, db: sqlite3.Connection, sr: SourceRun) -> None:
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
            # Warnings only: of accepted records (a rejected record is validated again, and
            # its warnings come with this run's verdict).
            only = " AND severity = 'warning' AND native_id IN " + _ACCEPTED
            db.execute(
                "INSERT INTO issues SELECT ?, source, native_id, title, severity, field, code, "
                "value, message_en, message_nl FROM issues WHERE run_id = ? AND source = ?"
                + (only if warnings_only else ""),
                (sr.run_id, from_run, sr.source, *((sr.source,) if warnings_only else ())),
            )

    def end_run(self, db: sqlite3.Connection, run_id: str, outcome: str) -> None:
        db.execute(
            "UPDATE runs SET ended = ?, outcome = ? WHERE run_id = ?", (now(), outcome, run_id)
        )

    def abandon_runs(
        self,
        reason: str = "the process stopped before the run ended",
        code: str = "abandoned",
        pid: int | None = None,
    ) -> list[str]:
        """Mark runs still 'running' (of process ``pid``, or of any) as abandoned, with the
        reason; return their ids. Called on start-up, and by the daemon when a run process
        ended without ending its run."""
        where, args = ("AND pid = ?", (pid,)) if pid is not None else ("", ())
        with self.transaction() as db:
            rows = db.execute(
                f"SELECT run_id FROM runs WHERE outcome = 'running' {where}", args
            ).fetchall()
            for row in rows:
                db.execute(
                    "UPDATE source_runs SET outcome = 'abandoned', ended = ?, error = ?, "
                    "error_code = ? WHERE run_id = ? AND outcome = 'running'",
                    (now(), reason, code, row["run_id"]),
                )
                db.execute(
                    "UPDATE runs SET outcome = 'abandoned', ended = ? WHERE run_id = ?",
                    (now(), row["run_id"]),
                )
        return [r["run_id"] for r in rows]

    def abandon_leftovers(self, reason: str = "the process stopped before the run ended") -> int:
        """Mark runs still 'running' from a dead process as abandoned (called on start-up)."""
        return len(self.abandon_runs(reason))

    def runs_of_process(self, pid: int) -> list[dict[str, Any]]:
        """The runs process ``pid`` started, oldest first, with their outcomes."""
        rows = self.db.execute(
            "SELECT run_id, outcome FROM runs WHERE pid = ? ORDER BY started", (pid,)
        ).fetchall()
        return [dict(r) for r in rows]

    def prune(self, keep_runs: int) -> None:
        """Keep the newest ``keep_runs`` runs of each source (history must not grow forever)."""
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
            # Only pruning removes a source's run, so only the runs pruned now leave issues
            # behind: deleted by their run and source (the index), not by a look at every
            # issue kept (at 200 runs of 20,000 registrations, 8 million rows, every run).
            db.executemany(
                "DELETE FROM issues WHERE run_id = ? AND source = ?", [(r[1], r[2]) for r in gone]
            )
            db.execute(
                "DELETE FROM runs WHERE outcome != 'running' AND NOT EXISTS "
                "(SELECT 1 FROM source_runs s WHERE s.run_id = runs.run_id)"
            )

    def source_runs(self, source: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM source_runs WHERE source = ? ORDER BY started DESC, rowid DESC LIMIT ?",
            (source, limit),
        ).fetchall()
        return [_source_run_row(r) for r in rows]

    def source_run(self, source: str, run_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM source_runs WHERE source = ? AND run_id = ?", (source, run_id)
        ).fetchone()
        return _source_run_row(row) if row else None

    def count_carried_warnings(self, source: str, run_id: str) -> int:
        """How many warnings of accepted records that run logged (what an unchanged run keeps)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM issues WHERE source = ? AND run_id = ? "
            "AND severity = 'warning' AND native_id IN " + _ACCEPTED,
            (source, run_id, source),
        ).fetchone()
        return int(row[0])

    def issues(self, source: str, run_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM issues WHERE source = ? AND run_id = ? "
            "ORDER BY severity DESC, native_id",
            (source, run_id),
        ).fetchall()
        return [dict(r) for r in rows]

    def last_synced_run(self, source: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM source_runs WHERE source = ? AND outcome = 'synced' "
            "ORDER BY started DESC, rowid DESC LIMIT 1",
            (source,),
        ).fetchone()
        return _source_run_row(row) if row else None

    def last_success(self, source: str) -> str | None:
        row = self.db.execute(
            "SELECT MAX(ended) AS t FROM source_runs WHERE source = ? AND outcome = 'synced'",
            (source,),
        ).fetchone()
        return row["t"] if row else None

    def last_payloads(self, source: str) -> list[dict[str, Any]]:
        """The payloads of the source's newest run that fetched documents (for ``remap``)."""
        for row in self.db.execute(
            "SELECT payloads FROM source_runs WHERE source = ? AND outcome = 'synced' "
            "ORDER BY started DESC, rowid DESC",
            (source,),
        ):
            payloads = json.loads(row["payloads"])
            if payloads and all(p.get("sha256") for p in payloads):
                return list(payloads)
        return []


def _source_run_row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in ("stats", "statuses", "durations", "payloads"):
        out[key] = json.loads(out[key] or "null")
    return out
