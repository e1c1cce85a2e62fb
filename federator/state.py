"""Persistent state in SQLite under ``data_dir``: run history, accepted records, identities.

State advances only after publishing succeeded (``commit_run``): a crash at any point leaves
the previous state, and the next run redoes the work (publishing is idempotent).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from federator import codec

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, started TEXT NOT NULL, ended TEXT, outcome TEXT NOT NULL,
    trigger TEXT NOT NULL DEFAULT 'manual', pid INTEGER
);
CREATE TABLE IF NOT EXISTS source_runs (
    run_id TEXT NOT NULL, source TEXT NOT NULL, started TEXT NOT NULL, ended TEXT,
    outcome TEXT NOT NULL, error TEXT, error_code TEXT,
    stats TEXT NOT NULL DEFAULT '{}', statuses TEXT NOT NULL DEFAULT '{}',
    durations TEXT NOT NULL DEFAULT '{}', payloads TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (run_id, source)
);
CREATE INDEX IF NOT EXISTS source_runs_by_source ON source_runs (source, started);
CREATE TABLE IF NOT EXISTS issues (
    run_id TEXT NOT NULL, source TEXT NOT NULL, native_id TEXT, title TEXT,
    severity TEXT NOT NULL, field TEXT, code TEXT NOT NULL, value TEXT,
    message_en TEXT NOT NULL, message_nl TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issues_by_run ON issues (run_id, source);
CREATE TABLE IF NOT EXISTS records (
    source TEXT NOT NULL, native_id TEXT NOT NULL, digest TEXT NOT NULL,
    first_seen TEXT NOT NULL, changed_at TEXT NOT NULL, body TEXT NOT NULL,  -- codec.pack_body
    PRIMARY KEY (source, native_id)
);
CREATE TABLE IF NOT EXISTS identities (
    source TEXT NOT NULL, native_id TEXT NOT NULL, canonical TEXT NOT NULL,
    assigned_at TEXT NOT NULL, PRIMARY KEY (source, native_id)
);
CREATE TABLE IF NOT EXISTS withdrawn_identities (
    source TEXT NOT NULL, native_id TEXT NOT NULL, canonical TEXT NOT NULL,
    withdrawn_at TEXT NOT NULL, PRIMARY KEY (source, native_id)
);
CREATE TABLE IF NOT EXISTS canonicals (
    token TEXT PRIMARY KEY, created TEXT NOT NULL, replaced_by TEXT, replaced_at TEXT,
    retired_at TEXT
);
CREATE TABLE IF NOT EXISTS validators (
    url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, at TEXT NOT NULL,
    source TEXT NOT NULL, native_id TEXT NOT NULL, kind TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS graph_hashes (
    graph TEXT PRIMARY KEY, digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS unified_blocks (
    token TEXT PRIMARY KEY, organisation TEXT NOT NULL, text TEXT NOT NULL,  -- codec.pack_text
    digest TEXT  -- SHA-256 of the text unpacked (blocks.block_digest)
);
"""
_ACCEPTED = "(SELECT native_id FROM records WHERE source = ?)"
READ_ALL_FROM = 1000  # blocks asked for by token from which one scan beats a lookup each
# Columns added after the first release, with how to fill them in an older state file.
MIGRATIONS = {
    ("records", "organisation"): "json_extract(body, '$.organisation')",
    ("records", "organisation_name"): "json_extract(body, '$.organisation_name')",
    # Unknown until the next full rebuild (``has_unified_blocks`` is False meanwhile).
    ("unified_blocks", "digest"): "NULL",
}
RECORD_COLUMNS = (
    "source, native_id, digest, first_seen, changed_at, body, organisation, organisation_name"
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
    # (run id, warnings only): that run's verdict stands for unchanged records; copied in SQL,
    # since at 100,000 registrations it is 200,000 rows.
    carry: tuple[str, bool] | None = None


class State:
    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "state.sqlite"
        self.db = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # A run writes hundreds of megabytes in one transaction; with SQLite's 2 MB default
        # cache the index pages spill again and again (100,000 records: 5.0 s, with 64 MB 2.9 s).
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        for (table, column), fill in MIGRATIONS.items():
            present = {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}
            if column in present:
                continue
            with self.transaction() as db:  # checked again: another process may have been first
                if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
                    if fill != "NULL":  # a new column is NULL already: no row is rewritten
                        db.execute(f"UPDATE {table} SET {column} = {fill}")
        self.db.execute("CREATE INDEX IF NOT EXISTS records_by_org ON records (organisation)")
        # Covering: digests, organisations and their names of 100,000 records are read without
        # the bodies' pages (0.45 s -> 0.10 s for the digests of one source, measured).
        self.db.execute(
            "CREATE INDEX IF NOT EXISTS records_summary "
            "ON records (source, native_id, digest, organisation, organisation_name)"
        )
        # No index on the blocks: filling one cost a cold run 1 s at 100,000 blocks, and
        # spared a scoped run 0.13 s of reading every block's digest (measured).

    def close(self) -> None:
        self.db.close()

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

    # -- runs ---------------------------------------------------------------------------
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

    def abandon_leftovers(self, reason: str = "the process stopped before the run ended") -> int:
        """Mark runs still 'running' from a dead process as abandoned (called on start-up)."""
        with self.transaction() as db:
            rows = db.execute("SELECT run_id FROM runs WHERE outcome = 'running'").fetchall()
            for row in rows:
                db.execute(
                    "UPDATE source_runs SET outcome = 'abandoned', ended = ?, error = ?, "
                    "error_code = 'abandoned' WHERE run_id = ? AND outcome = 'running'",
                    (now(), reason, row["run_id"]),
                )
                db.execute(
                    "UPDATE runs SET outcome = 'abandoned', ended = ? WHERE run_id = ?",
                    (now(), row["run_id"]),
                )
        return len(rows)

    def prune(self, keep_runs: int) -> None:
        """Keep the newest ``keep_runs`` runs of each source (history must not grow forever)."""
        with self.transaction() as db:
            db.execute(
                """DELETE FROM source_runs WHERE rowid IN (
                     SELECT rowid FROM (SELECT rowid, ROW_NUMBER() OVER (
                       PARTITION BY source ORDER BY started DESC, rowid DESC) AS n FROM source_runs)
                     WHERE n > ?)""",
                (keep_runs,),
            )
            db.execute(
                "DELETE FROM issues WHERE NOT EXISTS (SELECT 1 FROM source_runs s "
                "WHERE s.run_id = issues.run_id AND s.source = issues.source)"
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

    # -- records ------------------------------------------------------------------------
    def records(
        self, source: str, organisations: set[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """A source's published records by native id; with ``organisations``, only theirs."""
        query = (
            "SELECT native_id, digest, first_seen, changed_at, body FROM records WHERE source = ?"
        )
        args: list[str] = [source]
        if organisations is not None:
            query += f" AND organisation IN ({','.join('?' * len(organisations))})"
            args += sorted(organisations)
        rows = self.db.execute(query, args)
        return {
            r["native_id"]: {
                "digest": r["digest"],
                "first_seen": r["first_seen"],
                "changed_at": r["changed_at"],
                "body": codec.unpack_body(r["body"]),
            }
            for r in rows
        }

    def record_digests(self, source: str) -> dict[str, str]:
        """Native id -> content digest of the source's published records (cheap: no bodies)."""
        rows = self.db.execute("SELECT native_id, digest FROM records WHERE source = ?", (source,))
        return {r[0]: r[1] for r in rows}

    def record_organisations(self) -> dict[tuple[str, str], str]:
        """(source, native id) -> organisation IRI of every published record (no bodies)."""
        rows = self.db.execute("SELECT source, native_id, organisation FROM records")
        return {(r[0], r[1]): r[2] for r in rows}

    def organisation_names(self, sources: set[str]) -> dict[str, str]:
        """Organisation IRI -> name (the smallest where records disagree), over the published
        records of these sources."""
        marks = ",".join("?" * len(sources))
        rows = self.db.execute(
            "SELECT organisation, MIN(COALESCE(organisation_name, '')) FROM records "
            f"WHERE source IN ({marks}) GROUP BY organisation",
            sorted(sources),
        )
        return {r[0]: r[1] for r in rows}

    def record_bodies(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Bodies of these (source, native id) records, with when they were seen and changed."""
        out = {}
        for key in keys:
            row = self.db.execute(
                "SELECT first_seen, changed_at, body FROM records "
                "WHERE source = ? AND native_id = ?",
                key,
            ).fetchone()
            if row is not None:
                body = codec.unpack_body(row["body"])
                body["first_seen"], body["changed_at"] = row["first_seen"], row["changed_at"]
                out[key] = body
        return out

    def unified_block_digests(self) -> dict[str, str | None]:
        """Token -> digest of its statements (None in blocks an older version kept), of every
        algorithm in the unified graph as last published (no text is decoded)."""
        return dict(self.db.execute("SELECT token, digest FROM unified_blocks"))

    def unified_block_tokens(self, organisations: set[str]) -> set[str]:
        """The tokens of the blocks filed under these organisations."""
        marks = ",".join("?" * len(organisations))
        rows = self.db.execute(
            f"SELECT token FROM unified_blocks WHERE organisation IN ({marks})",
            sorted(organisations),
        )
        return {r[0] for r in rows}

    def unified_block_texts(self, tokens: Collection[str] | None = None) -> dict[str, str | bytes]:
        """Token -> the unified graph's statements about that algorithm as last published
        (all, or these tokens'); as stored: ``codec.unpack_text`` reads them."""
        if tokens is None or len(tokens) >= READ_ALL_FROM:
            wanted = None if tokens is None else set(tokens)
            rows = self.db.execute("SELECT token, text FROM unified_blocks")
            return {r[0]: r[1] for r in rows if wanted is None or r[0] in wanted}
        out = {}
        for token in tokens:
            row = self.db.execute(
                "SELECT text FROM unified_blocks WHERE token = ?", (token,)
            ).fetchone()
            if row is not None:
                out[token] = row[0]
        return out

    def has_unified_blocks(self) -> bool:
        """True when the last publish left blocks to patch, each with its digest."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM unified_blocks) "
            "AND NOT EXISTS (SELECT 1 FROM unified_blocks WHERE digest IS NULL)"
        ).fetchone()
        return bool(row[0])

    # -- identities ---------------------------------------------------------------------
    def identities(self) -> dict[tuple[str, str], str]:
        return {(r[0], r[1]): r[2] for r in self.db.execute("SELECT * FROM identities")}

    def withdrawn_identities(self) -> dict[tuple[str, str], str]:
        """The IRI each withdrawn record held, for when it comes back."""
        rows = self.db.execute("SELECT source, native_id, canonical FROM withdrawn_identities")
        return {(r[0], r[1]): r[2] for r in rows}

    def canonicals(self) -> dict[str, dict[str, Any]]:
        return {r["token"]: dict(r) for r in self.db.execute("SELECT * FROM canonicals")}

    # -- HTTP validators / graph hashes --------------------------------------------------
    def validators(self) -> dict[str, dict[str, str]]:
        return {
            r["url"]: {"etag": r["etag"], "last_modified": r["last_modified"]}
            for r in self.db.execute("SELECT * FROM validators")
        }

    def graph_hashes(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT graph, digest FROM graph_hashes")}


def _source_run_row(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in ("stats", "statuses", "durations", "payloads"):
        out[key] = json.loads(out[key] or "null")
    return out
