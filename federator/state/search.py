"""The search index's file: one SQLite database with an FTS5 table, beside the state.

Derived data, never migrated: ``federator.search`` builds a new file (or a copy of the
current one, patched) and swaps it in with ``os.replace``, so that a reader sees the old index
or the new one, never half. Readers open it read-only, one connection per request.

Why SQLite FTS5: it ships with Python (no new dependency, no server), its ``unicode61``
tokenizer folds case and diacritics (``remove_diacritics 2``), a ``"term"*`` query matches
prefixes, ``bm25()`` ranks, and the facets are plain ``GROUP BY`` on the same file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from federator import codec
from federator.state import State

FILE = "search.sqlite"
VERSION = "2"  # of the layout and the documents: a file of another version is rebuilt

SCHEMA = """
CREATE TABLE docs (
    rowid INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, title TEXT NOT NULL,
    organisation TEXT NOT NULL, organisation_name TEXT NOT NULL, org_key TEXT NOT NULL,
    org_kind TEXT NOT NULL, status TEXT, pubcat TEXT, impact INTEGER NOT NULL,
    registers INTEGER NOT NULL, modified TEXT, description TEXT, goal TEXT,
    data TEXT NOT NULL  -- JSON: sources (source, native id), themes, the fields in full
);
CREATE INDEX docs_by_org_iri ON docs (organisation);
-- What facets count and lists sort by, one slim row per document: scanning 100,000 of these
-- reads a few megabytes, where the documents themselves are hundreds.
CREATE TABLE facets (
    rowid INTEGER PRIMARY KEY, org_key TEXT NOT NULL, org_kind TEXT NOT NULL, status TEXT,
    pubcat TEXT, impact INTEGER NOT NULL, registers INTEGER NOT NULL, sort_title TEXT NOT NULL,
    modified TEXT
);
CREATE INDEX facets_by_title ON facets (sort_title);
CREATE INDEX facets_by_modified ON facets (modified);
CREATE INDEX facets_by_org ON facets (org_key, sort_title);
CREATE TABLE themes (rowid INTEGER NOT NULL, theme TEXT NOT NULL);
CREATE INDEX themes_by_theme ON themes (theme, rowid);
CREATE INDEX themes_by_row ON themes (rowid);
CREATE TABLE members (
    source TEXT NOT NULL, native_id TEXT NOT NULL, token TEXT NOT NULL,
    PRIMARY KEY (source, native_id)
);
CREATE INDEX members_by_token ON members (token);
CREATE TABLE orgs (
    key TEXT PRIMARY KEY, iri TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    algorithms INTEGER NOT NULL, sources TEXT NOT NULL  -- JSON: [[source id, algorithms]]
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE history (
    seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, source TEXT NOT NULL,
    native_id TEXT NOT NULL, kind TEXT NOT NULL
);
CREATE INDEX history_by_record ON history (source, native_id);
CREATE VIRTUAL TABLE fts USING fts5 (
    title, organisation_name, description, goal,
    content='docs', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
-- Relevance: a word in the title counts most, then the organisation's name, then the text.
INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 1.0)');
"""

# Columns of docs that facets count (name -> SQL expression over docs d).
FACETS = {
    "organisation": "f.org_key",
    "kind": "f.org_kind",
    "status": "f.status",
    "pubcat": "f.pubcat",
    "impact": "f.impact",
    "registers": "f.registers",
}
ORDERS = {
    "title": "f.sort_title, f.rowid",
    "modified": "f.modified DESC, f.rowid",
}
_WORD = re.compile(r"\w+", re.UNICODE)


def match_expression(q: str) -> str | None:
    """FTS5 query for free text: every word must occur, as a word or the start of one."""
    words = _WORD.findall(q or "")
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words[:20])


@dataclass
class Doc:
    """One algorithm as the index holds it."""

    token: str
    title: str
    organisation: str
    organisation_name: str
    org_key: str
    org_kind: str
    status: str | None
    pubcat: str | None
    impact: bool
    registers: int
    modified: str | None
    description: str | None
    goal: str | None
    themes: list[str]
    members: list[tuple[str, str]]
    data: dict[str, Any]  # what the index keeps besides (JSON)
    fields: dict[str, Any] = field(default_factory=dict)  # the unified fields (not kept)


# -- reading the state --------------------------------------------------------------------
def changes_since(state: State, seq: int) -> tuple[int, set[tuple[str, str]]]:
    """(the newest change's number, the records changed after ``seq``)."""
    top = state.db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
    rows = state.db.execute(
        "SELECT DISTINCT source, native_id FROM changes WHERE seq > ?", (seq,)
    ).fetchall()
    return int(top), {(r[0], r[1]) for r in rows}


def record_rows(state: State, keys: Iterable[tuple[str, str]] | None) -> Iterator[dict[str, Any]]:
    """Bodies of published records (all, or those of ``keys``) with when they changed."""
    if keys is None:
        rows: Iterable[sqlite3.Row] = state.db.execute(
            "SELECT source, native_id, changed_at, body FROM records"
        )
    else:
        rows = (
            row
            for key in keys
            for row in state.db.execute(
                "SELECT source, native_id, changed_at, body FROM records "
                "WHERE source = ? AND native_id = ?",
                key,
            )
        )
    for r in rows:
        body = codec.unpack_body(r["body"])
        body.pop("nt", None)  # the statements: the index needs the values only
        body["changed_at"] = r["changed_at"]
        yield body


def records_by_algorithm(state: State) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(token, the bodies of its records) for every resolved algorithm, in token order, one
    algorithm at a time: a new build at 100,000 registrations held every body at once
    (1 GB) when grouped in memory."""
    keys = state.db.execute(
        "SELECT canonical, source, native_id FROM identities ORDER BY canonical, source, native_id"
    ).fetchall()  # the keys only (a few MB); the bodies are read one by one in that order
    rows = (
        (key[0], *row)
        for key in keys
        for row in state.db.execute(
            "SELECT changed_at, body FROM records WHERE source = ? AND native_id = ?", key[1:]
        )
    )
    token: str | None = None
    group: list[dict[str, Any]] = []
    for canonical, changed_at, packed in rows:
        if canonical != token and group:
            yield str(token), group
            group = []
        token = canonical
        body = codec.unpack_body(packed)
        body.pop("nt", None)  # the statements: the index needs the values only
        body["changed_at"] = changed_at
        group.append(body)
    if group:
        yield str(token), group


# -- writing -------------------------------------------------------------------------------
class IndexWriter:
    """A new index file beside the current one; ``commit`` swaps it in."""

    def __init__(self, data_dir: Path, patch: bool) -> None:
        self.final = data_dir / FILE
        self.path = data_dir / (FILE + ".new")
        self.path.unlink(missing_ok=True)
        self.patch = patch
        if patch:
            shutil.copyfile(self.final, self.path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-65536")
        if not patch:
            self.db.executescript(SCHEMA)
        self.db.execute("BEGIN")

    def remove(self, tokens: Iterable[str]) -> None:
        db = self.db
        for token in tokens:
            row = db.execute(
                "SELECT rowid, title, organisation_name, description, goal FROM docs "
                "WHERE token = ?",
                (token,),
            ).fetchone()
            if row is None:
                continue
            db.execute(
                "INSERT INTO fts (fts, rowid, title, organisation_name, description, goal) "
                "VALUES ('delete', ?, ?, ?, ?, ?)",
                tuple(row),
            )
            db.execute("DELETE FROM docs WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM facets WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM themes WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM members WHERE token = ?", (token,))

    def add(self, docs: Iterable[Doc]) -> int:
        """Add documents; a new build fills the full-text index once, at ``commit``."""
        db, n = self.db, 0
        top = db.execute("SELECT COALESCE(MAX(rowid), 0) FROM docs").fetchone()[0]
        batch: list[Doc] = []
        for d in docs:
            batch.append(d)
            if len(batch) >= 1000:
                top = self._insert(batch, top)
                n, batch = n + len(batch), []
        if batch:
            self._insert(batch, top)
            n += len(batch)
        return n

    def _insert(self, docs: list[Doc], top: int) -> int:
        db = self.db
        rows = [(top + i + 1, d) for i, d in enumerate(docs)]
        db.executemany(
            "INSERT INTO docs (rowid, token, title, organisation, organisation_name, org_key, "
            "org_kind, status, pubcat, impact, registers, modified, description, goal, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r, d.token, d.title, d.organisation, d.organisation_name, d.org_key,
                    d.org_kind, d.status, d.pubcat, int(d.impact), d.registers, d.modified,
                    d.description, d.goal,
                    json.dumps(d.data, ensure_ascii=False, separators=(",", ":")),
                )
                for r, d in rows
            ],
        )  # fmt: skip
        db.executemany(
            "INSERT INTO facets (rowid, org_key, org_kind, status, pubcat, impact, registers, "
            "sort_title, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r, d.org_key, d.org_kind, d.status, d.pubcat, int(d.impact), d.registers,
                    d.title.casefold(), d.modified,
                )
                for r, d in rows
            ],
        )  # fmt: skip
        if self.patch:  # a new build indexes every text at once, at commit
            db.executemany(
                "INSERT INTO fts (rowid, title, organisation_name, description, goal) "
                "VALUES (?, ?, ?, ?, ?)",
                [(r, d.title, d.organisation_name, d.description, d.goal) for r, d in rows],
            )
        db.executemany(
            "INSERT INTO themes (rowid, theme) VALUES (?, ?)",
            [(r, t) for r, d in rows for t in d.themes],
        )
        db.executemany(
            "INSERT OR REPLACE INTO members (source, native_id, token) VALUES (?, ?, ?)",
            [(src, native, d.token) for _, d in rows for src, native in d.members],
        )
        return top + len(rows)

    def add_history(self, state: State, after: int) -> None:
        """The change feed's entries after ``after``, by record (the algorithm page's history)."""
        rows = state.db.execute(
            "SELECT seq, run_id, at, source, native_id, kind FROM changes WHERE seq > ?", (after,)
        )
        self.db.executemany("INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?, ?, ?)", rows)

    def _summaries(self) -> dict[str, str]:
        """The organisations table, the totals and the facets of everything, computed once
        per build (the front page and an empty search read them instead of counting)."""
        db = self.db
        db.execute("DELETE FROM orgs")
        per_source: dict[str, list[list[Any]]] = {}
        for key, source, n in db.execute(
            "SELECT f.org_key, m.source, COUNT(DISTINCT m.token) FROM members m "
            "JOIN docs d ON d.token = m.token JOIN facets f ON f.rowid = d.rowid "
            "GROUP BY f.org_key, m.source ORDER BY f.org_key, m.source"
        ):
            per_source.setdefault(key, []).append([source, n])
        rows = db.execute(
            "SELECT f.org_key, COUNT(*), MIN(f.rowid) FROM facets f GROUP BY f.org_key"
        ).fetchall()
        for key, n, first in rows:
            iri, name, kind = db.execute(
                "SELECT organisation, organisation_name, org_kind FROM docs WHERE rowid = ?",
                (first,),
            ).fetchone()
            db.execute(
                "INSERT INTO orgs (key, iri, name, kind, algorithms, sources) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, iri, name, kind, n, json.dumps(per_source.get(key, []))),
            )
        totals = {
            "algorithms": db.execute("SELECT COUNT(*) FROM facets").fetchone()[0],
            "organisations": len(rows),
            "registrations": db.execute("SELECT COUNT(*) FROM members").fetchone()[0],
        }
        return {
            "totals": json.dumps(totals),
            "facets_all": json.dumps(_facet_counts(db, None)),
        }

    def commit(self, meta: dict[str, str], full: bool = True) -> None:
        """Swap the new file in; ``full``: a new build (merge the full-text segments and
        gather the planner's statistics, which a patched copy keeps from its build)."""
        meta = {**meta, **self._summaries()}
        self.db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", sorted(meta.items())
        )
        if not self.patch:  # every text at once, from the documents (C, not row by row)
            self.db.execute("INSERT INTO fts (fts) VALUES ('rebuild')")
        self.db.execute("COMMIT")
        if full:
            self.db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
            self.db.execute("ANALYZE")
        self.db.close()
        os.replace(self.path, self.final)

    def abandon(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)


def read_meta(data_dir: Path) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The current file's meta and members ((source, native id) -> token); empty if none."""
    path = data_dir / FILE
    if not path.exists():
        return {}, {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        members = {(s, n): t for s, n, t in db.execute("SELECT * FROM members")}
        return meta, members
    except sqlite3.DatabaseError:
        return {}, {}
    finally:
        db.close()


# -- reading -------------------------------------------------------------------------------
def _where(filters: dict[str, list[str]]) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    for name, values in filters.items():
        values = [v for v in values if v != ""]
        if not values:
            continue
        marks = ",".join("?" * len(values))
        if name == "theme":
            clauses.append(f"f.rowid IN (SELECT rowid FROM themes WHERE theme IN ({marks}))")
        elif name in FACETS:
            clauses.append(f"{FACETS[name]} IN ({marks})")
        else:
            continue
        args += [int(v) if name in ("impact", "registers") and v.isdigit() else v for v in values]
    return clauses, args


HITS = (
    "CREATE TEMP TABLE hits (rowid INTEGER PRIMARY KEY, org_key TEXT, org_kind TEXT, "
    "status TEXT, pubcat TEXT, impact INTEGER, registers INTEGER, sort_title TEXT, modified TEXT, "
    "score REAL)"
)


def _facet_counts(
    db: sqlite3.Connection, hits: str | None, known: dict[str, list[list[Any]]] | None = None
) -> dict[str, list[list[Any]]]:
    """Per facet: [value, count] pairs, most first, over ``hits`` (the temp table) or all.

    Over hits, the facets of few values (every value ``known`` from the counts over all) are
    counted in one pass of ``SUM(column = value)``s: one scan instead of a sort per facet.
    """
    source = "facets f" if hits is None else f"{hits} f"
    counts: dict[str, list[list[Any]]] = {}
    small = [n for n in FACETS if n != "organisation" and known and n in known]
    if hits is not None and small and known is not None:
        pairs = [(n, v[0]) for n in small for v in known[n]]
        if pairs:
            sums = ", ".join(f"SUM({FACETS[n]} = ?)" for n, _ in pairs)
            row = db.execute(f"SELECT {sums} FROM {source}", [v for _, v in pairs]).fetchone()
            for (n, v), c in zip(pairs, row, strict=True):
                if c:
                    counts.setdefault(n, []).append([v, c])
        for n in small:
            counts[n] = sorted(counts.get(n, []), key=lambda vc: (-vc[1], str(vc[0])))
    for name, expr in FACETS.items():
        if name in counts:
            continue
        counts[name] = [
            list(r)
            for r in db.execute(
                f"SELECT {expr}, COUNT(*) FROM {source} WHERE {expr} IS NOT NULL "
                f"GROUP BY {expr} ORDER BY COUNT(*) DESC, {expr}"
            )
        ]
    themes = "themes t" if hits is None else f"themes t JOIN {hits} h ON h.rowid = t.rowid"
    counts["theme"] = [
        list(r)
        for r in db.execute(
            f"SELECT t.theme, COUNT(*) FROM {themes} GROUP BY t.theme ORDER BY COUNT(*) DESC, "
            "t.theme"
        )
    ]
    return {name: counts[name] for name in (*FACETS, "theme")}


DOC_COLUMNS = (
    "token, title, organisation, organisation_name, org_key, org_kind, status, pubcat, impact, "
    "registers, modified, description, data"
)


class SearchIndex:
    """The current index, read-only (one per request: a publish may replace the file)."""

    def __init__(self, data_dir: Path) -> None:
        path = data_dir / FILE
        if not path.exists():
            raise FileNotFoundError(path)
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA temp_store=MEMORY")
        self._meta: dict[str, str] | None = None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(
        self,
        q: str,
        filters: dict[str, list[str]],
        order: str,
        limit: int,
        offset: int,
        facets: bool = True,
    ) -> tuple[int, list[dict[str, Any]], dict[str, list[list[Any]]]]:
        """(how many match, one page of them, facet counts over all that match)."""
        match = match_expression(q)
        clauses, args = _where(filters)
        db = self.db
        db.execute("DROP TABLE IF EXISTS temp.hits")
        hits: str | None = None
        if match or clauses:
            hits = "temp.hits"
            db.execute(HITS)
            if match:
                where = " AND ".join(["fts MATCH ?", *clauses])
                # One pass of the full-text match ranks every hit (bm25, weights in the
                # schema's 'rank'); the page is then the best of the temp table.
                db.execute(
                    "INSERT INTO temp.hits SELECT f.*, fts.rank FROM fts JOIN facets f "
                    f"ON f.rowid = fts.rowid WHERE {where}",
                    [match, *args],
                )
            else:
                db.execute(
                    "INSERT INTO temp.hits SELECT f.*, 0.0 FROM facets f WHERE "
                    + " AND ".join(clauses),
                    args,
                )
            total = db.execute("SELECT COUNT(*) FROM temp.hits").fetchone()[0]
        else:
            total = self.totals()["algorithms"]
        if limit <= 0:
            rowids: list[int] = []
        elif match and (order == "relevance" or order not in ORDERS):
            rowids = [
                r[0]
                for r in db.execute(
                    "SELECT rowid FROM temp.hits ORDER BY score, sort_title, rowid "
                    "LIMIT ? OFFSET ?",
                    (limit, offset),
                )
            ]
        else:
            by = ORDERS.get(order, ORDERS["title"])
            source = "facets f" if hits is None else "temp.hits f"
            rowids = [
                r[0]
                for r in db.execute(
                    f"SELECT f.rowid FROM {source} ORDER BY {by} LIMIT ? OFFSET ?",
                    (limit, offset),
                )
            ]
        page = self._docs(rowids)
        counts: dict[str, list[list[Any]]] = {}
        if facets:
            everything = json.loads(self.meta().get("facets_all") or "{}")
            counts = everything if hits is None else _facet_counts(db, hits, everything)
        db.execute("DROP TABLE IF EXISTS temp.hits")
        return total, page, counts

    def _docs(self, rowids: list[int]) -> list[dict[str, Any]]:
        if not rowids:
            return []
        marks = ",".join("?" * len(rowids))
        rows = {
            r["rowid"]: r
            for r in self.db.execute(
                f"SELECT rowid, {DOC_COLUMNS} FROM docs WHERE rowid IN ({marks})", rowids
            )
        }
        return [_row(rows[i]) for i in rowids if i in rows]

    def doc(self, token: str) -> dict[str, Any] | None:
        row = self.db.execute(
            f"SELECT {DOC_COLUMNS}, goal FROM docs WHERE token = ?", (token,)
        ).fetchone()
        return _row(row) if row else None

    def tokens(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The algorithm each (source, native id) record describes, where it is published."""
        out = {}
        for key in keys:
            row = self.db.execute(
                "SELECT token FROM members WHERE source = ? AND native_id = ?", key
            ).fetchone()
            if row:
                out[key] = row[0]
        return out

    def history(self, keys: Iterable[tuple[str, str]], limit: int = 100) -> list[dict[str, Any]]:
        """The change feed's entries about these records, newest first."""
        out: list[dict[str, Any]] = []
        for key in keys:
            out += [
                dict(r)
                for r in self.db.execute(
                    "SELECT seq, run_id, at, source, native_id, kind FROM history "
                    "WHERE source = ? AND native_id = ? ORDER BY seq DESC LIMIT ?",
                    (*key, limit),
                )
            ]
        return sorted(out, key=lambda r: -r["seq"])[:limit]

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest entries of the change feed, with the algorithm each is about (if any)."""
        rows = self.db.execute(
            "SELECT h.seq, h.at, h.source, h.native_id, h.kind, m.token, d.title "
            "FROM history h LEFT JOIN members m ON m.source = h.source "
            "AND m.native_id = h.native_id LEFT JOIN docs d ON d.token = m.token "
            "ORDER BY h.seq DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    def titles(self, tokens: Iterable[str]) -> dict[str, str]:
        out = {}
        for token in tokens:
            row = self.db.execute("SELECT title FROM docs WHERE token = ?", (token,)).fetchone()
            if row:
                out[token] = row[0]
        return out

    def organisations(self) -> list[dict[str, Any]]:
        """Every publishing body: key, IRI, name, kind, algorithms, registers (source ids)."""
        rows = self.db.execute(
            "SELECT key, iri, name, kind, algorithms, sources FROM orgs "
            "ORDER BY name COLLATE NOCASE, key"
        )
        return [
            {
                "key": r["key"],
                "iri": r["iri"],
                "name": r["name"],
                "kind": r["kind"],
                "algorithms": r["algorithms"],
                "registers": [s for s, _ in json.loads(r["sources"])],
            }
            for r in rows
        ]

    def organisation(self, key: str) -> dict[str, Any] | None:
        r = self.db.execute(
            "SELECT key, iri, name, kind, algorithms, sources FROM orgs WHERE key = ?", (key,)
        ).fetchone()
        if r is None:
            return None
        return {
            "key": r["key"],
            "iri": r["iri"],
            "name": r["name"],
            "kind": r["kind"],
            "algorithms": r["algorithms"],
            "per_source": [tuple(x) for x in json.loads(r["sources"])],
        }

    def org_names(self, keys: Iterable[str]) -> dict[str, str]:
        out = {}
        for key in keys:
            row = self.db.execute("SELECT name FROM orgs WHERE key = ?", (key,)).fetchone()
            if row:
                out[key] = row[0]
        return out

    def names(self, iris: Iterable[str], algorithm_base: str) -> dict[str, str]:
        """Names of these IRIs where the index knows them: organisations and algorithms."""
        out = {}
        for iri in iris:
            if iri.startswith(algorithm_base):
                row = self.db.execute(
                    "SELECT title FROM docs WHERE token = ?", (iri[len(algorithm_base) :],)
                ).fetchone()
            else:
                row = self.db.execute(
                    "SELECT organisation_name FROM docs WHERE organisation = ? LIMIT 1", (iri,)
                ).fetchone()
            if row:
                out[iri] = row[0]
        return out

    def organisation_pages(self, iris: Iterable[str]) -> dict[str, str]:
        """The key of each organisation (by IRI) the index knows: its page's path part."""
        out = {}
        for iri in iris:
            row = self.db.execute(
                "SELECT org_key FROM docs WHERE organisation = ? LIMIT 1", (iri,)
            ).fetchone()
            if row:
                out[iri] = row[0]
        return out

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = json.loads(self.meta().get("totals") or "{}")
        return totals

    def meta(self) -> dict[str, str]:
        if self._meta is None:
            self._meta = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        return self._meta


def _row(r: sqlite3.Row) -> dict[str, Any]:
    out = dict(r)
    out["data"] = json.loads(out["data"])
    out["impact"] = bool(out["impact"])
    return out
