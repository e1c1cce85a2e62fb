"""What each rule says to a source agency, in English and Dutch.

Each message names the field as the agency knows it (its name in the publication standard and
its Dutch label), the value when there is one, and what to do.
"""

from __future__ import annotations

import functools

# code -> (severity, English, Dutch); {field}, {label}, {value}, {limit} are filled in.
RULES: dict[str, tuple[str, str, str]] = {
    "missing_identifier": (
        "error",
        "has no identifier: give it an Algoritme-ID (lars) or your own id (source_id)",
        "heeft geen identificatie: vul een Algoritme-ID (lars) of uw eigen id (source_id) in",
    ),
    "missing_name": (
        "error",
        "has no name (field '{field}', \"{label}\"): a registration without a name is not "
        "published",
        "heeft geen naam (veld '{field}', \"{label}\"): een registratie zonder naam wordt niet "
        "gepubliceerd",
    ),
    "missing_organisation": (
        "error",
        "names no organisation (field '{field}', \"{label}\"): fill in the organisation",
        "noemt geen organisatie (veld '{field}', \"{label}\"): vul de organisatie in",
    ),
    "duplicate_id": (
        "error",
        "uses the same id as an earlier registration in this register; only the first is kept",
        "gebruikt dezelfde id als een eerdere registratie in dit register; alleen de eerste is "
        "overgenomen",
    ),
    "missing_recommended": (
        "warning",
        "has no value for '{field}' (\"{label}\"), which the publication standard asks for",
        "heeft geen waarde voor '{field}' (\"{label}\"), dat de publicatiestandaard vraagt",
    ),
    "too_long": (
        "warning",
        "'{field}' (\"{label}\") is longer than the standard's limit of {limit} characters",
        "'{field}' (\"{label}\") is langer dan de limiet van {limit} tekens uit de standaard",
    ),
    "unknown_status": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is not one of In gebruik, In ontwikkeling, "
        "Buiten gebruik; it is kept as text",
        "'{field}' (\"{label}\") waarde '{value}' is niet In gebruik, In ontwikkeling of Buiten "
        "gebruik; de tekst is overgenomen",
    ),
    "unparsed_date": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is not a date (use yyyy-mm); it is kept as text",
        "'{field}' (\"{label}\") waarde '{value}' is geen datum (gebruik jjjj-mm); de tekst is "
        "overgenomen",
    ),
    "invalid_link": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is not a web link (http:// or https://)",
        "'{field}' (\"{label}\") waarde '{value}' is geen weblink (http:// of https://)",
    ),
    "invalid_contact": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is neither an e-mail address nor a web link",
        "'{field}' (\"{label}\") waarde '{value}' is geen e-mailadres en geen weblink",
    ),
    "unreadable_characters": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' holds characters that are not text (control "
        "characters or broken Unicode); they are replaced by \ufffd",
        "'{field}' (\"{label}\") waarde '{value}' bevat tekens die geen tekst zijn "
        "(stuurtekens of kapotte Unicode); die zijn vervangen door \ufffd",
    ),
    "unknown_theme": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is not one of the standard's 16 themes; it is "
        "kept as text",
        "'{field}' (\"{label}\") waarde '{value}' is geen van de 16 thema's uit de standaard; de "
        "tekst is overgenomen",
    ),
    "unknown_publication_category": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is not a category of the standard",
        "'{field}' (\"{label}\") waarde '{value}' is geen categorie uit de standaard",
    ),
    "foreign_organisation": (
        "warning",
        "'{field}' (\"{label}\") names '{value}', another organisation than the one this "
        "register belongs to: the registration is published as this register's own and "
        "cannot change that organisation's algorithms",
        "'{field}' (\"{label}\") noemt '{value}', een andere organisatie dan die van dit "
        "register: de registratie is gepubliceerd als van dit register en kan de algoritmes "
        "van die organisatie niet wijzigen",
    ),
    "unmapped_value": (
        "warning",
        "'{field}' (\"{label}\") value '{value}' is not in the mapping's value map for this "
        "field; it is kept as it is (as text where a value of a list was expected)",
        "'{field}' (\"{label}\") waarde '{value}' staat niet in de waardentabel van de mapping "
        "voor dit veld; de waarde is overgenomen zoals ze is (als tekst waar een waarde uit een "
        "lijst werd verwacht)",
    ),
}

# Rules the mapping reports itself (``Context.warn``), not the shapes.
MAPPING_ONLY = frozenset({"unreadable_characters", "foreign_organisation", "unmapped_value"})


# Most messages repeat (a field missing from many records): each is written once.
@functools.lru_cache(maxsize=4096)
def render(
    code: str, *, field: str = "", label: str = "", value: str = "", limit: int | None = None
) -> tuple[str, str, str]:
    """Return (severity, English, Dutch) for a rule code."""
    severity, en, nl = RULES[code]
    args = {"field": field, "label": label, "value": value, "limit": limit or ""}
    return severity, en.format(**args), nl.format(**args)
