"""Hostile registers on loopback: a bad value is a warning on its record, never a failed run.

The registers under ``tests/data/hostile`` carry links the store refuses as IRIs (``{x}``,
``|``, a backtick, ``^``, a backslash), an e-mail address with a quote, lone surrogates (as
JSON and Turtle escapes) and control characters, beside ordinary records; a good register and
the national API are harvested in the same run. Before, any one of them failed the publish of
every source, or crashed ``run --once`` while it recorded the failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from helpers import DATA, write_config
from rdflib import Literal, URIRef

from federator import config
from federator.config import SourceConfig
from federator.demo import CONTRACT_QUERY
from federator.harvest import Harvested, readers
from federator.map import nt, spec
from federator.map.mapper import map_records, record_body
from federator.pipeline import Federator, RunReport
from federator.publish import snapshot
from federator.query import run_query
from federator.sim import Registers, RegisterServer
from federator.state import State
from federator.vocab import REG, Minter

HOSTILE = DATA / "hostile"
MINTER = Minter("https://algoritmes.example.org/")
U = "\ufffd"  # what reading puts in place of what no text may hold
NATIONAL = [
    {
        "lars": "12345678",
        "name": "Landelijk \ud800 algoritme",  # served as the escape "\ud800"
        "organization": "Gemeente Utrecht",
        "description_short": "Een omschrijving.",
        "website": "https://example.org/{landelijk}",
        "language": "NLD",
    }
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Federator, RunReport]]:
    tmp = tmp_path_factory.mktemp("hostile")
    with RegisterServer(Registers()) as server:
        server.registers.api_records = NATIONAL
        for name in ("register.json", "register.csv", "register.ttl", "good.json"):
            server.registers.put(name, (HOSTILE / name).read_bytes())

        def source(sid: str, fmt: str, name: str) -> dict[str, str]:
            url = server.file_url(name)
            return {"id": sid, "title": sid, "level": "municipal", "format": fmt, "url": url}

        sources: list[dict[str, Any]] = [
            {
                "id": "national",
                "title": "Algoritmeregister",
                "level": "national",
                "format": "algoritmeregister-api",
                "url": server.api_url,
            },
            source("hostile-json", "algoritmeregister-json", "register.json"),
            source("hostile-csv", "algoritmeregister-csv", "register.csv"),
            source("hostile-rdf", "rdf", "register.ttl"),
            source("good", "algoritmeregister-json", "good.json"),
        ]
        for s in sources[1:]:
            s["organisation"] = "gm0344" if s["id"] != "good" else "gm0363"
        fed = Federator(config.load(write_config(tmp / "f.yaml", sources)))
        report = fed.run_once()
        yield fed, report
        fed.close()


def warnings(fed: Federator, rep: RunReport, source: str) -> set[tuple[str, str, str, str]]:
    return {
        (i["native_id"], i["code"], i["field"], i["value"])
        for i in State(fed.config.data_dir).issues(source, rep.run_id)
        if i["severity"] == "warning"
    }


def published(fed: Federator) -> ox.Store:
    store = snapshot.open_current(fed.config.data_dir)
    assert store is not None
    return store


def literals(fed: Federator, source: str) -> set[str]:
    """Every literal's text in a source's own graph."""
    graph = ox.NamedNode(fed.minter.source_graph(source))
    return {
        q.object.value
        for q in published(fed).quads_for_pattern(None, None, None, graph)
        if isinstance(q.object, ox.Literal)
    }


def assert_kept_as_text(
    run: tuple[Federator, RunReport], code: str, source: str, native: str, field: str, value: str
) -> None:
    """The value is published as it is, as text in its source's graph, and its record carries
    the warning ``code`` about it."""
    fed, rep = run
    assert (native, code, field, value) in warnings(fed, rep, source)
    assert value in literals(fed, source)


def test_every_source_and_every_record_publishes(run: tuple[Federator, RunReport]) -> None:
    fed, rep = run
    assert rep.exit_code == 0, {s: r.error for s, r in rep.sources.items()}
    assert {s: r.outcome for s, r in rep.sources.items()} == dict.fromkeys(
        ("national", "hostile-json", "hostile-csv", "hostile-rdf", "good"), "synced"
    )
    rows = {(r["source"].value, r["id"].value) for r in run_query(published(fed), CONTRACT_QUERY)}
    assert rows == {
        ("national", "12345678"),
        *(("hostile-json", f"H-{i}") for i in (1, 2, 3, 4, 5, 7, 8, 9)),
        ("hostile-json", f"H-6{U}"),  # a lone surrogate in the native id itself
        ("hostile-csv", "C-1"),
        ("hostile-csv", "C-2"),
        ("hostile-rdf", "R-1"),
        ("good", "G-1"),
    }


@pytest.mark.parametrize(
    ("source", "native", "field", "value"),
    [
        ("hostile-json", "H-1", "website", "https://example.org/{x}"),
        ("hostile-json", "H-2", "website", "https://example.org/a|b"),
        ("hostile-json", "H-3", "website", "https://example.org/`x`"),
        ("hostile-json", "H-8", "url", "https://example.org/a^b"),
        ("hostile-json", "H-8", "documentation", "https://example.org/a\\b"),
        ("hostile-csv", "C-1", "website", "https://example.org/{c}"),
        ("hostile-rdf", "R-1", "website", "https://example.org/{r}"),
        ("national", "12345678", "website", "https://example.org/{landelijk}"),
    ],
)
def test_a_link_the_store_refuses_is_kept_as_text_with_a_warning(
    run: tuple[Federator, RunReport], source: str, native: str, field: str, value: str
) -> None:
    assert_kept_as_text(run, "invalid_link", source, native, field, value)


def test_an_email_address_the_store_refuses_is_kept_as_text_with_a_warning(
    run: tuple[Federator, RunReport],
) -> None:
    assert_kept_as_text(
        run, "invalid_contact", "hostile-json", "H-4", "contact_email", 'a"b@example.org'
    )
    fed, _ = run
    # The ordinary record's link and address are IRIs, as ever.
    graph = ox.NamedNode(fed.minter.source_graph("hostile-json"))
    objects = {q.object for q in published(fed).quads_for_pattern(None, None, None, graph)}
    assert ox.NamedNode("mailto:info@example.org") in objects
    assert ox.NamedNode("https://example.org/gewoon") in objects


def test_everything_the_store_holds_passes_the_full_check(
    run: tuple[Federator, RunReport],
) -> None:
    """The store loads without checking IRIs and language tags again (``lenient``): ``terms``
    checked them as they were written. What it holds after the hostile registers still
    parses with every check on."""
    fed, _ = run
    store = published(fed)
    dump = store.dump(format=ox.RdfFormat.N_QUADS)
    assert len(list(ox.parse(dump, format=ox.RdfFormat.N_QUADS))) == len(store) > 0


@pytest.mark.parametrize(
    ("source", "native", "field", "value"),
    [
        ("hostile-json", "H-5", "name", f"Naam {U} met een losse surrogaat"),
        ("hostile-json", "H-7", "goal", f"doel{U} met {U}[31m escape"),
        ("hostile-csv", "C-1", "name", f"Stuurteken{U} in CSV"),
        ("hostile-csv", "C-1", "description_short", f"Een bel{U} en een{U} verticale tab"),
        ("hostile-rdf", "R-1", "name", f"Losse surrogaat {U} in RDF"),
        ("hostile-rdf", "R-1", "description_short", f"Een korte omschrijving{U}."),
        ("national", "12345678", "name", f"Landelijk {U} algoritme"),
    ],
)
def test_what_no_text_may_hold_is_replaced_and_named_on_its_record(
    run: tuple[Federator, RunReport], source: str, native: str, field: str, value: str
) -> None:
    assert_kept_as_text(run, "unreadable_characters", source, native, field, value)


def test_the_run_is_recorded_whatever_the_text(run: tuple[Federator, RunReport]) -> None:
    fed, rep = run
    state = State(fed.config.data_dir)
    for sid in rep.sources:
        runs = state.source_runs(sid)
        assert [r["outcome"] for r in runs] == ["synced"], sid
    # The agency reads the warning in both languages, naming the field and the value.
    issue = next(
        i
        for i in state.issues("hostile-json", rep.run_id)
        if i["native_id"] == "H-5" and i["code"] == "unreadable_characters"
    )
    assert issue["message_en"].startswith(f"'name' (\"Naam\") value 'Naam {U} met")
    assert issue["message_nl"].startswith(f"'name' (\"Naam\") waarde 'Naam {U} met")


def test_the_good_register_is_untouched(run: tuple[Federator, RunReport]) -> None:
    fed, rep = run
    assert {w[1] for w in warnings(fed, rep, "good")} == {"missing_recommended"}
    assert "Goed" in literals(fed, "good")


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("website", "https://example.org/{x}"),
        ("website", "https://example.org/a|b"),
        ("website", "https://example.org/`x`"),
        ("contact_email", 'a"b@example.org'),
        ("name", "\ud800"),
    ],
)
def test_one_bad_value_fails_no_source(tmp_path: Path, field: str, raw: str) -> None:
    """Each value of the issue alone, in a register beside a good one: both publish."""
    record = {"source_id": "X-1", "name": "Naam", "organization": "Gemeente Utrecht"}
    record[field] = raw
    with RegisterServer(Registers()) as server:
        server.registers.put("bad.json", json.dumps([record]).encode())
        server.registers.put("good.json", (HOSTILE / "good.json").read_bytes())
        sources = [
            {"id": sid, "title": sid, "level": "municipal", "organisation": org}
            | {"format": "algoritmeregister-json", "url": server.file_url(f"{sid}.json")}
            for sid, org in (("bad", "gm0344"), ("good", "gm0363"))
        ]
        fed = Federator(config.load(write_config(tmp_path / "f.yaml", sources)))
        try:
            rep = fed.run_once()
        finally:
            fed.close()
    assert {s: r.outcome for s, r in rep.sources.items()} == {"bad": "synced", "good": "synced"}
    codes = {w[1] for w in warnings(fed, rep, "bad")}
    assert codes & {"invalid_link", "invalid_contact", "unreadable_characters"}


# -- reading --------------------------------------------------------------------------------
def test_json_reading_replaces_lone_surrogates_and_control_characters_in_keys_and_values() -> None:
    body = json.dumps([{"na\ud800me": "a\udc00b", "ok": ["x\u0001", "tab\tnew\nline\r"]}])
    assert readers.read_json("t", body.encode(), "") == [
        {f"na{U}me": f"a{U}b", "ok": [f"x{U}", "tab\tnew\nline\r"]}
    ]
    # A surrogate pair is one character, not two halves.
    assert readers.read_json("t", b'["\\ud83d\\ude00"]', "") == ["\U0001f600"]
    # A raw control character in a string (which strict JSON refuses) costs the register
    # nothing but that character; a raw tab stays a tab.
    assert readers.read_json("t", b'[{"name": "a\x07b\tc"}]', "") == [{"name": f"a{U}b\tc"}]


def test_csv_and_rdf_reading_replace_control_characters() -> None:
    rows = readers.read_csv("t", (HOSTILE / "register.csv").read_bytes(), "")
    assert rows[0]["name"] == f"Stuurteken{U} in CSV"
    graph = readers.read_rdf("t", (HOSTILE / "register.ttl").read_bytes(), "text/turtle", "x")
    texts = {str(o) for o in graph.objects()}
    assert f"Losse surrogaat {U} in RDF" in texts
    assert not any(readers.ODD.search(t) for t in texts)


# -- mapping --------------------------------------------------------------------------------
def test_a_mapping_that_writes_links_without_the_link_transform_is_checked_too(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "extends: algoritmeregister.yaml\n"
        "fields:\n"
        "  website:\n"
        "    label: {nl: Website, en: Website}\n"
        "    property: dcat:landingPage\n"
        "    transforms: [text]\n"
        "    value: iri\n"
        "    fallback: reg:websiteText\n",
        encoding="utf-8",
    )
    src = SourceConfig("s", "S", "municipal", "algoritmeregister-json", "x", "gm0344")
    records = [{"source_id": "M-1", "name": "N", "website": "https://example.org/{x}"}]
    result = map_records(src, Harvested("s", [], records=records), spec.load(path), MINTER)
    (rec,) = result.records
    assert ("website", "invalid_link", "https://example.org/{x}") in rec.warnings
    assert (
        URIRef(rec.subject),
        REG.websiteText,
        Literal("https://example.org/{x}", lang="nl"),
    ) in [nt.rdf_triple(t) for t in rec.statements["website"]]
    body = record_body(rec, [])
    ox.parse("".join(body["nt"].values()).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
