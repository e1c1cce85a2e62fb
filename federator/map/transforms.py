"""Named transforms that mapping files may use: a closed library, no ``eval``.

A transform takes a value (string, list, dict or None) and a ``Context`` and returns the
new value; ``None`` means "no value". Problems become warnings on the context: a record is
never dropped by a transform.  Add a transform here once, with a test and a doc line.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from federator import terms
from federator.vocab import PUBCAT, STATUS, THEME, slug

Transform = Callable[[Any, "Context"], Any]
REGISTRY: dict[str, Transform] = {}
DOCS: dict[str, str] = {}


@dataclass
class Context:
    field: str
    warnings: list[tuple[str, str, str]] = dataclasses.field(
        default_factory=list
    )  # (field, code, value)

    def warn(self, code: str, value: Any) -> None:
        warning = (self.field, code, str(value)[:200])
        if warning not in self.warnings:  # transforms that call others see a value twice
            self.warnings.append(warning)


def transform(name: str, doc: str) -> Callable[[Transform], Transform]:
    def register(fn: Transform) -> Transform:
        REGISTRY[name] = fn
        DOCS[name] = doc
        return fn

    return register


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6])\b[^>]*>", re.I)
# Markup, entities, and every whitespace character but the plain space (all of them lie
# below U+3001), which the slow path tidies.
_UNTIDY = re.compile(
    "[<&" + re.escape("".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != " ")) + "]"
)


def _untidy(s: str) -> bool:
    """Whether ``s`` has what the slow path tidies: markup, entities, runs of spaces, any other
    whitespace character. Every whitespace character but the space is one ``isprintable``
    refuses: only a text it refuses is scanned by ``_UNTIDY`` (whose scan of a whole text took
    10 ns a character, a third of this transform's time on the register's texts)."""
    return (
        "<" in s or "&" in s or "  " in s or (not s.isprintable() and _UNTIDY.search(s) is not None)
    )


@transform("text", "strip the register's allowed HTML, unescape entities, tidy whitespace")
def text(value: Any, ctx: Context) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value if v not in (None, ""))
    s = str(value)
    if "\ufffd" in s:
        # What reading could not take as text (a lone surrogate, a control character) it
        # replaced with U+FFFD, as a decoder does with bytes it cannot read: the agency is told.
        ctx.warn("unreadable_characters", s)
    if not _untidy(s):
        return s.strip() or None  # the common case: plain one-line text
    if "<" in s:
        s = _BLOCK.sub("\n", s)
        s = _TAG.sub("", s)
    s = html.unescape(s).replace("\r\n", "\n").replace("\xa0", " ")
    lines = []
    for line in s.split("\n"):
        # A line that is tidy already (single spaces between words, none at its ends: most
        # lines of a register's HTML) is what splitting and joining it gives; that was most
        # of this transform's time.
        if line[:1] == " " or line[-1:] == " " or _untidy(line):
            line = " ".join(line.split())
        if line:
            lines.append(line)
    s = "\n".join(lines).strip()
    return s or None


_STATUS = {
    "in gebruik": "in-gebruik",
    "in_gebruik": "in-gebruik",
    "actief": "in-gebruik",
    "active": "in-gebruik",
    "in use": "in-gebruik",
    "in productie": "in-gebruik",
    "operationeel": "in-gebruik",
    "in ontwikkeling": "in-ontwikkeling",
    "in_ontwikkeling": "in-ontwikkeling",
    "ontwikkeling": "in-ontwikkeling",
    "in development": "in-ontwikkeling",
    "pilot": "in-ontwikkeling",
    "buiten gebruik": "buiten-gebruik",
    "buiten_gebruik": "buiten-gebruik",
    "niet actief": "buiten-gebruik",
    "niet meer in gebruik": "buiten-gebruik",
    "inactive": "buiten-gebruik",
    "out of use": "buiten-gebruik",
    "gestopt": "buiten-gebruik",
    "beeindigd": "buiten-gebruik",
    "beëindigd": "buiten-gebruik",
}


@transform("status", "status words of every standard version -> a concept of the status scheme")
def status(value: Any, ctx: Context) -> Any:
    s = text(value, ctx)
    if s is None:
        return None
    key = " ".join(s.lower().replace("-", " ").split())
    if key in _STATUS:
        return str(STATUS[_STATUS[key]])
    ctx.warn("unknown_status", s)
    return {"text": s}


def modified_date(raw: str | None) -> str | None:
    """The ISO date in a register's last-modified value, when it gives a whole date."""
    value = parse_date(raw, Context("modified")) if raw else None
    return value["date"] if isinstance(value, dict) and "date" in value else None


