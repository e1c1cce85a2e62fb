"""The search index's build reads only what a document needs of each record, and makes the
same index as reading every body in full: the same documents, facets, members and texts."""

from __future__ import annotations

import json
import random
import re
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from federator import codec, config, orgs, search
from federator.records import by_survivorship
from federator.sim import RegisterServer
from federator.state import State
from federator.state import search as index

from .serverkit import Published, agency_registers, configure, run_once

CITY = "https://identifier.overheid.nl/tooi/id/gemeente/gm0344"
MINTED = "https://algoritmes.example.org/id/organisation/politie"
FIELDS = frozenset(search.FIELDS)


def body(native: str, **values: Any) -> dict[str, Any]:
    return {
        "source": "national",
        "native_id": native,
        "subject": f"https://algoritmes.example.org/id/description/national/{native}",
        "identity": {"lars": native, "modified": "2026-03-01T10:00:00", "organisation": "x"},
        "organisation": CITY,
        "organisation_name": "gm0344",
        "values": {"name": "Parkeerscan", "description": "Scant kentekens.", **values},
        "lang": "nl",
        "position": 3,
        "digest": "d" * 64,
        "nt": {"name": '<https://x.example/a> <http://purl.org/dc/terms/title> "P\\"s" .\n'},
        "warnings": [{"field": "goal", "code": "missing", "value": None}],
        "modified_date": "2026-03-01",
    }


def expected(full: dict[str, Any], changed_at: str) -> dict[str, Any]:
    """What ``slim_body`` should give: the standard library's reading, cut down."""
    out = {k: full[k] for k in index.BODY_KEYS if k in full}
    out["values"] = {k: v for k, v in full.get("values", {}).items() if k in FIELDS}
    if "identity" in out:
        identity = out["identity"]
        out["identity"] = {"modified": identity["modified"]} if "modified" in identity else {}
    if "modified_date" in full:
        out["modified_date"] = full["modified_date"]
    out["changed_at"] = changed_at
    return out


def typed(value: Any) -> Any:
    """The value with every leaf's type, as ``repr`` gives it: 2**70 is not 1.18e+21 (which
    compares equal to it), and NaN is NaN."""
    if isinstance(value, dict):
        return sorted((k, typed(v)) for k, v in value.items())
    if isinstance(value, list):
        return [typed(v) for v in value]
    return type(value).__name__, repr(value)


