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
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

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
-- What facets count and lists sort by, one slim row per document: scanning 100,000 of these
-- reads a few megabytes, where the documents themselves are hundreds.
CREATE TABLE facets (
    rowid INTEGER PRIMARY KEY, org_key TEXT NOT NULL, org_kind TEXT NOT NULL, status TEXT,
    pubcat TEXT, impact INTEGER NOT NULL, registers INTEGER NOT NULL, sort_title TEXT NOT NULL,
    modified TEXT
);
CREATE TABLE themes (rowid INTEGER NOT NULL, theme TEXT NOT NULL);
CREATE TABLE members (
    source TEXT NOT NULL, native_id TEXT NOT NULL, token TEXT NOT NULL,
    PRIMARY KEY (source, native_id)
);
CREATE TABLE orgs (
    key TEXT PRIMARY KEY, iri TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    algorithms INTEGER NOT NULL, sources TEXT NOT NULL  -- JSON: [[source id, algorithms]]
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE history (
    seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, at TEXT NOT NULL, source TEXT NOT NULL,
    native_id TEXT NOT NULL, kind TEXT NOT NULL
);
CREATE VIRTUAL TABLE fts USING fts5 (
    title, organisation_name, description, goal,
    content='docs', content_rowid='rowid',
    tokenize='unicode61 remove_diacritics 2'
);
-- Relevance: a word in the title counts most, then the organisation's name, then the text.
INSERT INTO fts (fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 1.0)');
"""
# Made after the rows of a new build, one sort each (rows in token order filled them at
# random: 0.1 s more at 20,000 registrations, 0.7 s at 100,000).
INDEXES = (
    "CREATE INDEX docs_by_org_iri ON docs (organisation)",
    "CREATE INDEX facets_by_title ON facets (sort_title)",
    "CREATE INDEX facets_by_modified ON facets (modified)",
    "CREATE INDEX facets_by_org ON facets (org_key, sort_title)",
    "CREATE INDEX themes_by_theme ON themes (theme, rowid)",
    "CREATE INDEX themes_by_row ON themes (rowid)",
    "CREATE INDEX members_by_token ON members (token)",
    "CREATE INDEX history_by_record ON history (source, native_id)",
)
# FTS5 writes its terms out as a new segment whenever they pass "hashsize" (1 MB by default),
# and merges segments as they pile up, and 'optimize' all of them: 'rebuild' and 'optimize' took
# 0.5 s at 20,000 registrations and 2.2 s at 100,000; with 64 MB, one segment each (nothing to
# merge), 0.23 s and 1.25 s. The terms take at most that much memory, until ``commit``.
HASHSIZE = 64 * 1024 * 1024
# The new file's page cache: it is written once, without a journal, so pages that do not fit
# go to the file at no cost; 16 MB builds as fast as 64 MB did, with 50 MB less at 100,000.
CACHE_KB = 16 * 1024

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
# What a document reads of a record's body (``federator.search.document``) besides the values
# of the fields it is given: a body keeps these and those values only (the statements, the
# warnings and the other fields are most of it, and of its parse).
BODY_KEYS = ("source", "native_id", "identity", "organisation", "organisation_name")
_NEEDED = frozenset((*BODY_KEYS, "values", "modified_date"))
_TEXT = (str, type(None))


def last_change(state: State) -> int:
    """The newest change's number (0: none yet)."""
    return int(state.db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])


def changes_since(state: State, seq: int) -> tuple[int, set[tuple[str, str]]]:
    """(the newest change's number, the records changed after ``seq``)."""
    top = last_change(state)
    rows = state.db.execute(
        "SELECT DISTINCT source, native_id FROM changes WHERE seq > ?", (seq,)
    ).fetchall()
    return top, {(r[0], r[1]) for r in rows}


