"""Validate stage: accept, accept with warnings, or reject each mapped record, with reasons.

Entry point: ``validate(records, mapping)`` -> ``Verdict``. Must-rules (an identifier, a name,
an organisation) reject a record: it is published nowhere and named in the run log. Everything
else is a warning that travels with the record: registers drift, and a stricter harvester
would only hide algorithms from the public.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from federator.map.mapper import MappedRecord
from federator.map.spec import Mapping
from federator.validate import shapes
from federator.validate.messages import MAPPING_ONLY, render


@dataclass
class Verdict:
    accepted: list[MappedRecord] = field(default_factory=list)
    rejected: list[tuple[MappedRecord | None, list[dict[str, Any]]]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)  # every issue, for the run log


def issue(
    rec: MappedRecord | None,
    code: str,
    mapping: Mapping,
    field_name: str = "",
    value: str = "",
    limit: int | None = None,
    native_id: str | None = None,
) -> dict[str, Any]:
    spec = mapping.field(field_name) if field_name else None
    label = spec.label.get("nl", field_name) if spec else field_name
    severity, en, nl = render(code, field=field_name, label=label, value=value, limit=limit)
    return {
        "native_id": native_id or (rec.native_id if rec else None),
        "title": rec.title() if rec else None,
        "severity": severity,
        "field": field_name or None,
        "code": code,
        "value": value or None,
        "message_en": en,
        "message_nl": nl,
    }


def check(rec: MappedRecord, mapping: Mapping) -> list[dict[str, Any]]:
    """Every issue of one record against the shapes, errors first."""
    out: list[dict[str, Any]] = []
    index = shapes.index(rec.nt_triples())
    for v in shapes.validate_index(index):
        rule = v.rule
        if v.value is None and rule.kind == "max":
            # Name what is there too much of (the text that could not be typed).
            found = rule.values(index, v.focus)
            value = "; ".join(shapes.literal_text(n) for n in found)
        else:
            value = shapes.literal_text(v.value)
        if rule.code == "too_long" and len(value) > 60:
            value = value[:60] + "…"
        limit = rule.limit if isinstance(rule.limit, int) else None
        out.append(issue(rec, rule.code, mapping, rule.field, value, limit))
    # What the mapping found that no shape can see (characters reading could not take as text).
    out += [issue(rec, c, mapping, f, v) for f, c, v in rec.warnings if c in MAPPING_ONLY]
    return out


def validate(records: list[MappedRecord], mapping: Mapping) -> Verdict:
    verdict = Verdict()
    for rec in records:
        found = check(rec, mapping)
        verdict.issues += found
        if any(i["severity"] == "error" for i in found):
            verdict.rejected.append((rec, found))
        else:
            verdict.accepted.append(rec)
    return verdict
