"""A field applied to a raw value: the value through its value map and transforms, split by
language, and the statements it gives (one node per object for a list of objects), written as
N-Triples terms (``nt``) from the field's ``Plan``."""

from __future__ import annotations

from typing import Any

from federator.map import nt, paths, transforms
from federator.map.identity import first_value, identity_text
from federator.map.nt import Triple
from federator.map.plan import Plan
from federator.map.spec import normal
from federator.terms import RDF_TYPE
from federator.vocab import DCTERMS, REG, VCARD

_DESCRIPTION = nt.iri(str(REG.AlgorithmDescription))
_IDENTIFIER, _PUBLISHER = nt.iri(str(DCTERMS.identifier)), nt.iri(str(DCTERMS.publisher))
_LARS, _SOURCE_ID = nt.iri(str(REG.lars)), nt.iri(str(REG.sourceRecordId))
_ORG_NAME = nt.iri(str(REG.organisationName))
_HAS_EMAIL, _HAS_URL = nt.iri(str(VCARD.hasEmail)), nt.iri(str(VCARD.hasURL))


def is_lang(value: Any) -> bool:
    """A language value: ``{"@value": ..., "@language": ...}``."""
    return isinstance(value, dict) and "@value" in value


def by_language(raw: Any, lang: str, multi: bool) -> list[tuple[str, Any]]:
    """A raw value split by language: ``[(lang, value)]``. Language values
    (``{"@value": ..., "@language": ...}``, as read from RDF or JSON-LD) keep their own tag;
    other values are in the record's ``lang``. A field of one value keeps one per language."""
    if type(raw) is str:  # most values: one text, in the record's language
        return [(lang, raw)]
    items = raw if isinstance(raw, list) else [raw]
    if not any(is_lang(v) for v in items):
        return [(lang, raw)]
    groups: dict[str, list[Any]] = {}
    for v in items:
        if is_lang(v):
            groups.setdefault(nt.tag_of(v, lang), []).append(v["@value"])
        elif v not in paths.EMPTY:
            groups.setdefault(lang, []).append(v)
    return [(tag, values if multi else values[0]) for tag, values in groups.items()]


def field_value(field: Plan, raw: Any, ctx: transforms.Context) -> Any:
    """A raw value (of one language) as the field keeps it: an object's name, through the
    value map, then the transforms; None when nothing is left."""
    value = raw
    if isinstance(value, dict):
        value = identity_text(value)  # an object's name, never the object written out
    elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
        value = [identity_text(v) if isinstance(v, dict) else v for v in value]
        value = [v for v in value if v not in paths.EMPTY] or None
    if value is None:
        return None
    if field.value_map:
        if isinstance(value, list):
            mapped = [_mapped(field, v, ctx) for v in value]
            value = [v for v in mapped if v is not None] or None
        else:
            value = _mapped(field, value, ctx)
        if value is None:
            return None
        if isinstance(value, dict) or (
            isinstance(value, list) and any(isinstance(v, dict) for v in value)
        ):
            return value  # kept as text: no transform types what the map did not know
    for name, step in field.steps:
        if value is None:
            return None
        if isinstance(value, list) and name != "split" and field.multi:
            value = [v for v in (step(x, ctx) for x in value) if v is not None]
            value = value or None
        else:
            value = step(value, ctx)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _mapped(field: Plan, value: Any, ctx: transforms.Context) -> Any:
    """A value through the field's value map. A value the map does not name is kept (as
    text where the field writes IRIs or concepts) and flagged; one that already is a value
    the map gives is taken as it is."""
    if value in paths.EMPTY or isinstance(value, dict | list):
        return value if value not in paths.EMPTY else None
    key = normal(value)
    if key in field.value_map:
        return field.value_map[key]
    if key in field.mapped:
        return value
    ctx.warn("unmapped_value", value)
    if field.kind in ("iri", "concept") and not field.steps:
        return {"text": str(value).strip()}
    return value


