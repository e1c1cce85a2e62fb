"""Organisations: TOOI IRIs from codes or names, and stable minted IRIs where no code is known."""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from importlib import resources

from federator.vocab import TOOI, TOOI_TYPES

_TYPE_WORDS = ("gemeente", "provincie", "waterschap", "stichting", "ministerie")
_CODE = re.compile(r"^([a-z]+)(\d+)$")


def normalise_name(name: str) -> str:
    """'Amsterdam (gemeente)', 'gemeente  Amsterdam' -> 'gemeente amsterdam'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9()]+", " ", text).strip()
    match = re.match(r"^(.*)\(([^)]*)\)\s*$", text)
    if match and match.group(2).strip() in _TYPE_WORDS:
        text = f"{match.group(2).strip()} {match.group(1).strip()}"
    text = re.sub(r"[()]", " ", text)
    return " ".join(text.split())


def tooi_from_code(code: str) -> str | None:
    """'gm0363' -> https://identifier.overheid.nl/tooi/id/gemeente/gm0363."""
    code = code.strip().lower()
    match = _CODE.match(code)
    if not match or match.group(1) not in TOOI_TYPES:
        return None
    return f"{TOOI}{TOOI_TYPES[match.group(1)]}/{code}"


@lru_cache(maxsize=1)
def reference() -> dict[str, tuple[str, str]]:
    """Normalised name -> (TOOI IRI, official name), from the bundled reference list: the
    municipalities, provinces and water boards of the TOOI reference list, and the national
    bodies (ministries, agencies, ZBOs, other organisations) whose code the national register
    gives (``bench/orgs_list.py`` refreshes them). A code's first row names it officially;
    later rows with the same code are other names it is known by."""
    table: dict[str, tuple[str, str]] = {}
    official: dict[str, str] = {}
    text = resources.files("federator.data").joinpath("organisations.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines(), delimiter=";"):
        iri = f"{TOOI}{row['type']}/{row['org_id']}"
        official.setdefault(iri, row["name"])
        table.setdefault(normalise_name(row["name"]), (iri, official[iri]))
    return table


@lru_cache(maxsize=1)
def official_names() -> dict[str, str]:
    """TOOI IRI -> official name, of every organisation in the bundled list."""
    out: dict[str, str] = {}
    for iri, name in reference().values():
        out.setdefault(iri, name)
    return out


def is_tooi(iri: str) -> bool:
    """Whether an organisation IRI is a TOOI IRI (its code is known), not one minted here."""
    return iri.startswith(TOOI)


def lookup(name: str) -> tuple[str, str] | None:
    return reference().get(normalise_name(name))


def resolve(value: str) -> str | None:
    """An IRI as given, a TOOI code, or a name in the reference list; None when unknown."""
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return value
    return tooi_from_code(value) or (hit[0] if (hit := lookup(value)) else None)
