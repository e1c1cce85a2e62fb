"""The record work's output, pinned: every record body (as state stores it, byte for byte),
content digest and issue that ``mapvalidate.run`` makes of the vendored registers, compared
with ``data/golden.json``, written by the code before the mapping and validation were made
faster. Any change in what a register maps to shows here, by source and native id.

The registers: the national API records of both development scenarios, every decentral
register of them (CSV and JSON, standard 0.1 and 1.0), the onboarded layouts (a renamed
spreadsheet CSV, UK ATRS JSON, schema.org JSON-LD), the hostile registers, the standard's
example records, and ``SYNTHETIC``: language copies, duplicates, rejected records, language
values and text with every kind of character N-Triples escapes.

To write ``data/golden.json`` again (only when a change of output is meant; say so in the
commit), from the repository root::

    PYTHONPATH=tests .venv/bin/python tests/map/test_golden.py
"""

from __future__ import annotations

import gc
import hashlib
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from helpers import DATA, REPO

from federator import codec, harvest, mapvalidate
from federator.config import SourceConfig
from federator.harvest import Harvested
from federator.map import spec
from federator.map.mapper import raw_records
from federator.vocab import Minter

GOLDEN = Path(__file__).resolve().parent / "data" / "golden.json"
MINTER = Minter("https://algoritmes.example.org/")
DEV, HARD, REGISTERS = DATA / "federation-dev", DATA / "federation-dev-hard", DATA / "registers"

# Text with what N-Triples escapes or must keep: quotes, backslashes, control characters (a
# tab, new lines, a bell, DEL), noncharacters, a line separator, non-BMP characters, markup.
HOSTILE_TEXT = (
    'Een "naam" met \\ backslash\t tab \x07 bel \x7f del \x1f us \ufffe \uffff nc \u2028 ls '
    "\U0001f600 emoji \U00010348 gothic é ß 中文 \ufffd"
)
SYNTHETIC: list[dict[str, Any]] = [
    {
        "lars": "10000001",
        "name": "Eerste registratie",
        "organization": "Gemeente Utrecht",
        "org_id": "gm0344",
        "language": "NLD",
        "description_short": HOSTILE_TEXT,
        "description": "<p>Alinea één</p><p>Alinea&nbsp;twee &amp; drie</p>\r\n  <br>regel",
        "goal": "doel\x00nul en \x0b vt en \x0c ff en \r cr",
        "status": "In gebruik",
        "category": "Werk; Zorg en gezondheid, Onbekend thema",
        "begin_date": "maart 2024",
        "end_date": "31-12-2025",
        "contact_email": "mailto:info@example.org",
        "website": "www.example.org/pagina",
        "publication_category": "b) impactvolle algoritmes",
        "iama": "ja",
        "dpia": "misschien",
        "tags": ["één", "twee", "", "drie\\vier"],
        "provider": 'Leverancier "B.V."',
        "lawful_basis_grouping": [
            {"title": "Wet A", "link": "https://wetten.overheid.nl/A"},
            {"title": "Wet B", "link": "geen link"},
        ],
        "impacttoetsen_grouping": [{"title": "IAMA", "link": "https://example.org/iama"}],
        "create_dt": "2024-05-06T07:08:09",
    },
    {  # its English copy: one record with texts in both languages
        "lars": "10000001",
        "name": "First registration",
        "organization": "Gemeente Utrecht",
        "language": "ENG",
        "description_short": "English \U0001f600 text with a \"quote\" and a '\\'",
        "status": "In use",
        "create_dt": "2024-05-06T07:08:09",
    },
    {  # a repeat: dropped, named as a duplicate
        "lars": "10000001",
        "name": "Eerste registratie (nogmaals)",
        "organization": "Gemeente Utrecht",
        "language": "NLD",
    },
    {  # the English copy comes first: the Dutch one still leads
        "lars": "10000002",
        "name": "Second one",
        "organization": "Gemeente Amersfoort",
        "language": "ENG",
        "status": "Out of use",
    },
    {
        "lars": "10000002",
        "name": "Tweede",
        "organization": "Gemeente Amersfoort",
        "language": "NLD",
        "status": "buiten gebruik",
        "website": "https://example.org/{x}",
        "begin_date": "2023-13",
    },
    {  # language values, as read from RDF or JSON-LD
        "source_id": "S-3",
        "name": [
            {"@value": "Naam in het Engels", "@language": "EN-GB"},
            {"@value": "Naam", "@language": "nl"},
        ],
        "organization": {"name": "Provincie Utrecht", "url": "https://example.org/pu"},
        "description_short": {"@value": "Alleen Engels", "@language": "en"},
        "tags": "a, b; c\nd",
        "iama": True,
        "dpia": False,
    },
    {  # identity values are written as they are, not tidied: every escape shows there
        "source_id": 'S-7\tmet "tab" \\ \x01 \x7f \r\n \U0001f600',
        "name": "Tab in de id",
        "organization": 'Gemeente\tVoorbeeld "\\" \x1f',
    },
    {"source_id": "S-4", "name": "", "organization": "Gemeente Utrecht"},  # rejected: no name
    {"name": "Zonder id", "organization": "Gemeente Utrecht"},  # a minted native id
    {"lars": "", "source_id": "", "name": "Zonder organisatie"},  # rejected in a 'many' register
    {
        "source_id": "S-6",
        "name": "X" * 150,
        "organization": "Andere Organisatie",
        "description_short": "lang " * 120,
        "documentation": "https://example.org/a\\b",
        "application_url": "ftp://example.org/x",
        "publiccode": "https://example.org/`x`",
    },
]
# Values the UK ATRS mapping's value maps do not name, or name in another case.
SYNTHETIC_ATRS: list[dict[str, Any]] = [
    {
        "id": "atrs-x1",
        "name": "Unknown function",
        "organisation": {"name": "Example Borough Council", "url": "https://example.org.uk"},
        "tier_1": {"function": "Space travel", "phase": "Retired", "website": "not a link"},
    },
    {
        "id": "atrs-x2",
        "name": "Two functions",
        "organisation": {"name": "Other Council"},
        "tier_1": {"function": ["Health", "Unknown"], "phase": "  production "},
    },
]


