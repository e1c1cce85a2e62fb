"""The state's tables, and the numbered migrations that bring any older file up to date.

``PRAGMA user_version`` says how many migrations a state file has had. A new file gets them
all; an older one the rest, in one transaction each. Migration 1 is the layout of every
release before numbering (tables created when missing), so that a file any earlier version
left is brought up to date like a new one. Never edit a migration that has shipped: add one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

TABLES = """
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
    token TEXT PRIMARY KEY, organisation TEXT NOT NULL, text TEXT NOT NULL,  -- codec.pack_texts
    digest TEXT  -- SHA-256 of the text unpacked (blocks.block_digest)
);
"""

PUSH_TABLES = """
CREATE TABLE IF NOT EXISTS push_graphs (
    target TEXT NOT NULL, graph TEXT NOT NULL, digest TEXT NOT NULL, pushed_at TEXT NOT NULL,
    PRIMARY KEY (target, graph)
);
CREATE TABLE IF NOT EXISTS push_targets (
    target TEXT PRIMARY KEY, attempted_at TEXT NOT NULL, synced_at TEXT,
    lag_graphs INTEGER NOT NULL, error TEXT
);
CREATE TABLE IF NOT EXISTS push_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, target TEXT NOT NULL,
    at TEXT NOT NULL, forced INTEGER NOT NULL, sent INTEGER NOT NULL, deleted INTEGER NOT NULL,
    unchanged INTEGER NOT NULL, lag_graphs INTEGER NOT NULL, seconds REAL NOT NULL, error TEXT
);
CREATE INDEX IF NOT EXISTS push_runs_by_target ON push_runs (target, seq);
"""

# Columns added after the first release, with how to fill them in an older state file.
_ADDED_COLUMNS = {
    ("records", "organisation"): "json_extract(body, '$.organisation')",
    ("records", "organisation_name"): "json_extract(body, '$.organisation_name')",
    # Unknown until the next full rebuild (``has_unified_blocks`` is False meanwhile).
    ("unified_blocks", "digest"): "NULL",
}


def _tables(db: sqlite3.Connection) -> None:
    for statement in (TABLES + PUSH_TABLES).split(";"):
        if statement.strip():
            db.execute(statement)


def _columns(db: sqlite3.Connection) -> None:
    """Files made before a column existed get it, filled from the bodies where it can be."""
    for (table, column), fill in _ADDED_COLUMNS.items():
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
            if fill != "NULL":  # a new column is NULL already: no row is rewritten
                db.execute(f"UPDATE {table} SET {column} = {fill}")


def _indexes(db: sqlite3.Connection) -> None:
    db.execute("CREATE INDEX IF NOT EXISTS records_by_org ON records (organisation)")
    # Covering: digests, organisations and their names of 100,000 records are read without
    # the bodies' pages (0.45 s -> 0.10 s for the digests of one source, measured).
    db.execute(
        "CREATE INDEX IF NOT EXISTS records_summary "
        "ON records (source, native_id, digest, organisation, organisation_name)"
    )
    # No index on the blocks: filling one cost a cold run 1 s at 100,000 blocks, and
    # spared a scoped run 0.13 s of reading every block's digest (measured).


def _organisation_aliases(db: sqlite3.Connection) -> None:
    """Organisation IRIs known to be another's (a minted IRI whose TOOI code evidence gave):
    kept once found, so that the redirect stays whatever runs follow."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS organisation_aliases ("
        "iri TEXT PRIMARY KEY, canonical TEXT NOT NULL, reason TEXT NOT NULL, since TEXT NOT NULL)"
    )


def _no_graph_hashes(db: sqlite3.Connection) -> None:
    """What the store holds is recorded once, in its manifest (``publish.manifest``)."""
    db.execute("DROP TABLE IF EXISTS graph_hashes")


def _issue_references(db: sqlite3.Connection) -> None:
    """A run in which a source did not change refers to the warnings it keeps instead of
    copying them (``runs.RunLog``; at 20,000 registrations 42,000 rows, 16 MB, every run).

    ``source_runs.warnings_from``: NULL when the run's own rows in ``issues`` are its whole
    log (every run written before this migration); else the run (of the same source, whose
    ``warnings_from`` is NULL) whose accepted warnings complete it. ``issue_rejects``: of such
    a run, the registrations warned in it that were not accepted, frozen when a run first
    referred to it (the records change later). ``pruned_origins``: runs pruned from
    ``source_runs`` whose issues stay while a kept run refers to them.
    """
    # Every migration may run again on a file that predates numbering (``user_version`` 0).
    if "warnings_from" not in {r[1] for r in db.execute("PRAGMA table_info(source_runs)")}:
        db.execute("ALTER TABLE source_runs ADD COLUMN warnings_from TEXT")
    db.execute(
        "CREATE INDEX IF NOT EXISTS source_runs_by_origin "
        "ON source_runs (source, warnings_from) WHERE warnings_from IS NOT NULL"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS issue_rejects (run_id TEXT NOT NULL, source TEXT NOT NULL, "
        "native_id TEXT NOT NULL, PRIMARY KEY (run_id, source, native_id))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS pruned_origins (run_id TEXT NOT NULL, source TEXT NOT NULL, "
        "PRIMARY KEY (run_id, source))"
    )


# In order; a file at user_version N has had the first N.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _tables,  # 1: every table of the releases before numbering, created when missing
    _columns,  # 2: the columns those releases added one by one
    _indexes,  # 3: the records' indexes
    _organisation_aliases,  # 4: organisations reconciled across registers
    _no_graph_hashes,  # 5: the graphs' digests live in the store's manifest only
    _issue_references,  # 6: unchanged runs refer to the warnings they keep
]


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations this file has not had, each in its own transaction (checked
    again inside it: another process may have been first)."""
    for number, step in enumerate(MIGRATIONS, start=1):
        if db.execute("PRAGMA user_version").fetchone()[0] >= number:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] < number:
                step(db)
                db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
