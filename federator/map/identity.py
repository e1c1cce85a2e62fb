"""What identifies a raw record: its values as the mapping reads them (renamed, defaults
filled in), the identity texts in them, and the native id they give."""

from __future__ import annotations

import hashlib
from typing import Any

from federator import orgs
from federator.map import paths
from federator.map.spec import Mapping


def first_value(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first key or path in ``names`` that has one."""
    for n in names:
        v = record.get(n) if n in record else paths.get(record, n)
        if v not in paths.EMPTY:
            return v
    return None


# Where a path ends at an object, what names it (an organisation {name, url, type}, a node
# read from RDF): its name, never the object written out as text.
_NAME_KEYS = ("name", "naam", "schema:name", "foaf:name", "title", "label", "@value", "@id")


def identity_text(value: Any) -> str | None:
    """One piece of text for an identity value: a string or number as it is; of a language
    value its text; of an object its name; of a list its first such text."""
    if value is None:
        return None
    if isinstance(value, list):
        for item in value:
            text = identity_text(item)
            if text:
                return text
        return None
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if key in value and not isinstance(value[key], dict | list):
                return identity_text(value[key])
        for item in value.values():  # a node read from RDF: its first named value
            if isinstance(item, dict | list):
                text = identity_text(item)
                if text:
                    return text
        return None
    if isinstance(value, bool):
        return None
    s = str(value).strip()
    return s or None


def renamed(record: dict[str, Any], mapping: Mapping) -> dict[str, Any]:
    """The record as the mapping reads it: its keys renamed (before anything looks at them),
    then the mapping's ``defaults`` where it has no value of its own."""
    if mapping.rename:
        record = {mapping.rename.get(k, k): v for k, v in record.items()}
    if mapping.defaults:
        missing = {k: v for k, v in mapping.defaults.items() if record.get(k) in paths.EMPTY}
        if missing:
            record = {**record, **missing}
    return record


def native_id_of(record: dict[str, Any], mapping: Mapping, src_org_name: str) -> str:
    """The native id a raw record will get (after the mapping's renames)."""
    return native_id(renamed(record, mapping), mapping, src_org_name)


def native_id(record: dict[str, Any], mapping: Mapping, src_org_name: str) -> str:
    """lars, else the source's own id, else the record URL, else organisation + name."""
    for key in ("lars", "source_id", "url"):
        value = identity_text(first_value(record, mapping.identity.get(key, ())))
        if value:
            return value
    named_org = first_value(record, mapping.identity.get("organisation", ()))
    org = identity_text(named_org) or src_org_name
    name_spec = mapping.field("name")
    name_value = first_value(record, name_spec.sources if name_spec else ("name",))
    name = orgs.normalise_name(identity_text(name_value) or "")
    return "h-" + hashlib.sha256(f"{orgs.normalise_name(org)}|{name}".encode()).hexdigest()[:16]