def field_triples(
    field: Plan,
    s: str,
    value: Any,
    lang: str,
    org_name: str,
    suffix: str,
    ctx: transforms.Context,
) -> list[Triple]:
    """The statements of a field's value about ``s`` (or about the field's node of ``s``; a
    list of objects numbers its nodes with ``suffix``)."""
    out: list[Triple] = []
    subject = s
    if field.node is not None:
        fragment, via, node_type, name_property = field.node
        subject = nt.node_iri(s, fragment + suffix)
        out.append((s, via, subject))
        if node_type is not None:
            out.append((subject, RDF_TYPE, node_type))
        if name_property is not None and org_name:
            out.append((subject, name_property, nt.plain(org_name)))
    for v in value if isinstance(value, list) else [value]:
        term, prop = _term(field, v, lang, ctx)
        if prop is None:
            prop = field.prop
        elif prop == field.fallback:
            out.append((s, prop, term))  # text that could not be typed: on the description
            continue
        assert prop is not None
        out.append((subject, prop, term))
    return out


def _term(field: Plan, v: Any, lang: str, ctx: transforms.Context) -> tuple[str, str | None]:
    """A value's term, and the property it goes with when not the field's own."""
    if isinstance(v, dict) and "text" in v:
        return nt.text(v["text"], lang), field.fallback
    kind = field.kind
    if kind == "text":
        return nt.text(str(v), lang), None
    if kind == "string":
        return nt.plain(str(v)), None
    if kind in ("concept", "iri"):
        return _link(field, v["iri"] if isinstance(v, dict) else str(v), None, lang, ctx)
    if kind == "boolean":
        return (nt.TRUE if v else nt.FALSE), None
    if kind == "date":
        ((dtype, lexical),) = v.items()
        return nt.typed(lexical, dtype), None
    if kind == "contact":
        if "email" in v:
            return _link(field, v["email"], _HAS_EMAIL, lang, ctx, "invalid_contact")
        return _link(field, v["iri"], _HAS_URL, lang, ctx, "invalid_contact")
    raise ValueError(kind)


def _link(
    field: Plan,
    value: str,
    prop: str | None,
    lang: str,
    ctx: transforms.Context,
    code: str = "invalid_link",
) -> tuple[str, str | None]:
    """An IRI the store takes; anything else is text, flagged. The transforms (``iri``,
    ``contact``) check this already: here it holds for a mapping that writes IRIs without
    them, so that no record's value can ever fail a publish."""
    try:
        return nt.iri(value), prop
    except ValueError:
        ctx.warn(code, value)
        return _term(field, {"text": value}, lang, ctx)


def each_triples(
    field: Plan, raw: Any, s: str, lang: str, org_name: str, ctx: transforms.Context
) -> tuple[list[Triple], list[dict[str, Any]]]:
    """A list of objects (impact assessments, risks, ...): a node per object, the sub-fields
    read from each."""
    items = raw if isinstance(raw, list) else [raw]
    triples: list[Triple] = []
    kept = []
    for i, item in enumerate(it for it in items if isinstance(it, dict)):
        row: dict[str, Any] = {}
        for sub in field.each:
            sub_raw = sub.constant if sub.constant is not None else first_value(item, sub.sources)
            if sub_raw is None:
                sub_raw = sub.default
            if sub_raw is None:
                continue
            for tag, part in by_language(sub_raw, lang, sub.multi):
                value = field_value(sub, part, ctx)
                if value is None:
                    continue
                row.setdefault(sub.name, value)
                triples += field_triples(sub, s, value, tag, org_name, f"-{i + 1}", ctx)
        if row:
            kept.append(row)
    return triples, kept


def identity_triples(
    s: str, ident: dict[str, str | None], org_iri: str, org_name: str
) -> list[Triple]:
    """What identifies the registration; the validate stage's must-rules look at these."""
    out: list[Triple] = [(s, RDF_TYPE, _DESCRIPTION)]
    lars, source_id = ident.get("lars"), ident.get("source_id")
    if lars or source_id:
        out.append((s, _IDENTIFIER, nt.plain(lars or source_id or "")))
    if lars:
        out.append((s, _LARS, nt.plain(lars)))
    if source_id:
        out.append((s, _SOURCE_ID, nt.plain(source_id)))
    if org_iri:
        out.append((s, _PUBLISHER, nt.iri(org_iri)))
    if org_name:
        out.append((s, _ORG_NAME, nt.plain(org_name)))
    return out