@transform("date", "yyyy-mm, ISO dates and times, dd-mm-yyyy, 'maart 2024' -> typed date")
def parse_date(value: Any, ctx: Context) -> Any:
    s = text(value, ctx)
    if s is None:
        return None
    found = terms.date_value(s)
    if found is not None:
        return found
    s = s.strip().lower()
    ctx.warn("unparsed_date", s)
    return {"text": s}


@transform("split", "a list, or a string split on ',', ';' or new lines -> list of strings")
def split(value: Any, ctx: Context) -> list[Any] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else re.split(r"[;,\n]", str(value))
    out = [i.strip() if isinstance(i, str) else i for i in items]
    out = [i for i in out if i not in (None, "")]
    return out or None


THEMES = {
    slug(t)
    for t in (
        "Organisatie en bedrijfsvoering",
        "Cultuur en recreatie",
        "Economie",
        "Overheidsfinanciën",
        "Wonen",
        "Internationaal",
        "Migratie en integratie",
        "Natuur en milieu",
        "Onderwijs en wetenschap",
        "Openbare orde en veiligheid",
        "Recht",
        "Ruimte en infrastructuur",
        "Sociale zekerheid",
        "Verkeer",
        "Werk",
        "Zorg en gezondheid",
    )
}


@transform("theme", "a theme of the standard -> a concept of the theme scheme; else text")
def theme(value: Any, ctx: Context) -> Any:
    s = text(value, ctx)
    if s is None:
        return None
    if slug(s) in THEMES:
        return str(THEME[slug(s)])
    ctx.warn("unknown_theme", s)
    return {"text": s}


_PUBCAT = {
    "hoog-risico ai-systeem": "hoog-risico-ai-systeem",
    "hoog-risico ai-systemen": "hoog-risico-ai-systeem",
    "impactvolle algoritmes": "impactvolle-algoritmes",
    "impactvol algoritme": "impactvolle-algoritmes",
    "overige algoritmes": "overige-algoritmes",
    "overig algoritme": "overige-algoritmes",
}


@transform("publication_category", "publication category -> a concept of its scheme")
def publication_category(value: Any, ctx: Context) -> Any:
    s = text(value, ctx)
    if s is None:
        return None
    key = s.lower().strip()
    key = re.sub(r"^[abc]\s*[-:.)]\s*", "", key)
    if key in _PUBCAT:
        return str(PUBCAT[_PUBCAT[key]])
    ctx.warn("unknown_publication_category", s)
    return {"text": s}


_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[a-z]{2,}$", re.I)
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.I)


@transform(
    "iri",
    "an http(s) link the store takes as an IRI -> IRI; anything else is kept as text and flagged",
)
def iri(value: Any, ctx: Context) -> Any:
    s = text(value, ctx)
    if s is None:
        return None
    if s.lower().startswith("www."):
        s = "https://" + s
    # Checked as the store checks it: a link with '{', '|', a backtick, ... would otherwise
    # fail the publish of every source.
    if _URL.match(s) and terms.valid_iri(s):
        return {"iri": s}
    ctx.warn("invalid_link", s)
    return {"text": s}


@transform(
    "contact",
    "an e-mail address -> mailto: IRI, a link -> IRI (both as the store takes them), else text",
)
def contact(value: Any, ctx: Context) -> Any:
    s = text(value, ctx)
    if s is None:
        return None
    s = s.strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    if _EMAIL.match(s):
        if terms.valid_iri("mailto:" + s):
            return {"email": "mailto:" + s}
        ctx.warn("invalid_contact", s)
        return {"text": s}
    if _URL.match(s) or s.lower().startswith("www."):
        return iri(s, ctx)
    ctx.warn("invalid_contact", s)
    return {"text": s}


@transform("yes_no", "ja/nee, yes/no, true/false -> boolean; else text")
def yes_no(value: Any, ctx: Context) -> Any:
    if isinstance(value, bool):
        return value
    s = text(value, ctx)
    if s is None:
        return None
    key = s.lower()
    if key in ("ja", "yes", "true", "1", "uitgevoerd", "j"):
        return True
    if key in ("nee", "no", "false", "0", "n", "niet uitgevoerd"):
        return False
    return {"text": s}


_LANG = {
    "nld": "nl",
    "nl": "nl",
    "nederlands": "nl",
    "dutch": "nl",
    "eng": "en",
    "en": "en",
    "engels": "en",
    "english": "en",
    "fry": "fy",
    "fy": "fy",
    "fries": "fy",
    "frisian": "fy",
}


_TAG_SHAPE = re.compile(r"^[a-z]{2}(-[a-z0-9]{2,8})*$")


@transform(
    "language", "nld, NLD, Nederlands, Dutch, ... -> a BCP 47 tag (nl, en, fy); a tag as it is"
)
def language(value: Any, ctx: Context) -> str | None:
    s = text(value, ctx)
    if s is None:
        return None
    key = s.lower().replace("_", "-")
    return _LANG.get(key) or (key if _TAG_SHAPE.match(key) else None)