def _parse(text: str | bytes) -> dict[str, Any]:
    """The body, or at least its keys outside the statements and the warnings: those are
    two thirds of it, and parsed half the time (20,000 bench: 0.18 s of 0.38). A body as
    ``record_body`` writes it has its values before the statements (``"nt"``) and its
    ``"modified_date"`` last; the head before ``,"nt":`` and the tail from the last
    ``,"modified_date":`` are parsed apart. Each is whole JSON only where the key it was cut
    at is the body's own (a cut inside a value, at any depth, leaves brackets unclosed), and
    such a key is never inside a text (its quote would be escaped); any other body is parsed
    whole."""
    if isinstance(text, bytes):
        cut = text.find(b',"nt":')
        last = text.rfind(b',"modified_date":')
        if cut > 0 and last > 0:
            try:
                body: dict[str, Any] = orjson.loads(text[:cut] + b"}")
                body.update(orjson.loads(b"{" + text[last + 1 :]))
                return body
            except orjson.JSONDecodeError:
                pass
    body = orjson.loads(text)
    return body


def _floats(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(_floats(v) for v in value)
    if isinstance(value, dict):
        return any(_floats(v) for v in value.values())
    return False


def slim_body(packed: str | bytes, changed_at: str, fields: frozenset[str]) -> dict[str, Any]:
    """A stored body (``codec.pack_body``) with what a document reads of it: ``BODY_KEYS``
    (of the identity its ``modified`` only), ``modified_date``, the values of ``fields``, and
    ``changed_at``.

    orjson parses in half the standard library's time; where it would not give the same (it
    refuses NaN and lone surrogates, and reads an integer beyond 64 bits as a float) the
    standard library parses it, as ``codec.unpack_body`` does: any float among what is kept
    sends the body there too (rare: the registers' values are text).
    """
    text = codec.body_json(packed)
    try:
        body = _parse(text)
    except orjson.JSONDecodeError:
        body = None
    if body is None or not body.keys() >= _NEEDED:
        body = json.loads(text)  # every key as it is, if any
    out = _kept(body, fields)
    odd = [v for v in out["values"].values() if type(v) is not str]
    modified = out.get("identity", {}).get("modified")
    date = out.get("modified_date")
    if (odd or type(modified) not in _TEXT or type(date) not in _TEXT) and _floats(
        [odd, modified, date]
    ):
        out = _kept(json.loads(text), fields)
    out["changed_at"] = changed_at
    return out


def _kept(body: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    out = {"values": {k: v for k, v in body.get("values", {}).items() if k in fields}}
    for k in BODY_KEYS:
        if k in body:
            out[k] = body[k]
    if "identity" in out:
        identity = out["identity"]
        out["identity"] = {"modified": identity["modified"]} if "modified" in identity else {}
    if "modified_date" in body:
        out["modified_date"] = body["modified_date"]
    return out


def record_rows(
    state: State, keys: Iterable[tuple[str, str]] | None, fields: Collection[str]
) -> Iterator[dict[str, Any]]:
    """Bodies of published records (all, or those of ``keys``) with when they changed, with
    what a document reads of them (``slim_body``)."""
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
    wanted = frozenset(fields)
    for r in rows:
        yield slim_body(r["body"], r["changed_at"], wanted)


Row = tuple[str, str | bytes]  # (changed at, stored body) of a record


def _rows_in_key_order(state: State) -> Iterator[tuple[str, str, str | bytes]]:
    """(token, changed at, stored body) of every resolved record, in the order of the keys
    (token, source, native id): one query, the keys sorted before the bodies are read (sorting
    the joined rows would hold every body in SQLite's sorter). At 20,000: 0.09 s, where a
    query per record took 0.18 s."""
    db = state.db
    cursor = db.cursor()
    cursor.row_factory = None  # plain tuples
    keys: list[tuple[str, str, str]] = cursor.execute(
        "SELECT canonical, source, native_id FROM identities ORDER BY canonical, source, native_id"
    ).fetchall()  # the keys only (a few MB)
    rows = db.cursor()
    rows.row_factory = None
    rows.execute(
        "SELECT k.canonical, k.source, k.native_id, r.changed_at, r.body FROM ("
        "  SELECT canonical, source, native_id FROM identities"
        "  ORDER BY canonical, source, native_id LIMIT -1"
        ") k CROSS JOIN records r ON r.source = k.source AND r.native_id = k.native_id"
    )

    def read(key: tuple[str, str, str]) -> list[Row]:
        return db.execute(
            "SELECT changed_at, body FROM records WHERE source = ? AND native_id = ?", key[1:]
        ).fetchall()

    try:
        yield from in_key_order(keys, rows, read)
    finally:
        rows.close()


def in_key_order(
    keys: list[tuple[str, str, str]],
    rows: Iterable[tuple[str, str, str, str, str | bytes]],
    read: Callable[[tuple[str, str, str]], list[Row]],
) -> Iterator[tuple[str, str, str | bytes]]:
    """(token, changed at, body) of ``rows`` (token, source, native id, changed at, body),
    checked against ``keys`` (sorted): a key skipped must be one without a record (``read``
    gives none), and from the first row out of place (a query planner that took another
    order than asked) the rest are read key by key."""
    at, n = 0, len(keys)
    for canonical, source, native_id, changed_at, packed in rows:
        key = (canonical, source, native_id)
        while at < n and keys[at] < key and not read(keys[at]):
            at += 1  # an identity without a record: nothing to read
        if at == n or keys[at] != key:
            break
        at += 1
        yield canonical, changed_at, packed
    for key in keys[at:]:
        for changed_at, packed in read(key):
            yield key[0], changed_at, packed


def records_by_algorithm(
    state: State, fields: Collection[str]
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(token, the bodies of its records) for every resolved algorithm, in token order, one
    algorithm at a time (a new build at 100,000 registrations held every body at once, 1 GB,
    when grouped in memory), each body with what a document reads of it (``slim_body``)."""
    wanted = frozenset(fields)
    token: str | None = None
    group: list[dict[str, Any]] = []
    for canonical, changed_at, packed in _rows_in_key_order(state):
        if canonical != token and group:
            yield str(token), group
            group = []
        token = canonical
        group.append(slim_body(packed, changed_at, wanted))
    if group:
        yield str(token), group


def records_at_hand(
    groups: Mapping[str, list[dict[str, Any]]], fields: Collection[str]
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``records_by_algorithm`` from bodies a publish holds (token -> its records' bodies, as
    state now holds them, ``changed_at`` included): the same groups in the same order, each
    body cut as ``slim_body`` cuts it, without reading every body back from state."""
    wanted = frozenset(fields)
    for token in sorted(groups):
        members = sorted(groups[token], key=lambda b: (b["source"], b["native_id"]))
        yield token, [{**_kept(b, wanted), "changed_at": b["changed_at"]} for b in members]


# -- writing -------------------------------------------------------------------------------
class IndexWriter:
    """A new index file beside the current one; ``swap`` puts it in place."""

    def __init__(self, data_dir: Path, patch: bool) -> None:
        self.final = data_dir / FILE
        self.path = data_dir / (FILE + ".new")
        self.path.unlink(missing_ok=True)
        self.patch = patch
        self._finished: Future[None] | None = None
        self.finish_window: tuple[float, float] | None = None  # perf_counter from, to
        if patch:
            shutil.copyfile(self.final, self.path)
        # ``finish_aside`` hands the connection to a thread; only one uses it at a time.
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        if not patch:
            self.db.executescript(SCHEMA)
            self.db.execute("INSERT INTO fts (fts, rank) VALUES ('hashsize', ?)", (HASHSIZE,))
        self.db.execute("BEGIN")

    def remove(self, tokens: Iterable[str]) -> None:
        """Take these algorithms' documents out, in rowid order: FTS5 writes out its pending
        terms whenever a rowid is not above the last one it took, so in the order of a set
        (at random) 3,000 documents took 0.37 s, in rowid order 0.03 s."""
        db = self.db
        found = sorted(
            (row[1:], row[0])
            for token in tokens
            for row in db.execute(
                "SELECT token, rowid, title, organisation_name, description, goal FROM docs "
                "WHERE token = ?",
                (token,),
            )
        )
        db.executemany(
            "INSERT INTO fts (fts, rowid, title, organisation_name, description, goal) "
            "VALUES ('delete', ?, ?, ?, ?, ?)",
            [texts for texts, _ in found],
        )
        rowids = [(texts[0],) for texts, _ in found]
        db.executemany("DELETE FROM docs WHERE rowid = ?", rowids)
        db.executemany("DELETE FROM facets WHERE rowid = ?", rowids)
        db.executemany("DELETE FROM themes WHERE rowid = ?", rowids)
        db.executemany("DELETE FROM members WHERE token = ?", [(t,) for _, t in found])

    def add(self, docs: Iterable[Doc]) -> int:
        """Add documents; a new build fills the full-text index once, at ``finish``."""
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
                    d.description, d.goal, _json(d.data),
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
        if self.patch:  # a new build indexes every text at once, at ``finish``
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
        # Each document's rowid from the token's index, never from the documents' own pages
        # ('+'): a patched copy's planner statistics otherwise lead it there (0.06 s of 0.2).
        for key, source, n in db.execute(
            "SELECT f.org_key, m.source, COUNT(DISTINCT m.token) FROM members m "
            "JOIN docs d ON d.token = m.token JOIN facets f ON f.rowid = +d.rowid "
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

    def finish_aside(self, meta: dict[str, str], full: bool = True) -> None:
        """``finish`` on a thread of its own, beside whatever the caller does next: nearly
        all of it is SQLite's work (the indexes, the full-text index, the commit), which
        runs without the interpreter lock (the summaries' few Python loops aside). In a cold
        run at 20,000 that is 0.45 s the publish no longer waits for. ``swap`` and
        ``abandon`` wait for it."""
        pool = ThreadPoolExecutor(1, thread_name_prefix="search-index-finish")
        # Raises when no thread can be started: then there is nothing to wait for.
        self._finished = pool.submit(self.finish, meta, full)
        pool.shutdown(wait=False)  # the thread ends with the finish

    def finish(self, meta: dict[str, str], full: bool = True) -> None:
        """Write the new file out whole, not yet in place; ``full``: a new build (merge the
        full-text segments and gather the planner's statistics, which a patched copy keeps
        from its build)."""
        started = time.perf_counter()
        if not self.patch:
            for index in INDEXES:
                self.db.execute(index)
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
        self.finish_window = (started, time.perf_counter())

    def swap(self) -> None:
        """Put the finished file in place of the current one (readers see one or the other);
        raises what finishing it raised."""
        if self._finished is not None:
            self._finished.result()
        os.replace(self.path, self.final)

    def abandon(self) -> None:
        """Drop the new file (once its finishing, if begun, has ended)."""
        if self._finished is not None:
            self._finished.exception()  # waits; what it raised no longer matters
        self.db.close()
        self.path.unlink(missing_ok=True)


def _json(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, in orjson's time
    (the same text; what orjson refuses, such as a lone surrogate, goes the slow way)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def read_meta(data_dir: Path) -> tuple[dict[str, str], bool]:
    """The current file's meta, and whether it files any record; ({}, False) if none. Its
    members are read apart (``read_members``): a run that changed nothing needs only this
    (20,000 members: 17-30 ms)."""
    found = _read(data_dir, "SELECT key, value FROM meta", "SELECT EXISTS (SELECT 1 FROM members)")
    if found is None:
        return {}, False
    meta, filed = found
    return dict(meta), bool(filed[0][0])


def read_members(data_dir: Path) -> dict[tuple[str, str], str]:
    """The current file's members ((source, native id) -> token); empty if none."""
    found = _read(data_dir, "SELECT source, native_id, token FROM members")
    return {} if found is None else {(s, n): t for s, n, t in found[0]}


def _read(data_dir: Path, *queries: str) -> list[list[Any]] | None:
    """The rows of each query, read in one look at the current file; None without one."""
    path = data_dir / FILE
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [db.execute(q).fetchall() for q in queries]
    except sqlite3.DatabaseError:
        return None
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
