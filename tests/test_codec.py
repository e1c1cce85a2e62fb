"""State's compact forms: record bodies and unified blocks, and what older versions wrote."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from federator import codec
from federator.state import RECORD_COLUMNS, State

BODY = {
    "source": "national",
    "native_id": "12345678",
    "values": {"name": 'Parkeer"scan" – ĳzel', "description_short": "regel één\nregel twee"},
    "nt": {"name": '<https://x.example/a> <http://purl.org/dc/terms/title> "P\\"s" .\n'},
    "warnings": [],
    "first_seen": "2026-01-01T00:00:00Z",
    "changed_at": "2026-02-01T00:00:00Z",
}


def test_a_body_comes_back_as_it_was_without_its_dates() -> None:
    packed = codec.pack_body(BODY)
    assert isinstance(packed, bytes)
    back = codec.unpack_body(packed)
    assert back == {k: v for k, v in BODY.items() if k not in ("first_seen", "changed_at")}


def test_packing_makes_a_repetitive_body_smaller() -> None:
    body = {**BODY, "nt": {f"f{i}": BODY["nt"]["name"] * 20 for i in range(10)}}
    plain = json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert len(codec.pack_body(body)) < len(plain) / 3


def test_text_round_trip_and_plain_text_of_older_versions() -> None:
    text = '<https://x.example/a> <http://purl.org/dc/terms/title> "één" .\n'
    texts = [text, "", text * 50]
    packed = codec.pack_texts([t.encode("utf-8") for t in texts])
    assert [codec.unpack_text(p) for p in packed] == texts
    assert codec.unpack_text(text) == text


def test_state_reads_rows_that_an_older_version_wrote_as_plain_json(tmp_path: Path) -> None:
    state = State(tmp_path)
    stored = {k: v for k, v in BODY.items() if k not in ("first_seen", "changed_at")}
    legacy = {**stored, "organisation": "https://org.example/o", "organisation_name": "O"}
    state.db.execute(
        f"INSERT INTO records ({RECORD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
        (
            "national",
            "12345678",
            "d1",
            BODY["first_seen"],
            BODY["changed_at"],
            json.dumps(legacy, ensure_ascii=False),  # text, as before bodies were packed
            "https://org.example/o",
            "O",
        ),
    )
    state.db.execute(
        "INSERT INTO unified_blocks (token, organisation, text) VALUES (?, ?, ?)",
        ("tok", "https://org.example/o", "x .\n"),
    )
    assert state.records("national")["12345678"]["body"] == legacy
    body = state.record_bodies([("national", "12345678")])[("national", "12345678")]
    assert body["first_seen"] == BODY["first_seen"] and body["values"] == BODY["values"]
    assert state.unified_block_texts() == {"tok": "x .\n"}
    state.close()


def test_dumps_is_json_with_sorted_keys_on_request() -> None:
    value = {"b": [1, 'é\n"x"'], "a": {"d": None, "c": 1.5}}
    assert json.loads(codec.dumps(value)) == value
    assert codec.dumps(value, sort_keys=True) == codec.dumps(dict(reversed(value.items())), True)
    assert codec.dumps(value, sort_keys=True).startswith(b'{"a":{"c":1.5,"d":null}')


def test_a_lone_surrogate_from_a_half_escaped_emoji_survives() -> None:
    # json.loads accepts "\ud83d" alone; orjson refuses to write it, and it is not UTF-8.
    value = {"name": "Parkeren \ud83d", "tags": {"x"}}
    assert json.loads(codec.dumps(value, sort_keys=True)) == {**value, "tags": "{'x'}"}
    body = {**BODY, "values": {"name": "Parkeren \ud83d"}}
    assert codec.unpack_body(codec.pack_body(body))["values"] == body["values"]


def test_an_integer_beyond_64_bits_survives_exactly() -> None:
    # orjson refuses it (and would read it back as a float): the standard library takes over.
    body = {**BODY, "values": {"number": 2**70}}
    assert codec.unpack_body(codec.pack_body(body))["values"]["number"] == 2**70
    assert json.loads(codec.dumps({"n": 2**70}, sort_keys=True)) == {"n": 2**70}


def test_a_spool_gives_each_value_back_once(tmp_path: Path) -> None:
    spool = codec.Spool(tmp_path)
    spool.put_all({"a": b"first", "b": b"second", "e": b""})
    assert spool.pop("a") == b"first"
    spool.put_all({"c": b"after a read"})  # written at the end, not where the read stopped
    assert spool.pop("b") == b"second" and spool.pop("c") == b"after a read"
    assert spool.pop("e") == b""
    assert spool.pop("a") is None and spool.pop("unknown") is None
    assert list(tmp_path.iterdir()) == []  # the file has no name
    spool.close()


def test_blocks_an_older_version_kept_without_digests_are_rebuilt_not_patched(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / "state.sqlite") as db:  # the table as it was before digests
        db.execute(
            "CREATE TABLE unified_blocks (token TEXT PRIMARY KEY, organisation TEXT NOT NULL, "
            "text TEXT NOT NULL)"
        )
        db.execute("INSERT INTO unified_blocks VALUES ('tok', 'https://org.example/o', 'x .\n')")
    db.close()
    state = State(tmp_path)
    assert state.unified_block_digests() == {"tok": None}
    assert not state.has_unified_blocks()  # the next publish is a full one
    state.db.execute("UPDATE unified_blocks SET digest = 'd'")
    assert state.has_unified_blocks()
    state.close()
