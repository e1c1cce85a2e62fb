"""The public site over a real server: front page, search (HTML, JSON, CSV alike),
organisations, algorithm pages in words, /void for browsers, grouped harvest logs, and the
search index kept in step with publishing."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from federator import config, search
from federator.publish import snapshot
from federator.sim import RegisterServer
from federator.state import State
from federator.state.search import SearchIndex, match_expression

from .serverkit import Published, agency_registers, configure, run_once

HTML = {"Accept": "text/html"}
BASE = "https://algoritmes.example.org/"


def tokens_of_page(text: str) -> list[str]:
    part = text.split('<ul class="results">', 1)[1].split("</ul>", 1)[0]
    return [chunk.split('"', 1)[0] for chunk in part.split('href="/id/algorithm/')[1:]]


def test_front_page_holds_a_search_box_and_ways_in(client: httpx.Client) -> None:
    page = client.get("/", headers=HTML).text
    assert '<form class="search" method="get" action="/algorithms"' in page
    assert 'name="q"' in page
    assert 'href="/organisations"' in page and 'href="/algorithms?status=' in page
    assert "Recente wijzigingen" in page and 'href="/id/algorithm/' in page


def test_search_finds_by_prefix_without_diacritics_in_relevance_order(
    client: httpx.Client,
) -> None:
    found = client.get("/algorithms", params={"q": "gezichts"}).json()
    titles = [r["title"] for r in found["results"]]
    assert "RNI GEZICHTSSCAN" in titles and "Inzet geautomatiseerde gezichtsvergelijking" in titles
    # 'geïntegreerde' in a description, asked for without its diaeresis.
    found = client.get("/algorithms", params={"q": "geintegreerde"}).json()
    assert "STAIR Assist" in [r["title"] for r in found["results"]]
    # A word in the title ranks before the same word only in the text.
    found = client.get("/algorithms", params={"q": "objectherkenning"}).json()
    assert found["results"][0]["title"].lower().startswith("objectherkenning")


def test_the_json_and_the_csv_are_the_result_of_the_page(client: httpx.Client) -> None:
    params = {"q": "gemeente", "kind": "gemeente", "order": "title", "page": "2"}
    page = client.get("/algorithms", params=params, headers=HTML)
    assert page.status_code == 200
    on_page = tokens_of_page(page.text)
    assert len(on_page) == 20
    data = client.get("/algorithms", params=params, headers={"Accept": "application/json"})
    assert [r["url"].rsplit("/", 1)[1] for r in data.json()["results"]] == on_page
    assert f"{data.json()['total']} resultaten" in page.text
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/algorithms", params={**params, "format": "csv"}).text)
        )
    )
    assert len(rows) == data.json()["total"]
    assert [r["url"].rsplit("/", 1)[1] for r in rows[20:40]] == on_page


def test_facets_count_and_filter(client: httpx.Client) -> None:
    everything = client.get("/algorithms").json()
    organisations = {f["label"]: f for f in everything["facets"]["organisation"]}
    utrecht = organisations["Gemeente Utrecht"]
    assert utrecht["count"] > 1
    only = client.get("/algorithms", params={"organisation": utrecht["value"]}).json()
    assert only["total"] == utrecht["count"]
    assert {r["organisation"]["name"] for r in only["results"]} == {"Gemeente Utrecht"}
    several = {f["value"]: f["count"] for f in everything["facets"]["registers"]}
    assert several.get("2", 0) > 0
    statuses = {f["label"] for f in everything["facets"]["status"]}
    assert "In gebruik" in statuses  # the vocabulary's label, not the IRI


def test_paging_and_english_by_accept_language(client: httpx.Client) -> None:
    page = client.get("/algorithms", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in page.text and "algorithms" in page.text
    assert 'rel="next"' in page.text
    dutch = client.get("/algorithms?lang=nl", headers={**HTML, "Accept-Language": "en"})
    assert '<html lang="nl">' in dutch.text


def test_organisations_and_an_organisation(client: httpx.Client) -> None:
    page = client.get("/organisations", headers=HTML).text
    assert '<a href="/organisations/gm0344">Gemeente Utrecht</a>' in page
    one = client.get("/organisations/gm0344", headers=HTML)
    assert one.status_code == 200
    assert "<h1>Gemeente Utrecht</h1>" in one.text
    assert 'href="/sources/gemeente-utrecht/runs"' in one.text and "%" in one.text
    assert client.get("/organisations/nobody", headers=HTML).status_code == 404


def test_the_algorithm_page_in_words(client: httpx.Client, published: Published) -> None:
    store = snapshot.open_current(published.data_dir)
    assert store is not None
    iri = f"{BASE}id/algorithm/{published.algorithm}"
    titles = [
        q.object.value
        for q in store.quads_for_pattern(
            ox.NamedNode(iri), ox.NamedNode("http://purl.org/dc/terms/title"), None, None
        )
    ]
    records = {
        q.subject.value
        for q in store.quads_for_pattern(
            None, ox.NamedNode("http://xmlns.com/foaf/0.1/primaryTopic"), ox.NamedNode(iri), None
        )
    }
    del store
    page = client.get(f"/id/algorithm/{published.algorithm}", headers=HTML).text
    assert f"<h1>{titles[0]}</h1>" in page  # the unified graph's title
    assert "Gemeente Utrecht" in page and "gm0344" not in page.split("<main", 1)[1].split(
        "Als gegevens"
    )[0].replace("/organisations/gm0344", "")
    assert page.count('role="columnheader"><a href="/sources/') == len(records) >= 2
    assert 'class="differs"' in page or "0 velden verschillen" in page
    assert "Geschiedenis" in page and "toegevoegd" in page
    assert "?format=turtle" in page


def test_void_and_sparql_open_in_a_browser(client: httpx.Client) -> None:
    void = client.get("/void", headers=HTML)
    assert void.status_code == 200 and "<pre><code>" in void.text
    assert (
        client.get("/void", headers={"Accept": "text/turtle"})
        .headers["content-type"]
        .startswith("text/turtle")
    )
    form = client.get("/sparql", headers=HTML).text
    assert "Voorbeeldvragen" in form


def test_harvest_log_groups_warnings_and_links_records(client: httpx.Client) -> None:
    page = client.get("/sources/national/runs", headers=HTML).text
    assert "<details" in page and "missing_recommended</code>: " in page
    warnings = page.split("Waarschuwingen", 1)[1]
    assert '<a href="/id/description/national/' in warnings  # the record in its register
    assert '<a class="small" href="/id/algorithm/' in warnings  # and what it describes
    record = warnings.split('<a href="', 1)[1].split('"', 1)[0]
    assert client.get(record, headers=HTML).status_code == 200


# -- the index -----------------------------------------------------------------------------
def test_match_expression_is_safe_for_any_text() -> None:
    assert match_expression('gezichts"herk* OR (x') == '"gezichts"* "herk"* "OR"* "x"*'
    assert match_expression("  ") is None


def test_the_index_skips_unchanged_runs_and_patches_changed_ones(
    published: Published, tmp_path: Path
) -> None:
    data_dir = tmp_path / "copy"
    cfg = config.load(published.copy_to(data_dir))
    state = State(cfg.data_dir)
    try:
        assert search.update(cfg, state).how == "skipped"
        with SearchIndex(data_dir) as ix:
            before = ix.doc(published.algorithm)
            total = ix.totals()
        # An index that lost one algorithm (as if the publish that made it were missed).
        db = sqlite3.connect(data_dir / "search.sqlite")
        db.execute("DELETE FROM members WHERE token = ?", (published.algorithm,))
        db.commit()
        db.close()
        done = search.update(cfg, state)
        assert done.how == "patched" and done.documents == 1
        with SearchIndex(data_dir) as ix:
            assert ix.doc(published.algorithm) == before
            assert ix.totals() == total
        assert search.update(cfg, state, force=True).how == "built"
    finally:
        state.close()


@pytest.mark.parametrize("path", ["/algorithms", "/organisations"])
def test_json_by_accept(client: httpx.Client, path: str) -> None:
    r = client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("de, en;q=0.5", "en"),
        ("nl-BE, en;q=0.9", "nl"),
        ("en-US,en;q=0.9,nl;q=0.8", "en"),
        ("fr", "nl"),
    ],
)
def test_the_language_of_the_browser(client: httpx.Client, header: str, lang: str) -> None:
    page = client.get("/organisations", headers={**HTML, "Accept-Language": header}).text
    assert f'<html lang="{lang}">' in page


def test_a_retired_algorithm_says_so_in_words(client: httpx.Client, published: Published) -> None:
    page = client.get(
        f"/id/algorithm/{published.retired}", headers={**HTML, "Accept-Language": "en"}
    )
    assert page.status_code == 410
    assert "No register describes this algorithm any more" in page.text


def body(source: str, native: str, modified: str, **values: object) -> dict[str, object]:
    return {
        "source": source,
        "native_id": native,
        "organisation": "https://identifier.overheid.nl/tooi/id/gemeente/gm0344",
        "organisation_name": "gm0344",
        "identity": {"modified": modified},
        "values": values,
    }


def test_a_document_is_the_unified_description() -> None:
    theme = "https://w3id.org/federator/vocab/thema/verkeer"
    members = [
        body("city", "U-1", "2026-01-01", name="Parkeren", category=[theme], iama=True),
        body("national", "1", "2025-01-01", name="Parkeerbeleid", goal="Doel", dpia=False),
    ]
    doc = search.document("t0k", members, {"national": 10, "city": 0})
    assert doc.title == "Parkeerbeleid"  # the higher priority wins
    assert doc.goal == "Doel" and doc.themes == [theme] and doc.impact
    assert doc.registers == 2 and doc.members == [("city", "U-1"), ("national", "1")]
    assert doc.organisation_name == "Gemeente Utrecht"  # the official name, not the code
    assert (doc.org_key, doc.org_kind) == ("gm0344", "gemeente")
    newest = search.document("t0k", members, {})
    assert newest.title == "Parkeren"  # equal priorities: the newest


def test_a_document_is_filed_under_its_reconciled_organisation() -> None:
    minted = "https://algoritmes.example.org/id/organisation/politie"
    tooi = "https://identifier.overheid.nl/tooi/id/oorg/oorg99999"
    member = {**body("politie", "POL-1", "2026-01-01", name="Cameratoezicht")}
    member["organisation"], member["organisation_name"] = minted, "Politie"
    assert search.document("t0k", [member], {}).organisation == minted
    doc = search.document("t0k", [member], {}, {minted: tooi})
    assert (doc.organisation, doc.org_key) == (tooi, "oorg99999")  # as the graph names it


def test_a_query_in_a_browser_is_a_table_with_downloads(client: httpx.Client) -> None:
    query = "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Catalog> } ORDER BY ?s"
    page = client.get("/sparql", params={"query": query}, headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<table>" in page.text and 'href="/id/catalog' in page.text
    assert "format=csv" in page.text and "format=json" in page.text
    wrong = client.get("/sparql", params={"query": "SELEKT nothing"}, headers=HTML)
    assert wrong.status_code == 400 and 'role="alert"' in wrong.text
    # Machines get what they ask for, as before.
    data = client.get("/sparql", params={"query": query, "format": "json"}, headers=HTML)
    assert data.headers["content-type"].startswith("application/sparql-results+json")


def test_the_index_follows_each_publish(tmp_path: Path) -> None:
    """A register renames an algorithm: the next run's publish patches the index (no full
    build), and search finds the new name, not the old one; a run without changes skips."""
    registers = agency_registers()
    with RegisterServer(registers) as server:
        path = configure(tmp_path / "data", server)
        run_once(path)
        cfg = config.load(path)
        with SearchIndex(cfg.data_dir) as ix:
            assert ix.meta()["how"] == "built"
            _, docs, _ = ix.search("", {"organisation": ["gm0363"]}, "title", 200, 0)
        only = next(
            d for d in docs if {s for s, _ in d["data"]["members"]} == {"gemeente-amsterdam"}
        )
        native = only["data"]["members"][0][1]
        doc = json.loads(registers.documents["gemeente-amsterdam.json"].body)
        for rec in doc["algoritme_versions"]:
            if rec["source_id"] == native:
                rec["name"] = "Straatverlichting in kaart (zeldzaamwoord)"
        registers.put("gemeente-amsterdam.json", json.dumps(doc).encode("utf-8"))
        run_once(path)
        with SearchIndex(cfg.data_dir) as ix:
            assert ix.search("zeldzaamwoord", {}, "relevance", 5, 0)[0] == 1
            assert ix.meta()["how"] == "patched"
        state = State(cfg.data_dir)
        try:
            assert search.update(cfg, state).how == "skipped"
        finally:
            state.close()


def test_paging_links_lead_to_the_next_page(client: httpx.Client) -> None:
    first = client.get("/algorithms", params={"kind": "gemeente"}, headers=HTML).text
    link = first.split('rel="next"', 1)[0].rsplit('<a href="', 1)[1].split('"', 1)[0]
    link = link.replace("&amp;", "&")
    assert "page=2" in link and "kind=gemeente" in link
    second = client.get(link, headers=HTML).text
    assert tokens_of_page(second) and not set(tokens_of_page(second)) & set(tokens_of_page(first))
    assert 'aria-current="page">2<' in second