HOSTILE = {
    "plain": body("1"),
    "an integer beyond 64 bits": body("2", name=2**70, goal=[2**65, "x"]),
    "a float": body("3", name=1.5),
    "not a number, with a big integer (the standard library writes NaN then)": body(
        "4", status=float("nan"), impacttoetsen=2**80
    ),
    "a lone surrogate": body("5", name="Parkeren \ud83d"),
    "the statements' key inside a value": body(
        "6", category=[{"nt": 1, "modified_date": "x"}], description=',"nt":{"a":1}'
    ),
    "the dates' key inside a warning": {
        **body("7"),
        "warnings": [{"value": {"modified_date": "2020-01-01"}}],
    },
    "no date of its own": {k: v for k, v in body("8").items() if k != "modified_date"},
    "no date of its own, but one in a warning": {
        **{k: v for k, v in body("8").items() if k != "modified_date"},
        "warnings": [{"value": {"modified_date": "2020-01-01"}}],
    },
    "the values between the statements and the date": {
        **{k: v for k, v in body("8").items() if k not in ("values", "modified_date")},
        "values": {"name": "Later"},
        "modified_date": "2026-03-01",
    },
    "the statements first": {"nt": {"x": "y"}, **body("9")},
    "no statements": {k: v for k, v in body("10").items() if k != "nt"},
    "a modified date that is a number": {**body("11"), "identity": {"modified": 2**66}},
    "every field": body(
        "12",
        description_short="Kort",
        goal="Doel",
        category=["a", "b"],
        status="s",
        publication_category="p",
        impacttoetsen_grouping=[],
        iama=False,
        dpia={"text": "ja"},
        other="not kept",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_slim_body_is_what_the_standard_library_reads(name: str) -> None:
    packed = codec.pack_body(HOSTILE[name])
    slim = index.slim_body(packed, "2026-04-01T00:00:00Z", FIELDS)
    assert typed(slim) == typed(expected(codec.unpack_body(packed), "2026-04-01T00:00:00Z"))


def test_a_body_kept_as_plain_text_is_read_too() -> None:
    text = json.dumps(body("13"))
    assert typed(index.slim_body(text, "t", FIELDS)) == typed(expected(json.loads(text), "t"))


def original_document(
    token: str,
    members: list[dict[str, Any]],
    priorities: dict[str, int],
    aliases: dict[str, str] | None = None,
) -> tuple[Any, ...]:
    """``search.document`` as it was before it was made faster: the oracle."""

    def filled(value: Any) -> bool:
        return value not in (None, "", [], {})

    ranked = by_survivorship(members, priorities)
    fields: dict[str, Any] = {}
    for b in ranked:
        for name, value in b.get("values", {}).items():
            if not filled(value):
                continue
            if isinstance(value, list) and isinstance(fields.get(name), list):
                fields[name] = fields[name] + [v for v in value if v not in fields[name]]
            elif name not in fields:
                fields[name] = value
    first = ranked[0]
    organisation = (aliases or {}).get(first["organisation"], first["organisation"])
    name = orgs.official_names().get(organisation) or first.get("organisation_name") or ""
    themes = fields.get("category") or []
    if isinstance(themes, str):
        themes = [themes]
    status = fields.get("status")
    pubcat = fields.get("publication_category")
    impact = any(
        filled(fields.get(k)) and fields.get(k) is not False
        for k in ("impacttoetsen_grouping", "impacttoetsen", "iama", "dpia")
    )
    modified = max(
        (
            str(d)[:10]
            for b in members
            for d in (b["identity"].get("modified"), b.get("modified_date"))
            if d and re.match(r"\d{4}-\d{2}-\d{2}", str(d))
        ),
        default="",
    )
    description = fields.get("description_short") or fields.get("description")
    goal = fields.get("goal")
    keys = sorted((b["source"], b["native_id"]) for b in members)
    return (
        token,
        str(fields.get("name") or token),
        organisation,
        name or organisation,
        search.org_key(organisation),
        search.org_kind(organisation),
        status if isinstance(status, str) else None,
        pubcat if isinstance(pubcat, str) else None,
        impact,
        len({s for s, _ in keys}),
        modified[:10] or None,
        description if isinstance(description, str) else None,
        goal if isinstance(goal, str) else None,
        [t for t in themes if isinstance(t, str)],
        keys,
        {"members": keys},
    )


def as_tuple(doc: index.Doc) -> tuple[Any, ...]:
    return (
        doc.token, doc.title, doc.organisation, doc.organisation_name, doc.org_key, doc.org_kind,
        doc.status, doc.pubcat, doc.impact, doc.registers, doc.modified, doc.description,
        doc.goal, doc.themes, doc.members, doc.data,
    )  # fmt: skip


def random_member(rng: random.Random, i: int) -> dict[str, Any]:
    pick = rng.choice
    values = {
        name: pick([None, "", [], {}, False, 0, "tekst", ["a", "b"], ["b", "c"], {"text": "x"}])
        for name in (*search.FIELDS, "contact_email")
        if rng.random() < 0.6
    }
    return {
        "source": pick(["national", "city", "province"]),
        "native_id": f"N{i}",
        "identity": {"modified": pick([None, "", "2026-01-0" + str(i % 9 + 1), "maart 2024"])},
        "organisation": pick([CITY, MINTED, "https://identifier.overheid.nl/tooi/id/oorg/oorg1"]),
        "organisation_name": pick(["", "Politie", "gm0344"]),
        "values": values,
        "modified_date": pick([None, "2025-12-31", "2026-02-30"]),
        "changed_at": pick(["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]),
    }


def test_a_document_is_made_as_before() -> None:
    rng = random.Random(7)
    priorities = {"national": 10, "city": 0, "province": 10}
    aliases = {MINTED: "https://identifier.overheid.nl/tooi/id/oorg/oorg99999"}
    for n in range(3000):
        members = [random_member(rng, n * 10 + i) for i in range(rng.choice([1, 1, 2, 3]))]
        for given in (None, aliases):
            made = search.document(f"t{n}", members, priorities, given)
            assert as_tuple(made) == original_document(f"t{n}", members, priorities, given)
            slim = [
                {**expected(m, m["changed_at"]), "changed_at": m["changed_at"]} for m in members
            ]
            assert as_tuple(search.document(f"t{n}", slim, priorities, given)) == as_tuple(made)


def rows(keys: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str, str]]:
    return [(*k, "at", f"body of {k[2]}") for k in keys]


def test_rows_out_of_the_order_asked_for_are_read_key_by_key() -> None:
    keys = [("a", "s", "1"), ("b", "s", "2"), ("b", "s", "3"), ("c", "s", "4"), ("d", "s", "5")]
    records = {k: [("at", f"body of {k[2]}")] for k in keys if k[2] != "4"}  # 4: none
    read = records.get
    want = [(k[0], "at", f"body of {k[2]}") for k in keys if k in records]

    def reader(key: tuple[str, str, str]) -> list[index.Row]:
        return read(key) or []

    found = rows([k for k in keys if k in records])
    assert list(index.in_key_order(keys, found, reader)) == want
    shuffled = [found[0], found[2], found[1], found[3]]  # another order: the rest key by key
    assert list(index.in_key_order(keys, shuffled, reader)) == want
    assert list(index.in_key_order(keys, found[:2], reader)) == want  # rows stop early
    assert list(index.in_key_order(keys, [], reader)) == want


def index_rows(path: Path) -> dict[str, list[Any]]:
    db = sqlite3.connect(path)
    try:
        out = {
            t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in ("docs", "facets", "themes", "members", "orgs", "history")
        }
        out["meta"] = db.execute(
            "SELECT * FROM meta WHERE key NOT IN ('at', 'how') ORDER BY key"
        ).fetchall()
        return out
    finally:
        db.close()


def test_a_build_is_the_index_of_every_body_read_in_full(
    published: Published, tmp_path: Path
) -> None:
    data_dir = tmp_path / "copy"
    cfg = config.load(published.copy_to(data_dir))
    state = State(cfg.data_dir)
    try:
        assert search.update(cfg, state, force=True).how == "built"
        built = index_rows(data_dir / "search.sqlite")
        # Every document as the full bodies make it, in token order.
        identities = state.identities()
        bodies = state.record_bodies(sorted(identities))
        groups: dict[str, list[dict[str, Any]]] = {}
        for key in sorted(identities, key=lambda k: (identities[k], k)):
            if key in bodies:
                groups.setdefault(identities[key], []).append(bodies[key])
        priorities = {s.id: s.priority for s in cfg.sources}
        aliases = {iri: c for iri, (c, _) in state.organisation_aliases().items()}
        docs = [search.document(t, m, priorities, aliases) for t, m in sorted(groups.items())]
        assert len(docs) == len(built["docs"]) > 10
        assert [d[1:15] for d in sorted(built["docs"])] == [
            (
                d.token, d.title, d.organisation, d.organisation_name, d.org_key, d.org_kind,
                d.status, d.pubcat, int(d.impact), d.registers, d.modified, d.description,
                d.goal, json.dumps(d.data, ensure_ascii=False, separators=(",", ":")),
            )
            for d in docs
        ]  # fmt: skip
        assert sorted(m for d in docs for m in ((*k, d.token) for k in d.members)) == sorted(
            built["members"]
        )
        db = sqlite3.connect(data_dir / "search.sqlite")
        try:
            # The full-text index holds exactly the documents' texts (FTS5 checks it against
            # the docs table), and answers as an index made row by row does.
            db.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")
            query = "SELECT rowid, rank FROM fts WHERE fts MATCH ? ORDER BY rank, rowid"
            words = ['"gemeente"*', '"parkeer"*', '"algoritme"* "inzet"*']
            answers = [db.execute(query, (w,)).fetchall() for w in words]
            assert any(answers)
            db.execute("DELETE FROM fts_config WHERE k = 'hashsize'")
            db.execute("INSERT INTO fts (fts) VALUES ('rebuild')")
            db.commit()
            assert [db.execute(query, (w,)).fetchall() for w in words] == answers
        finally:
            db.close()
        # Every algorithm moved (as the index sees it): built anew, the same.
        db = sqlite3.connect(data_dir / "search.sqlite")
        db.execute("DELETE FROM members")
        db.commit()
        db.close()
        assert search.update(cfg, state).how == "built"
        assert index_rows(data_dir / "search.sqlite") == built
        # A few changed: patched, to what a build makes of them (under new rowids).
        tokens = sorted(groups)[:: max(1, len(groups) // 4)][:3]
        changed = next(k for k, t in identities.items() if t == tokens[0])
        state.db.execute(
            "INSERT INTO changes (run_id, at, source, native_id, kind) VALUES (?, ?, ?, ?, ?)",
            ("test", "2026-05-01T00:00:00Z", *changed, "update"),
        )
        db = sqlite3.connect(data_dir / "search.sqlite")
        db.executemany("DELETE FROM members WHERE token = ?", [(t,) for t in tokens[1:]])
        db.commit()
        db.close()
        done = search.update(cfg, state)
        assert done.how == "patched" and done.documents == len(tokens)
        assert by_token(data_dir / "search.sqlite", words) == by_token(
            tmp_path / "built.sqlite", words, data_dir / "search.sqlite", cfg, state
        )
    finally:
        state.close()


def by_token(
    path: Path, words: list[str], *build: Any
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """An index's documents, facets, themes and full-text answers, by token (not rowid); with
    ``build`` (the current file, config, state), of a new build beside it first."""
    if build:
        current, cfg, state = build
        shutil.copyfile(current, path.with_name("current.sqlite"))
        search.update(cfg, state, force=True)
        shutil.copyfile(current, path)
        shutil.copyfile(path.with_name("current.sqlite"), current)
    db = sqlite3.connect(path)
    try:
        db.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")
        docs = sorted(r[1:] for r in db.execute("SELECT * FROM docs"))
        facets = sorted(
            db.execute("SELECT d.token, f.* FROM facets f JOIN docs d USING (rowid)").fetchall()
        )
        facets = [(r[0], *r[2:]) for r in facets]
        themes = sorted(
            db.execute("SELECT d.token, t.theme FROM themes t JOIN docs d USING (rowid)")
        )
        answers = [
            sorted(
                db.execute(
                    "SELECT d.token, round(fts.rank, 9) FROM fts "
                    "JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ?",
                    (w,),
                )
            )
            for w in words
        ]
        return docs, facets, themes, answers
    finally:
        db.close()


def test_a_cold_run_builds_from_the_bodies_in_hand_what_state_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish that wrote every record hands the search index the bodies it holds (not
    read back from state): each algorithm's records, cut and ordered as state gives them, and
    the index a build from state makes."""
    handed: list[Any] = []
    read: list[str] = []
    in_hand, from_state = search.records_at_hand, search.records_by_algorithm

    def spy_in_hand(groups: Any, fields: Any) -> Any:
        handed.append(groups)
        read.append("in hand")
        return in_hand(groups, fields)

    def spy_state(*args: Any) -> Any:
        read.append("state")
        return from_state(*args)

    monkeypatch.setattr(search, "records_at_hand", spy_in_hand)
    monkeypatch.setattr(search, "records_by_algorithm", spy_state)
    data_dir = tmp_path / "data"
    with RegisterServer(agency_registers()) as registers:
        path = configure(data_dir, registers)
        run_once(path)
        assert read == ["in hand"]
        cold = index_rows(data_dir / "search.sqlite")
        assert len(cold["docs"]) > 10 and cold["members"]
        run_once(path)  # nothing changed: nothing resolved, nothing handed over
        assert read == ["in hand"]
    cfg = config.load(path)
    state = State(cfg.data_dir)
    try:
        groups = list(in_hand(handed[0], search.FIELDS))
        assert groups == list(from_state(state, search.FIELDS))
        assert any(len(members) > 1 for _, members in groups)
        assert search.update(cfg, state, force=True).how == "built"
    finally:
        state.close()
    assert read == ["in hand", "state"]
    assert index_rows(data_dir / "search.sqlite") == cold


def test_an_index_that_fails_as_it_is_finished_leaves_the_last_one_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is finished on a thread of its own, beside the publish's commit. When that
    fails, the run is still published, the last index stays in place with nothing left
    beside it, and the next update catches up."""
    data_dir = tmp_path / "data"
    finish = index.IndexWriter.finish

    def failing(writer: index.IndexWriter, *args: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with RegisterServer(agency_registers()) as registers:
        path = configure(data_dir, registers)
        run_once(path)
        before = index_rows(data_dir / "search.sqlite")
        doc = json.loads(registers.registers.documents["gemeente-amsterdam.json"].body)
        doc["algoritme_versions"][0]["name"] = "Een nieuwe naam"
        registers.registers.put("gemeente-amsterdam.json", json.dumps(doc).encode("utf-8"))
        monkeypatch.setattr(index.IndexWriter, "finish", failing)
        run_once(path)  # fails the test if the run failed
    assert index_rows(data_dir / "search.sqlite") == before
    assert not (data_dir / "search.sqlite.new").exists()
    monkeypatch.setattr(index.IndexWriter, "finish", finish)
    state = State(data_dir)
    try:
        assert search.update(config.load(path), state).how in ("patched", "built")
    finally:
        state.close()
    titles = {row[2] for row in index_rows(data_dir / "search.sqlite")["docs"]}
    assert "Een nieuwe naam" in titles
    assert "Een nieuwe naam" not in {row[2] for row in before["docs"]}


def test_an_index_whose_thread_cannot_start_is_dropped_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No thread to finish the index on (a container's limit on threads, say): the update
    fails at once and leaves nothing beside the index; it never waits for a finish that was
    never begun."""
    data_dir = tmp_path / "data"
    with RegisterServer(agency_registers()) as registers:
        path = configure(data_dir, registers)
        run_once(path)
    before = index_rows(data_dir / "search.sqlite")
    start = threading.Thread.start

    def refused(thread: threading.Thread) -> None:
        if thread.name.startswith("search-index-finish"):
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", refused)
    outcome: list[BaseException | str] = []

    def update() -> None:
        state = State(data_dir)
        try:
            search.update(config.load(path), state, force=True)
            outcome.append("updated")
        except BaseException as exc:
            outcome.append(exc)
        finally:
            state.close()

    worker = threading.Thread(target=update, daemon=True)
    start(worker)
    worker.join(timeout=60)
    assert not worker.is_alive(), "the update waited for a finish never begun"
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError)
    assert index_rows(data_dir / "search.sqlite") == before
    assert not (data_dir / "search.sqlite.new").exists()
