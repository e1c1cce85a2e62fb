"""What of a mapping reads nothing in a harvest's records, and the warnings that say so."""

from __future__ import annotations

from typing import Any

from federator.map.identity import first_value, renamed
from federator.map.spec import FieldSpec, Mapping


def unmatched(
    raw: list[dict[str, Any]], mapping: Mapping, *, own_only: bool = False
) -> list[dict[str, Any]]:
    """Every key of the mapping whose keys or paths found nothing in any record: renames of
    a column no record has, fields and identity values that read nothing, and RDF properties
    no record has. ``own_only``: only the keys the mapping file itself declares (not those of
    the files it extends). Each: ``key`` (``fields.name``), ``paths``, ``where`` (file:line)."""
    out: list[dict[str, Any]] = []

    def add(key: str, written: tuple[str, ...] | list[str]) -> None:
        where = mapping.lines.get(f"{key}.from") or mapping.where(key)  # the path's own line
        out.append({"key": key, "paths": list(written), "where": where})

    def wanted(key: str) -> bool:
        return not own_only or key in mapping.own

    if not raw:
        return out
    for old in mapping.rename:
        if wanted(f"rename.{old}") and not any(old in r for r in raw):
            add(f"rename.{old}", [old])
    checks: list[tuple[str, tuple[str, ...]]] = [
        (f"identity.{k}", v) for k, v in mapping.identity.items() if wanted(f"identity.{k}")
    ]
    each: list[tuple[str, FieldSpec]] = []
    for f in mapping.fields:
        key = f"fields.{f.name}"
        if not wanted(key) or f.constant is not None or f.default is not None:
            continue
        checks.append((key, f.sources))
        each += [(f"{key}.each.{sub.name}", sub) for sub in f.each if sub.constant is None]
    if mapping.record_types or mapping.record_type:
        checks += [
            (f"records.fields.{k}", (k,))
            for k in mapping.record_fields
            if wanted(f"records.fields.{k}")
        ]
    if not checks and not each:
        return out
    records = [renamed(r, mapping) for r in raw]
    for key, written in checks:
        if not any(first_value(r, written) is not None for r in records):
            add(key, written)
    for key, sub in each:
        parent = mapping.field(key.split(".")[1])
        assert parent is not None
        items = [
            item
            for r in records
            for item in _as_list(first_value(r, parent.sources))
            if isinstance(item, dict)
        ]
        if items and not any(first_value(item, sub.sources) is not None for item in items):
            add(key, sub.sources)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def unmatched_issues(found: list[dict[str, Any]], mapping: Mapping) -> list[dict[str, Any]]:
    """``unmatched`` as warnings of the harvest log, naming the mapping file, line and key."""
    return [
        {
            "native_id": None,
            "title": None,
            "severity": "warning",
            "field": None,
            "code": "mapping_matched_nothing",
            "value": u["key"],
            "message_en": (
                f"the mapping's {u['key']} ({u['where']}) reads "
                + " or ".join(repr(p) for p in u["paths"])
                + ", which no record of this register has: check the name (and the path into "
                "nested data) against the register's own field names"
            ),
            "message_nl": (
                f"{u['key']} in de mapping ({u['where']}) leest "
                + " of ".join(repr(p) for p in u["paths"])
                + ", dat in geen enkele registratie van dit register voorkomt: controleer de "
                "naam (en het pad in geneste gegevens) tegen de veldnamen van het register"
            ),
        }
        for u in found
    ]
