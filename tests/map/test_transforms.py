"""Named transforms: each value kind the registers really use."""

from __future__ import annotations

import html
import random
from typing import Any

import pytest

from federator.map import transforms
from federator.map.transforms import Context


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03", {"gYearMonth": "2024-03"}),
        ("2024-3", {"gYearMonth": "2024-03"}),
        ("2024-03-01", {"date": "2024-03-01"}),
        ("2024-03-01T10:00:00+00:00", {"date": "2024-03-01"}),
        ("01-03-2024", {"date": "2024-03-01"}),
        ("1/3/2024", {"date": "2024-03-01"}),
        ("03-2024", {"gYearMonth": "2024-03"}),
        ("maart 2024", {"gYearMonth": "2024-03"}),
        ("March 2024", {"gYearMonth": "2024-03"}),
        ("1 januari 2023", {"date": "2023-01-01"}),
        ("2024", {"gYear": "2024"}),
        ("31-02-2024", {"text": "31-02-2024"}),
        ("binnenkort", {"text": "binnenkort"}),
        ("", None),
        (None, None),
    ],
)
def test_date(raw: Any, expected: Any) -> None:
    assert transforms.parse_date(raw, Context("begin_date")) == expected


@pytest.mark.parametrize(
    ("raw", "local"),
    [
        ("In gebruik", "in-gebruik"),
        ("in_gebruik", "in-gebruik"),
        ("Actief", "in-gebruik"),
        ("Active", "in-gebruik"),
        ("In ontwikkeling", "in-ontwikkeling"),
        ("Buiten gebruik", "buiten-gebruik"),
        ("Niet actief", "buiten-gebruik"),
    ],
)
def test_status_words_of_every_version(raw: str, local: str) -> None:
    assert transforms.status(raw, Context("status")).endswith("/status/" + local)


def test_unclear_status_is_kept_as_text_and_flagged() -> None:
    ctx = Context("status")
    assert transforms.status("Gepauzeerd tot nader order", ctx) == {
        "text": "Gepauzeerd tot nader order"
    }
    assert ctx.warnings == [("status", "unknown_status", "Gepauzeerd tot nader order")]


def test_text_strips_the_registers_html() -> None:
    html = (
        "<div><p>Eerste&nbsp;zin.</p><ul><li>een</li><li>twee</li></ul><br/>Slot &amp; eind</div>"
    )
    assert transforms.text(html, Context("x")) == "Eerste zin.\neen\ntwee\nSlot & eind"
    assert transforms.text("   ", Context("x")) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(["a", "b"], ["a", "b"]), ("a, b; c", ["a", "b", "c"]), ("", None), ([], None)],
)
def test_split_category_as_string_or_list(raw: Any, expected: Any) -> None:
    assert transforms.split(raw, Context("category")) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("info@x.nl", {"email": "mailto:info@x.nl"}),
        ("mailto:a@b.org", {"email": "mailto:a@b.org"}),
        ("https://x.nl/contact", {"iri": "https://x.nl/contact"}),
        ("bel ons", {"text": "bel ons"}),
    ],
)
def test_contact(raw: str, expected: Any) -> None:
    assert transforms.contact(raw, Context("contact_email")) == expected


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("nld", "nl"),
        ("NLD", "nl"),
        ("Nederlands", "nl"),
        ("Dutch", "nl"),
        ("ENG", "en"),
        ("fry", "fy"),
    ],
)
def test_language(raw: str, tag: str) -> None:
    assert transforms.language(raw, Context("lang")) == tag


def test_every_transform_is_documented() -> None:
    assert set(transforms.DOCS) == set(transforms.REGISTRY)
    assert all(doc for doc in transforms.DOCS.values())


def test_text_tidies_every_kind_of_whitespace_as_the_slow_path_does() -> None:
    # The fast path must not let through what the slow path would tidy (an em space, a line
    # separator, a vertical tab...).
    for c in map(chr, range(0x110000)):
        if c.isspace() and c not in (" ", "\n"):
            assert transforms.text(f"a{c}b", Context("x")) == "a b", hex(ord(c))
    assert transforms.text("a\nb", Context("x")) == "a\nb"


def _tidied(s: str) -> str | None:
    """What ``text`` made of a text of markup before lines that are tidy already were kept as
    they are: every line split at its whitespace and joined with single spaces."""
    if "<" in s:
        s = transforms._TAG.sub("", transforms._BLOCK.sub("\n", s))
    s = html.unescape(s).replace("\r\n", "\n").replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in s.split("\n")]
    return "\n".join(line for line in lines if line).strip() or None


def test_text_keeps_tidy_lines_as_splitting_and_joining_them_would() -> None:
    # Every whitespace character, markup, entities and words, in 20,000 random texts.
    spaces = [c for c in map(chr, range(0x110000)) if c.isspace()]
    pieces = [*spaces, "a", "bc", " ", "  ", "<p>", "</p>", "<br>", "&amp;", "&nbsp;", "&#10;"]
    pieces += ["&lt;", "<b>x</b>", "\r\n", "é", "\U0001f600"]
    rng = random.Random(7)
    for _ in range(20000):
        s = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 16)))
        if "  " in s or transforms._UNTIDY.search(s):  # what takes the slow path
            assert transforms.text(s, Context("x")) == _tidied(s), repr(s)


def test_what_takes_the_slow_path_is_what_the_one_scan_found() -> None:
    # ``_untidy`` asks ``isprintable`` first: every character, alone and in a text.
    for c in map(chr, range(0x110000)):
        for s in (c, f"ab{c}cd", f"{c} ", f"x  {c}"):
            expected = "  " in s or transforms._UNTIDY.search(s) is not None
            assert transforms._untidy(s) == expected, hex(ord(c))


@pytest.mark.parametrize(
    "raw",
    [
        "https://example.org/{x}",
        "https://example.org/a|b",
        "https://example.org/`x`",
        "https://example.org/a^b",
        "https://example.org/a\\b",
        "https://example.org/%zz",
        "https://[::1",
    ],
)
def test_a_link_the_store_refuses_is_text_and_flagged(raw: str) -> None:
    ctx = Context("website")
    assert transforms.iri(raw, ctx) == {"text": raw}
    assert ctx.warnings == [("website", "invalid_link", raw)]


def test_a_link_the_store_takes_is_an_iri() -> None:
    ctx = Context("website")
    assert transforms.iri("https://example.org/é?q=1#f", ctx) == {
        "iri": "https://example.org/é?q=1#f"
    }
    assert transforms.iri("www.example.org/a", ctx) == {"iri": "https://www.example.org/a"}
    assert ctx.warnings == []


@pytest.mark.parametrize("raw", ['a"b@example.org', "a\\b@example.org", "a{b}@example.org"])
def test_an_email_address_the_store_refuses_is_text_and_flagged(raw: str) -> None:
    ctx = Context("contact_email")
    assert transforms.contact(raw, ctx) == {"text": raw}
    assert ctx.warnings == [("contact_email", "invalid_contact", raw)]


def test_text_names_what_reading_could_not_take_as_text_once() -> None:
    ctx = Context("name")
    assert transforms.status("In \ufffd gebruik", ctx) == {"text": "In \ufffd gebruik"}
    assert ctx.warnings == [
        ("name", "unreadable_characters", "In \ufffd gebruik"),
        ("name", "unknown_status", "In \ufffd gebruik"),
    ]
    ctx = Context("contact_email")
    transforms.contact("www.example.org/\ufffd", ctx)  # contact reads it, then iri again
    assert [w[1] for w in ctx.warnings] == ["unreadable_characters", "invalid_link"]