def _source(sid: str, fmt: str, path: Path, org: str | None = None, **more: Any) -> Any:
    return SourceConfig(sid, sid, "municipal", fmt, str(path), org, **more), path


def _scenario(folder: Path, prefix: str) -> list[tuple[SourceConfig, Path]]:
    out = []
    for s in json.loads((folder / "sources.json").read_text("utf-8")):
        org = s.get("org_id") or s.get("organisation")
        out.append(_source(f"{prefix}-{s['id']}", s["format"], folder / s["path"], org))
    return out


def sources() -> list[tuple[SourceConfig, Path | None]]:
    """Every register of the golden run, with where its document is (None: ``SYNTHETIC``)."""
    hostile = DATA / "hostile"
    return [
        *_scenario(DEV, "dev"),
        *_scenario(HARD, "hard"),
        _source(
            "sheet",
            "csv",
            REGISTERS / "gemeente-spreadsheet" / "algoritmes.csv",
            "gm0344",
            mapping=REGISTERS / "gemeente-spreadsheet" / "mapping.yaml",
        ),
        _source(
            "atrs",
            "json",
            REGISTERS / "uk-atrs" / "records.json",
            mapping=REPO / "mappings" / "uk-atrs.yaml",
            language="en",
        ),
        _source(
            "schema",
            "rdf",
            REGISTERS / "schema-org" / "register.jsonld",
            mapping=REPO / "mappings" / "schema-org.yaml",
        ),
        _source("hostile-json", "algoritmeregister-json", hostile / "register.json", "gm0344"),
        _source("hostile-csv", "algoritmeregister-csv", hostile / "register.csv", "gm0344"),
        _source("hostile-rdf", "rdf", hostile / "register.ttl", "gm0344"),
        _source("good", "algoritmeregister-json", hostile / "good.json", "gm0363"),
        _source("full", "algoritmeregister-json", DATA / "records" / "standard-1.0-full.json"),
        _source("v01", "algoritmeregister-json", DATA / "records" / "standard-0.1.json", "pv26"),
        _source("records-rdf", "rdf", DATA / "records" / "register.ttl", "gm0344"),
        (SourceConfig("synthetic", "Synthetic", "national", "algoritmeregister-api", "x"), None),
        (
            SourceConfig(
                "synthetic-own", "S", "municipal", "algoritmeregister-json", "x", "gm0344"
            ),
            None,
        ),
        (
            SourceConfig(
                "synthetic-atrs",
                "A",
                "national",
                "json",
                "x",
                mapping=REPO / "mappings" / "uk-atrs.yaml",
            ),
            None,
        ),
    ]


