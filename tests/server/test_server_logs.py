"""Harvest logs over HTTP: JSON for machines, HTML pages that source agencies can read."""

from __future__ import annotations

import html

import httpx

from .serverkit import MARKUP, MARKUP_STATUS, NAMELESS

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def runs_of(client: httpx.Client, source: str) -> list[dict[str, object]]:
    r = client.get(f"/sources/{source}/runs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    runs: list[dict[str, object]] = r.json()["runs"]
    return runs


def test_runs_are_listed_newest_first(client: httpx.Client) -> None:
    runs = runs_of(client, "gemeente-amsterdam")
    assert len(runs) == 2
    assert [r["outcome"] for r in runs] == ["synced", "synced"]
    assert str(runs[0]["run_id"]) > str(runs[1]["run_id"])
    assert runs[1]["stats"]["added"] == 19  # type: ignore[index]
    assert runs[0]["stats"]["unchanged"] == 19  # type: ignore[index]


def test_one_run_in_full_says_what_was_rejected_and_why(client: httpx.Client) -> None:
    first = runs_of(client, "gemeente-amsterdam")[-1]["run_id"]
    r = client.get(f"/sources/gemeente-amsterdam/runs/{first}")
    assert r.status_code == 200
    run = r.json()
    assert run["outcome"] == "synced"  # rejected records do not fail the source
    assert run["stats"]["fetched"] == 20 and run["stats"]["rejected"] == 1
    assert run["statuses"] == {"200": 1}
    [rejected] = run["rejected"]
    assert rejected["native_id"] == NAMELESS
    assert rejected["code"] == "missing_name"
    assert rejected["field"] == "name"
    assert "no name" in rejected["message_en"] and "geen naam" in rejected["message_nl"]
    assert any(w["native_id"] == MARKUP for w in run["warnings"])


def test_agency_page_shows_the_rejected_record_in_dutch_and_english(client: httpx.Client) -> None:
    first = runs_of(client, "gemeente-amsterdam")[-1]["run_id"]
    issue = client.get(f"/sources/gemeente-amsterdam/runs/{first}").json()["rejected"][0]
    r = client.get(f"/sources/gemeente-amsterdam/runs/{first}", headers={"Accept": BROWSER})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="nl">' in page
    assert NAMELESS in page
    assert "missing_name" in page  # the rule
    assert html.escape(issue["message_nl"]) in page
    assert html.escape(issue["message_en"]) in page
    assert "Geweigerde registraties (1)" in page
    assert "?lang=en" in page  # a link to the English page
    english = client.get(
        f"/sources/gemeente-amsterdam/runs/{first}",
        params={"lang": "en"},
        headers={"Accept": BROWSER},
    ).text
    assert '<html lang="en">' in english and "Rejected registrations (1)" in english
    assert NAMELESS in english


def test_log_page_has_a_table_of_runs_then_the_latest_run(client: httpx.Client) -> None:
    runs = runs_of(client, "gemeente-amsterdam")
    page = client.get("/sources/gemeente-amsterdam/runs", headers={"Accept": BROWSER}).text
    assert "Oogstlogboek van Algoritmeregister gemeente Amsterdam (demo)" in page
    for run in runs:
        assert f"/sources/gemeente-amsterdam/runs/{run['run_id']}" in page
    assert page.index(str(runs[0]["run_id"])) < page.index(str(runs[1]["run_id"]))
    assert "De laatste oogst in detail" in page
    assert "Volgende oogst: niet ingepland" in page


def test_register_values_are_escaped(client: httpx.Client) -> None:
    first = runs_of(client, "gemeente-amsterdam")[-1]["run_id"]
    page = client.get(f"/sources/gemeente-amsterdam/runs/{first}", params={"format": "html"}).text
    assert "<img" not in page
    assert html.escape(MARKUP_STATUS) in page


def test_unknown_source_or_run_is_404(client: httpx.Client) -> None:
    assert client.get("/sources/nope/runs").status_code == 404
    assert client.get("/sources/nope/runs", headers={"Accept": BROWSER}).status_code == 404
    assert client.get("/sources/national/runs/20990101T000000Z-000000").status_code == 404
    r = client.get("/sources/national/runs/nope", headers={"Accept": BROWSER})
    assert r.status_code == 404 and "Onbekende oogst" in r.text


def test_run_page_shows_completeness_per_field(client: httpx.Client) -> None:
    runs = client.get("/sources/gemeente-amsterdam/runs").json()
    run_id = runs["runs"][0]["run_id"] if isinstance(runs, dict) else runs[0]["run_id"]
    page = client.get(
        f"/sources/gemeente-amsterdam/runs/{run_id}?lang=en", headers={"Accept": "text/html"}
    )
    assert page.status_code == 200
    assert "Completeness per field" in page.text
    assert "<code>contact_email</code>" in page.text and "Contact details" in page.text
