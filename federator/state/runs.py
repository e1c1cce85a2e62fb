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
# The columns of ``issues`` after its run id.
_ISSUE = "source, native_id, title, severity, field, code, value, message_en, message_nl"
# Of a run's issues (run id and source the arguments), those a run referring to it keeps: the
# warnings of the records it accepted (``issue_rejects`` holds those it did not).
_ACCEPTED_WARNING = (
    "severity = 'warning' AND native_id IS NOT NULL AND native_id NOT IN "
    "(SELECT native_id FROM issue_rejects WHERE run_id = ? AND source = ?)"
)


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
    # (run id, warnings only): that run's verdict stands for unchanged records. Its warnings
    # of accepted records are referred to, not copied (at 100,000 registrations 200,000 rows):
    # ``RunLog.write_source_run``.
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
        """The source's run and its issues. A run that carries the last run's verdict
        (``sr.carry``) refers to the run whose own rows hold the accepted warnings (its
        ``warnings_from``: the last run's, or the last run itself) and writes only the rest.

        The log of a run (``issues``) is its own rows, and, when it has a ``warnings_from``,
        that run's warnings of accepted records. One reference, never a chain: the run
        referred to has its whole log in its own rows. What it accepted is frozen when it is
        first referred to (``issue_rejects``): the records are those it left then, since only
        a run that changed them could have come between, and that would be the last run.
        """
        from_run, warnings_only = sr.carry or ("", False)
        referred = self._warnings_from(sr.source, from_run, db) if sr.carry else None
        origin = (referred or from_run) if sr.carry else None
        db.execute(
            "INSERT OR REPLACE INTO source_runs (run_id, source, started, ended, outcome, error, "
            "error_code, stats, statuses, durations, payloads, warnings_from) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                origin,
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
        if sr.carry is None:
            return
        if referred is None:
            # The last run's own rows are its whole log: its accepted warnings are referred
            # to, from now on as accepted now (the records are still the ones it left).
            db.execute(
                "INSERT OR IGNORE INTO issue_rejects SELECT DISTINCT run_id, source, native_id "
                "FROM issues WHERE run_id = ? AND source = ? AND severity = 'warning' "
                "AND native_id IS NOT NULL AND native_id NOT IN " + _ACCEPTED,
                (from_run, sr.source, sr.source),
            )
            if not warnings_only:  # after a 304, its rejections stand too: copied (few)
                db.execute(
                    f"INSERT INTO issues SELECT ?, {_ISSUE} FROM issues "
                    f"WHERE run_id = ? AND source = ? AND NOT ({_ACCEPTED_WARNING})",
                    (sr.run_id, from_run, sr.source, from_run, sr.source),
                )
            return
        # The last run referred to ``origin`` itself: its own rows, which are not accepted
        # warnings of ``origin`` (few), are copied; of them only warnings of accepted
        # records (a rejected record is validated again, and its warnings come with this
        # run's verdict) when this run validated.
        only = " AND severity = 'warning' AND native_id IN " + _ACCEPTED
        db.execute(
            f"INSERT INTO issues SELECT ?, {_ISSUE} FROM issues WHERE run_id = ? AND source = ?"
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
            # Those a kept run refers to (its ``warnings_from``) stay, listed in
            # ``pruned_origins``, until no kept run does.
            db.executemany(
                "INSERT OR IGNORE INTO pruned_origins VALUES (?, ?)", [(r[1], r[2]) for r in gone]
            )
            unreferred = db.execute(
                "SELECT run_id, source FROM pruned_origins p WHERE NOT EXISTS (SELECT 1 FROM "
                "source_runs s WHERE s.source = p.source AND s.warnings_from = p.run_id)"
            ).fetchall()
            for table in ("issues", "issue_rejects", "pruned_origins"):
                db.executemany(
                    f"DELETE FROM {table} WHERE run_id = ? AND source = ?",
                    [tuple(r) for r in unreferred],
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

    def payload_digests(self, source: str, limit: int) -> set[str]:
        """The stored payloads the newest ``limit`` runs of ``source`` refer to (their
        SHA-256). Only the payload lists are read: at the 200 runs kept by default a national
        register's runs list 40,000 payloads. Parsing each run's whole row besides took twice
        as long (29 runs of 28 sources: 46 ms against 21), SQLite's ``json_each`` longer
        still (79 ms)."""
        digests: set[str] = set()
        for (text,) in self.db.execute(
            "SELECT payloads FROM source_runs WHERE source = ? "
            "ORDER BY started DESC, rowid DESC LIMIT ?",
            (source, limit),
        ):
            digests.update(p["sha256"] for p in json.loads(text) or [] if p.get("sha256"))
        return digests

    def source_run(self, source: str, run_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT * FROM source_runs WHERE source = ? AND run_id = ?", (source, run_id)
        ).fetchone()
        return _source_run_row(row) if row else None

    def count_carried_warnings(self, source: str, run_id: str) -> int:
        """How many warnings of accepted records that run logged (what an unchanged run keeps)."""
        sql = (
            "SELECT COUNT(*) FROM issues WHERE run_id = ? AND source = ? "
            "AND severity = 'warning' AND native_id IN " + _ACCEPTED
        )
        n = self.db.execute(sql, (run_id, source, source)).fetchone()[0]
        origin = self._warnings_from(source, run_id)
        if origin is not None:
            n += self.db.execute(
                f"{sql} AND {_ACCEPTED_WARNING}", (origin, source, source, origin, source)
            ).fetchone()[0]
        return int(n)

    def issues(self, source: str, run_id: str) -> list[dict[str, Any]]:
        """Every issue the source's run logged: its own rows, and the warnings it refers to
        (``write_source_run``), as its own; rejections first, by registration."""
        run = self._reference(source, run_id)
        if run is None:  # never written, or pruned (a pruned run's rows may still be referred to)
            return []
        sql = f"SELECT run_id, {_ISSUE}, 0 AS part, rowid AS n FROM issues "
        sql += "WHERE run_id = ? AND source = ?"
        args: tuple[str, ...] = (run_id, source)
        if run[0] is not None:
            sql += f" UNION ALL SELECT ?, {_ISSUE}, 1, rowid FROM issues "
            sql += f"WHERE run_id = ? AND source = ? AND {_ACCEPTED_WARNING}"
            args += (run_id, run[0], source, run[0], source)
        rows = self.db.execute(sql + " ORDER BY severity DESC, native_id, part, n", args)
        return [{k: r[k] for k in r.keys()[:-2]} for r in rows]

    def _reference(
        self, source: str, run_id: str, db: sqlite3.Connection | None = None
    ) -> sqlite3.Row | None:
        """That run's ``warnings_from`` as a row (None: no such run)."""
        sql = "SELECT warnings_from FROM source_runs WHERE source = ? AND run_id = ?"
        row: sqlite3.Row | None = (db or self.db).execute(sql, (source, run_id)).fetchone()
        return row

    def _warnings_from(
        self, source: str, run_id: str, db: sqlite3.Connection | None = None
    ) -> str | None:
        """The run whose accepted warnings that run's log refers to (None: its own rows)."""
        row = self._reference(source, run_id, db)
        return row[0] if row is not None else None

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
    out.pop("warnings_from", None)  # the run log's own business (``RunLog.issues``)
    for key in ("stats", "statuses", "durations", "payloads"):
        out[key] = json.loads(out[key] or "null")
    return out
