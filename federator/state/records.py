"""Accepted records, the identities resolution gave them, and the HTTP validators."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from federator import codec
from federator.state.runs import Tables

RECORD_COLUMNS = (
    "source, native_id, digest, first_seen, changed_at, body, organisation, organisation_name"
)


class RecordTables(Tables):
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
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: 20,000 rows in two thirds of the time
        return dict(
            cursor.execute("SELECT native_id, digest FROM records WHERE source = ?", (source,))
        )

    def count_records(self, source: str) -> int:
        """How many records of the source are published."""
        row = self.db.execute("SELECT COUNT(*) FROM records WHERE source = ?", (source,))
        return int(row.fetchone()[0])

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

    def organisation_labels(self) -> set[tuple[str, str, str]]:
        """Every (source, organisation IRI, organisation name) of the published records."""
        rows = self.db.execute(
            "SELECT DISTINCT source, organisation, COALESCE(organisation_name, '') FROM records"
        )
        return {(r[0], r[1], r[2]) for r in rows}

    def organisation_aliases(self) -> dict[str, tuple[str, str]]:
        """Organisation IRI -> (the IRI it is known by, why), as reconciled so far."""
        rows = self.db.execute("SELECT iri, canonical, reason FROM organisation_aliases")
        return {r[0]: (r[1], r[2]) for r in rows}

    def put_organisation_aliases(
        self, db: sqlite3.Connection, aliases: dict[str, tuple[str, str]], at: str
    ) -> None:
        """Record organisation aliases found in this run (those known already stay)."""
        db.executemany(
            "INSERT OR IGNORE INTO organisation_aliases (iri, canonical, reason, since) "
            "VALUES (?, ?, ?, ?)",
            [(iri, canon, why, at) for iri, (canon, why) in sorted(aliases.items())],
        )

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

    def identities(self) -> dict[tuple[str, str], str]:
        return {(r[0], r[1]): r[2] for r in self.db.execute("SELECT * FROM identities")}

    def withdrawn_identities(self) -> dict[tuple[str, str], str]:
        """The IRI each withdrawn record held, for when it comes back."""
        rows = self.db.execute("SELECT source, native_id, canonical FROM withdrawn_identities")
        return {(r[0], r[1]): r[2] for r in rows}

    def canonicals(self) -> dict[str, dict[str, Any]]:
        return {r["token"]: dict(r) for r in self.db.execute("SELECT * FROM canonicals")}

    def validators(self) -> dict[str, dict[str, str]]:
        return {
            r["url"]: {"etag": r["etag"], "last_modified": r["last_modified"]}
            for r in self.db.execute("SELECT * FROM validators")
        }

    # -- writes, inside the publisher's transaction ----------------------------------------
    def put_validators(
        self, db: sqlite3.Connection, validators: dict[str, dict[str, str | None]]
    ) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO validators VALUES (?,?,?)",
            [(u, v.get("etag"), v.get("last_modified")) for u, v in validators.items()],
        )

    def drop_sources_except(self, db: sqlite3.Connection, configured: set[str]) -> None:
        """Forget the records of sources no longer configured."""
        for (sid,) in db.execute("SELECT DISTINCT source FROM records").fetchall():
            if sid not in configured:
                db.execute("DELETE FROM records WHERE source = ?", (sid,))

    def put_records(
        self,
        db: sqlite3.Connection,
        rows: Iterable[tuple[str | bytes, ...]],
        gone: list[tuple[str, str]],
        changes: list[tuple[str, str, str, str, str]],
    ) -> None:
        """Records stored anew (``RECORD_COLUMNS``, one row at a time from ``rows``), records
        withdrawn (source, native id), and the change feed's entries (run, at, source, native
        id, kind)."""
        db.executemany(
            f"INSERT OR REPLACE INTO records ({RECORD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", rows
        )
        db.executemany("DELETE FROM records WHERE source = ? AND native_id = ?", gone)
        db.executemany(
            "INSERT INTO changes (run_id, at, source, native_id, kind) VALUES (?,?,?,?,?)", changes
        )

    def put_identities(
        self,
        db: sqlite3.Connection,
        token_of: dict[tuple[str, str], str],
        previous: dict[tuple[str, str], str],
        created: dict[str, str],
        replaced: dict[str, str],
        retired: Iterable[str],
        stamp: str,
    ) -> None:
        """Only the identities that came, moved or went (a row's ``assigned_at`` is when it
        got its IRI): rewriting every row was 0.45 s of a one-register-changed run at 20,000
        (py-spy), and inserting them 1.6 s at 100,000. A withdrawn record's IRI is remembered
        apart, for if it comes back (``identity.assign``)."""
        gone = [k for k in previous if k not in token_of]
        came = [k for k in token_of if k not in previous]
        db.executemany(
            "INSERT OR REPLACE INTO withdrawn_identities VALUES (?,?,?,?)",
            [(k[0], k[1], previous[k], stamp) for k in gone],
        )
        db.executemany("DELETE FROM identities WHERE source = ? AND native_id = ?", gone)
        # Only records that came back had a remembered row (on a cold run every record came:
        # 100,000 deletes of nothing).
        remembered = self.withdrawn_identities()
        db.executemany(
            "DELETE FROM withdrawn_identities WHERE source = ? AND native_id = ?",
            [k for k in came if k in remembered],
        )
        db.executemany(
            "INSERT OR REPLACE INTO identities VALUES (?,?,?,?)",
            [(k[0], k[1], t, stamp) for k, t in token_of.items() if previous.get(k) != t],
        )
        db.executemany(
            "INSERT OR IGNORE INTO canonicals (token, created) VALUES (?, ?)", created.items()
        )
        for old, new in replaced.items():
            db.execute(
                "UPDATE canonicals SET replaced_by = ?, replaced_at = ? WHERE token = ?",
                (new, stamp, old),
            )
        for tok in retired:
            db.execute("UPDATE canonicals SET retired_at = ? WHERE token = ?", (stamp, tok))
        # A retired IRI that describes an algorithm again is current again. (Found in Python:
        # SQLite planned "token IN (SELECT ...)" as 105,000 index lookups, 0.7 s.)
        retired_now = {
            r[0] for r in db.execute("SELECT token FROM canonicals WHERE retired_at IS NOT NULL")
        }
        db.executemany(
            "UPDATE canonicals SET retired_at = NULL WHERE token = ?",
            [(t,) for t in retired_now & set(token_of.values())],
        )
