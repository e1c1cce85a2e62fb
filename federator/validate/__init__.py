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
from federator.validate.messages import render

# Fields the publication standard 1.0 marks required (a warning when missing).
RECOMMENDED = ("description_short", "status", "contact_email", "publication_category")


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
    """Every issue of one record, errors first."""
    out: list[dict[str, Any]] = []
    if not (rec.identity.get("lars") or rec.identity.get("source_id")):
        out.append(issue(rec, "missing_identifier", mapping, "source_id"))
    if not rec.values.get("name"):
        out.append(issue(rec, "missing_name", mapping, "name"))
    if not rec.organisation:
        out.append(issue(rec, "missing_organisation", mapping, "organization"))
    version = (rec.identity.get("version") or "").strip()
    if version.startswith("1"):
        for name in RECOMMENDED:
            if rec.values.get(name) in (None, "", []):
                out.append(issue(rec, "missing_recommended", mapping, name))
    for spec in mapping.fields:
        value = rec.values.get(spec.name)
        if spec.max_length and isinstance(value, str) and len(value) > spec.max_length:
            out.append(
                issue(rec, "too_long", mapping, spec.name, value[:60] + "…", spec.max_length)
            )
    for field_name, code, value in rec.warnings:
        out.append(issue(rec, code, mapping, field_name, value))
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
