"""Text variation: copies of real registrations that differ the way real registers differ.

Two kinds: ``vary_*`` makes another organisation's registration of the same product (national
growth), ``drift_*`` makes a decentral register's copy of the same registration (edited title,
stripped HTML, shortened or reordered text, organisation written differently).
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from bench.realdata import Org, plain

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
_TITLE_SUFFIXES = (" (pilot)", " 2.0", " - herziening", " (regionaal)", " v2")


@lru_cache(maxsize=8192)
def _parts(text: str) -> tuple[str, ...]:
    """The plain sentences of a text; cached because every template text recurs N/1500 times."""
    return tuple(s for s in _SENTENCE.split(plain(text)) if s)


def sentences(text: str) -> list[str]:
    return list(_parts(text))


def swap_place(text: str | None, old: str | None, new: str) -> str | None:
    """Put the new organisation's place where the template names its own."""
    if not text or not old or len(old) < 3 or old == new:
        return text
    return re.sub(rf"\b{re.escape(old)}\b", new, text)


def template_place(organisation: str | None) -> str | None:
    """'Gemeente Amsterdam' -> 'Amsterdam'; national bodies have no place to swap."""
    head, _, rest = (organisation or "").partition(" ")
    return rest if head.lower() in ("gemeente", "provincie") and rest else None


def vary_title(rng: random.Random, title: str, org: Org) -> str:
    """Most organisations register a product under its own name ('Anonimiseren' x 82)."""
    roll = rng.random()
    if roll < 0.55:
        return title
    if roll < 0.75:
        return f"{title} {org.place}"
    if roll < 0.9:
        return title + rng.choice(_TITLE_SUFFIXES)
    return f"{title} ({org.name})"


def vary_html(rng: random.Random, text: str | None) -> str | None:
    """Rotate or trim the sentences of a (possibly HTML) text, keeping a <p> wrapper."""
    if not text:
        return text
    parts = sentences(text)
    if len(parts) > 1:
        roll = rng.random()
        if roll < 0.35:
            parts = parts[1:] + parts[:1]
        elif roll < 0.6 and len(parts) > 2:
            parts = parts[:-1]
    body = " ".join(parts)
    return f"<p>{body}</p>" if text.lstrip().startswith("<") else body


def drift_title(rng: random.Random, title: str) -> str:
    """An edited title: a typo, a moved space, other case, a suffix dropped or added."""
    roll = rng.random()
    if roll < 0.45 or len(title) < 6:
        return title
    i = rng.randrange(1, len(title) - 2)
    if roll < 0.6:  # two letters swapped
        return title[:i] + title[i + 1] + title[i] + title[i + 2 :]
    if roll < 0.7:  # a letter dropped
        return title[:i] + title[i + 1 :]
    if roll < 0.8 and " " in title:  # a space moved: 'Rapportage en' -> 'Rapportag een'
        j = title.index(" ")
        return title[: j - 1] + " " + title[j - 1] + title[j + 1 :]
    if roll < 0.9:
        return title.lower() if rng.random() < 0.5 else title.upper()
    return re.sub(r"\s*\([^)]*\)$", "", title) if title.endswith(")") else title + " (pilot)"


def drift_text(rng: random.Random, text: str | None) -> str | None:
    """The decentral copy of a text: HTML stripped, sometimes shortened or reordered."""
    if not text:
        return text
    parts = sentences(text)
    roll = rng.random()
    if len(parts) > 1 and roll < 0.3:
        parts = parts[: max(1, len(parts) // 2)]
    elif len(parts) > 1 and roll < 0.45:
        parts = parts[1:] + parts[:1]
    return " ".join(parts)


def org_spelling(rng: random.Random, org: Org) -> str:
    """'Gemeente Utrecht', 'gemeente Utrecht' or 'Utrecht (gemeente)'."""
    kind = org.type
    return rng.choice(
        [org.name, org.name, org.name, f"{kind} {org.place}", f"{org.place} ({kind})"]
    )


def free_date(rng: random.Random, iso: str | None) -> str | None:
    """A standard-0.1 free-text date: '01-03-2024', 'maart 2024', '2024-03-01' or nothing."""
    if not iso or rng.random() < 0.1:
        return None
    y, m, d = iso[:4], int(iso[5:7]), iso[8:10]
    return rng.choice([f"{d}-{m:02d}-{y}", f"{_MONTHS[m - 1]} {y}", iso[:10]])