def harvested(source: SourceConfig, path: Path | None) -> Harvested:
    """The records as the harvest reads them (its own reader for the format)."""
    result = Harvested(source.id, [])
    if path is None:
        result.records = [dict(r) for r in (SYNTHETIC_ATRS if "atrs" in source.id else SYNTHETIC)]
    else:
        harvest._read_into(source, result, path.read_bytes(), "", str(path))
    return result


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def outcome(source: SourceConfig, path: Path | None) -> dict[str, Any]:
    """What the record work made of one register, compactly: per body its native id and the
    hash of its stored form; the issues' codes and one hash of them all."""
    mapping = spec.load(source.mapping or spec.builtin_path(source.format))
    batch = mapvalidate.run(source, harvested(source, path), mapping, MINTER, {})
    bodies = []
    for body in batch.bodies:
        stored = codec.body_json(batch.packed[body["native_id"]])
        assert isinstance(stored, bytes)
        assert json.loads(stored) == body  # the stored form is the body, nothing else
        bodies.append(f"{body['native_id']} {_hash(stored)}")  # the body holds the digest
    # A message may name the mapping file by its path: the same wherever the clone is.
    issues = [
        codec.dumps(i, sort_keys=True).replace(str(REPO).encode(), b"<repo>") for i in batch.issues
    ]
    return {
        "bodies": bodies,
        "rejected": batch.rejected,
        "duplicates": [list(d) for d in batch.duplicates],
        "issue_codes": dict(sorted(Counter(i["code"] for i in batch.issues).items())),
        "issues": _hash(b"\n".join(issues)),
    }


@cache
def everything() -> dict[str, dict[str, Any]]:
    return {source.id: outcome(source, path) for source, path in sources()}


def test_every_body_digest_and_issue_is_as_before() -> None:
    golden = json.loads(GOLDEN.read_text("utf-8"))
    now = everything()
    assert sorted(now) == sorted(golden)
    for sid, was in golden.items():
        got = now[sid]
        changed = sorted(set(got["bodies"]) ^ set(was["bodies"]))
        assert not changed, f"{sid}: bodies differ: {changed[:6]}"
        assert got == was, sid


def test_the_golden_run_covers_what_it_should() -> None:
    """Many records, language copies merged, duplicates and rejections: the golden file pins
    every path of the record work, not only the plain one."""
    now = everything()
    assert sum(len(o["bodies"]) for o in now.values()) > 1500
    assert now["synthetic"]["duplicates"] and now["synthetic"]["rejected"]
    codes = Counter[str]()
    for o in now.values():
        codes.update(o["issue_codes"])
    for code in (
        "missing_name",
        "duplicate_id",
        "too_long",
        "missing_recommended",
        "invalid_link",
        "unknown_status",
        "unparsed_date",
        "unknown_theme",
        "foreign_organisation",
        "unreadable_characters",
        "unmapped_value",
    ):
        assert codes[code], code


def test_the_record_work_leaves_nothing_for_the_garbage_collector() -> None:
    """A worker turns the collector off for its part (``mapvalidate.part_step``): mapping and
    validating the registers makes nothing that only the collector would free."""
    work = []
    for source, path in sources():
        mapping = spec.load(source.mapping or spec.builtin_path(source.format))
        work.append((source, raw_records(harvested(source, path), mapping), mapping))
    gc.collect()
    gc.disable()
    try:
        for source, records, mapping in work:
            assert mapvalidate.map_and_validate(source, records, mapping, MINTER).bodies
        assert gc.collect() == 0
    finally:
        gc.enable()


def write() -> None:
    GOLDEN.parent.mkdir(exist_ok=True)
    text = json.dumps(everything(), indent=0, ensure_ascii=False, sort_keys=True)
    GOLDEN.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(text):,} characters)")


if __name__ == "__main__":
    sys.exit(write())
