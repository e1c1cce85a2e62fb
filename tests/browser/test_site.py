"""The public site in a real browser (headless Chromium through Playwright): search, open a
result, read it, switch language, both widths without horizontal scrolling, the keyboard,
no JavaScript, and axe-core on every page type."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import Site

WIDTHS = (375, 1280)
QUERY = "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Catalog> } LIMIT 5"


def page_types(site: Site, page: Any) -> dict[str, str]:
    """One path of each kind of page, found the way a reader would."""
    page.goto(site.url + "/algorithms?registers=2&order=title")
    algorithm = page.locator(".results h3 a").first.get_attribute("href")
    page.goto(site.url + algorithm)
    record_path = page.locator(".compare thead a[href^='/id/']").first.get_attribute("href")
    page.goto(site.url + "/sources/national/runs")
    run = page.locator("td a code").first.inner_text()
    return {
        "front": "/",
        "search": "/algorithms?q=parkeer",
        "algorithm": algorithm,
        "record": record_path,
        "organisations": "/organisations",
        "organisation": "/organisations/gm0344",
        "harvest log": "/sources/national/runs",
        "harvest run": f"/sources/national/runs/{run}",
        "sparql": "/sparql",
        "sparql results": "/sparql?query=" + quote(QUERY),
        "void": "/void",
        "gone": "/id/algorithm/0000000000",
    }


@pytest.fixture(scope="module")
def paths(site: Site, browser: Any) -> dict[str, str]:
    context = browser.new_context()
    context.set_default_timeout(5000)
    try:
        return page_types(site, context.new_page())
    finally:
        context.close()


def test_search_open_a_result_and_read_it(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    page.fill("input[name=q]", "gezichts")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/algorithms\?q=gezichts"))
    results = page.locator(".results h3 a")
    assert results.count() >= 2
    titles = results.all_inner_texts()
    assert "RNI GEZICHTSSCAN" in titles
    results.first.click()
    page.wait_for_url(re.compile(r"/id/algorithm/"))
    assert page.locator("h1").inner_text() == titles[0]
    assert page.locator(".meta a").first.inner_text().startswith("Gemeente ")


def test_every_register_that_describes_it_is_shown(site: Site, page: Any) -> None:
    page.goto(site.url + "/algorithms")
    facet = page.locator(".facets a", has_text="2 registers").first
    href = facet.get_attribute("href")
    assert href
    facet.click()
    page.wait_for_url(lambda url: url.endswith(href))  # the filtered page, not the one before
    answer = page.request.get(page.url, headers={"Accept": "application/json"}).json()
    first = answer["results"][0]
    page.locator(".results h3 a").first.click()
    page.wait_for_url(re.compile(r"/id/algorithm/"))
    assert page.locator("h1").inner_text() == first["title"]
    assert first["organisation"]["name"] in page.locator("main").inner_text()
    titles = {s["id"]: s["title"] for s in page.request.get(site.url + "/sources").json()}
    heads = page.locator(".compare thead th > a[href^='/sources/']").all_inner_texts()
    assert sorted(heads) == sorted(titles[d["register"]] for d in first["described_by"])
    assert len(heads) == first["registers"] == 2
    # Each register's record and harvest log are a click away.
    assert page.locator(".compare thead a", has_text="oogstlogboek").count() == 2


def test_switch_to_english_and_back(site: Site, page: Any) -> None:
    page.goto(site.url + "/algorithms?q=parkeer")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Algorithms"
    assert page.locator("input[name=q]").input_value() == "parkeer"  # the search is kept
    page.locator(".results h3 a").first.click()
    page.wait_for_url(re.compile(r"/id/algorithm/"))
    assert page.locator("html").get_attribute("lang") == "en"  # and so is the language
    assert "The registers side by side" in page.locator("main").inner_text()


def test_english_by_the_browser_language(site: Site, browser: Any) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_horizontal_scrolling(
    site: Site, browser: Any, paths: dict[str, str], width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        wide = {}
        for kind, path in paths.items():
            page.goto(site.url + path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                wide[kind] = scroll
        assert not wide, f"wider than {width} px: {wide}"
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violations(
    site: Site, page: Any, paths: dict[str, str], width: int
) -> None:
    from axe_playwright_python.sync_playwright import Axe  # optional dev dependency

    page.set_viewport_size({"width": width, "height": 900})
    axe = Axe()
    found = {}
    for kind, path in paths.items():
        page.goto(site.url + path)
        results = axe.run(page)
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found[kind] = bad
    assert not found, json.dumps(found, indent=1)


def test_usable_by_keyboard(site: Site, page: Any) -> None:
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.focus("input[name=q]")
    page.keyboard.type("parkeer")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=parkeer"))
    # Tab from the search box reaches the first result's link without a mouse.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.results')"):
            break
    else:
        pytest.fail("no result was reachable by Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/id/algorithm/"))


def test_works_without_javascript(site: Site, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        page.fill("input[name=q]", "parkeer")
        page.click("form.search button")
        page.wait_for_url(re.compile(r"/algorithms\?q=parkeer"))
        assert page.locator(".results h3 a").count() > 0
        facet = page.locator(".facets a").first
        href = facet.get_attribute("href")
        assert href
        facet.click()
        # The filtered page, loaded: counting at once can read the page before it.
        page.wait_for_url(lambda url: url.endswith(href))
        assert page.locator(".chips").count() == 1  # a filter is on, and can be taken off
    finally:
        context.close()


def test_prints_without_navigation(site: Site, page: Any, paths: dict[str, str]) -> None:
    page.emulate_media(media="print")
    page.goto(site.url + paths["algorithm"])
    assert not page.locator("header nav ul").is_visible()
    assert page.locator("h1").is_visible() and page.locator(".compare").is_visible()
