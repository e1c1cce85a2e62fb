"""The HTML pages' templates, without a server: layout, languages, escaping, and one reading
of a run for the terminal and the page alike."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import pytest

from federator.report import RunLog, text_of
from federator.server.templating import render

HOSTILE = 'Actief <img src=x onerror="alert(1)">'


@dataclass
class Source:
    id: str
    title: str


def issue(native_id: str, severity: str, code: str, **more: Any) -> dict[str, Any]:
    return {
        "native_id": native_id,
        "title": more.get("title"),
        "severity": severity,
        "field": more.get("field", "name"),
        "code": code,
        "value": more.get("value"),
        "message_en": more.get("en", f"{code} in English"),
        "message_nl": more.get("nl", f"{code} in het Nederlands"),
    }


def detail(**more: Any) -> dict[str, Any]:
    run = {
        "run_id": "20260101T000000Z-abcdef",
        "started": "2026-01-01T00:00:00Z",
        "ended": "2026-01-01T00:00:05Z",
        "outcome": "synced",
        "error": None,
        "error_code": None,
        "stats": {"fetched": 3, "added": 2, "rejected": 1, "warnings": 1, "accepted": 2},
        "statuses": {"200": 1},
        "durations": {"harvest": 1.5},
        "issues": [
            issue("A-1", "error", "missing_name", en="has no name", nl="heeft geen naam"),
            issue("A-2", "warning", "unknown_status", field="status", value=HOSTILE),
        ],
    }
    run.update(more)
    return run


def test_templates_ship_with_the_package() -> None:
    folder = resources.files("federator").joinpath("templates")
    for name in ("base.html", "index.html", "source_log.html", "run.html", "resource.html"):
        assert folder.joinpath(name).is_file(), name


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_layout_has_language_title_header_and_footer(lang: str) -> None:
    page = render("message.html", lang, "/x", title_key="unknown_run", text=HOSTILE)
    assert f'<html lang="{lang}">' in page
    other = "en" if lang == "nl" else "nl"
    assert f'<a href="/x?lang={other}" hreflang="{other}" lang="{other}">' in page
    title = "Onbekende oogst" if lang == "nl" else "Unknown harvest"
    assert f"<title>{title} · " in page and f"<h1>{title}</h1>" in page
    assert "<header>" in page and '<main id="main"' in page and "<footer>" in page
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_a_misspelt_name_in_a_template_fails_the_page() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("message.html", "nl", "/x", title_key="unknown_run")  # no text


def test_a_run_reads_the_same_on_the_page_and_in_the_terminal() -> None:
    run = RunLog.of(detail())
    assert [i["native_id"] for i in run.rejected] == ["A-1"]
    assert [i["native_id"] for i in run.warnings] == ["A-2"]
    page = render(
        "run.html", "en", "/sources/s/runs/r", source=Source("s", "S"), run=run, labels={}
    )
    text = "\n".join(text_of(run))
    for said in ("A-1", "has no name", "A-2"):
        assert said in page and said in text
    assert "Rejected registrations (1)" in page and "Rejected records (1)" in text
    assert "Warnings (1)" in page and "Warnings (1)" in text
    assert "heeft geen naam" in page  # the other language, under the reason
    assert "<img" not in page
    assert '<td class="num">1.50</td>' in page and "harvest 1.50" in text


@pytest.mark.parametrize(
    ("more", "verdict", "words"),
    [
        ({}, "rejected", "Rejected registrations (1)"),
        (
            {
                "issues": [],
                "outcome": "failed",
                "stats": {},
                "error": "boom",
                "error_code": "unreachable",
            },
            "not_checked",
            "did not get as far as checking",
        ),
        (
            {"issues": [], "stats": {"fetched": 0, "unchanged": 3}, "statuses": {"304": 1}},
            "not_rechecked",
            "nothing was checked again",
        ),
        ({"issues": []}, "none_rejected", "No registrations rejected."),
    ],
)
def test_the_page_says_why_nothing_was_rejected(
    more: dict[str, Any], verdict: str, words: str
) -> None:
    run = RunLog.of(detail(**more))
    assert run.verdict == verdict
    page = render("run.html", "en", "/r", source=Source("s", "S"), run=run, labels={})
    assert words in page
    if run.error:
        assert "The register could not be reached." in page and "<code>boom</code>" in page


def test_the_json_of_a_run_splits_its_issues() -> None:
    answer = RunLog.of(detail()).as_json()
    assert "issues" not in answer
    assert [i["native_id"] for i in answer["rejected"]] == ["A-1"]
    assert [i["native_id"] for i in answer["warnings"]] == ["A-2"]
