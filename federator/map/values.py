"""A field spec applied to a raw value: the value through its value map and transforms, split
by language, and the triples it gives (one node per object for a list of objects)."""

from __future__ import annotations

import functools
from typing import Any

from rdflib import RDF, XSD, Literal, URIRef
from rdflib.term import Node

from federator import terms
from federator.map import paths, transforms
from federator.map.identity import first_value, identity_text
from federator.map.record import Triple
from federator.map.spec import FieldSpec, normal
from federator.vocab import DCTERMS, REG, VCARD

_TRUE, _FALSE = Literal(True), Literal(False)
# Looked up once: an rdflib namespace attribute is a call each time (0.9-1.8 us, timeit).
_TYPE, _DESCRIPTION = RDF.type, REG.AlgorithmDescription
_IDENTIFIER, _PUBLISHER = DCTERMS.identifier, DCTERMS.publisher
_LARS, _SOURCE_ID, _ORG_NAME = REG.lars, REG.sourceRecordId, REG.organisationName


# rdflib's Literal() costs 4-15 microseconds (a typed date the most); the values that repeat
# across records (dates, organisation names) are made once, and the two booleans are
# constants. Literals are immutable, so sharing them is safe. A small cache: it keeps the
# repeating values, and long unique strings do not pile up in it.
@functools.lru_cache(maxsize=4096)
def _plain(text: str) -> Literal:
    return Literal(text)


@functools.lru_cache(maxsize=4096)
def _typed(lexical: str, dtype: str) -> Literal:
    return Literal(lexical, datatype=XSD[dtype])


def is_lang(value: Any) -> bool:
    """A language value: ``{"@value": ..., "@language": ...}``."""
    return isinstance(value, dict) and "@value" in value


def by_language(raw: Any, lang: str, multi: bool) -> list[tuple[str, Any]]:
    """A raw value split by language: ``[(lang, value)]``. Language values
    (``{"@value": ..., "@language": ...}``, as read from RDF or JSON-LD) keep their own tag;
    other values are in the record's ``lang``. A field of one value keeps one per language."""
    items = raw if isinstance(raw, list) else [raw]
    if not any(is_lang(v) for v in items):
        return [(lang, raw)]
    groups: dict[str, list[Any]] = {}
    for v in items:
        if is_lang(v):
            groups.setdefault(str(v.get("@language") or lang).lower(), []).append(v["@value"])
        elif v not in paths.EMPTY:
            groups.setdefault(lang, []).append(v)
    return [(tag, values if multi else values[0]) for tag, values in groups.items()]


def field_value(spec: FieldSpec, raw: Any, ctx: transforms.Context) -> Any:
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
    if spec.value_map:
        if isinstance(value, list):
            mapped = [_mapped(spec, v, ctx) for v in value]
            value = [v for v in mapped if v is not None] or None
        else:
            value = _mapped(spec, value, ctx)
        if value is None:
            return None
        if isinstance(value, dict) or (
            isinstance(value, list) and any(isinstance(v, dict) for v in value)
        ):
            return value  # kept as text: no transform types what the map did not know
    for name in spec.transforms:
        if value is None:
            return None
        if isinstance(value, list) and name != "split" and spec.multi:
            value = [v for v in (transforms.REGISTRY[name](x, ctx) for x in value) if v is not None]
            value = value or None
        else:
            value = transforms.REGISTRY[name](value, ctx)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _mapped(spec: FieldSpec, value: Any, ctx: transforms.Context) -> Any:
    """A value through the field's value map. A value the map does not name is kept (as
    text where the field writes IRIs or concepts) and flagged; one that already is a value
    the map gives is taken as it is."""
    if value in paths.EMPTY or isinstance(value, dict | list):
        return value if value not in paths.EMPTY else None
    key = normal(value)
    if key in spec.value_map:
        return spec.value_map[key]
    if key in {normal(v) for v in spec.value_map.values()}:
        return value
    ctx.warn("unmapped_value", value)
    if spec.value in ("iri", "concept") and not spec.transforms:
        return {"text": str(value).strip()}
    return value


def field_triples(
    spec: FieldSpec,
    s: URIRef,
    value: Any,
    lang: str,
    org_name: str,
    suffix: str,
    ctx: transforms.Context,
) -> list[Triple]:
    """The triples of a field's value about ``s`` (or about the field's node of ``s``; a list
    of objects numbers its nodes with ``suffix``)."""
    out: list[Triple] = []
    subject: URIRef = s
    if spec.node:
        subject = URIRef(f"{s}#{spec.node.id}{suffix}")
        out.append((s, spec.node.via, subject))
        if spec.node.type is not None:
            out.append((subject, _TYPE, spec.node.type))
        if spec.node.name_property is not None and org_name:
            out.append((subject, spec.node.name_property, _plain(org_name)))
    for v in value if isinstance(value, list) else [value]:
        term, prop = _term(spec, v, lang, ctx)
        if term is None:
            continue
        if prop is None:
            prop = spec.property
        elif spec.fallback is not None and prop == spec.fallback:
            subject_ = s  # text that could not be typed is kept on the description itself
            out.append((subject_, prop, term))
            continue
        assert prop is not None
        out.append((subject, prop, term))
    return out


def _term(
    spec: FieldSpec, v: Any, lang: str, ctx: transforms.Context
) -> tuple[Node | None, URIRef | None]:
    if isinstance(v, dict) and "text" in v:
        literal = Literal(v["text"], lang=lang)
        return (literal, spec.fallback) if spec.fallback is not None else (literal, None)
    kind = spec.value
    if kind == "text":
        return Literal(str(v), lang=lang), None
    if kind == "string":
        return _plain(str(v)), None
    if kind in ("concept", "iri"):
        return _link(spec, v["iri"] if isinstance(v, dict) else str(v), None, lang, ctx)
    if kind == "boolean":
        return (_TRUE if v else _FALSE), None
    if kind == "date":
        ((dtype, lexical),) = v.items()
        return _typed(lexical, dtype), None
    if kind == "contact":
        if "email" in v:
            return _link(spec, v["email"], VCARD.hasEmail, lang, ctx, "invalid_contact")
        return _link(spec, v["iri"], VCARD.hasURL, lang, ctx, "invalid_contact")
    raise ValueError(kind)


def _link(
    spec: FieldSpec,
    value: str,
    prop: URIRef | None,
    lang: str,
    ctx: transforms.Context,
    code: str = "invalid_link",
) -> tuple[Node | None, URIRef | None]:
    """An IRI the store takes; anything else is text, flagged. The transforms (``iri``,
    ``contact``) check this already: here it holds for a mapping that writes IRIs without
    them, so that no record's value can ever fail a publish."""
    if terms.valid_iri(value):
        return URIRef(value), prop
    ctx.warn(code, value)
    return _term(spec, {"text": value}, lang, ctx)


def each_triples(
    spec: FieldSpec, raw: Any, s: URIRef, lang: str, org_name: str, ctx: transforms.Context
) -> tuple[list[Triple], list[dict[str, Any]]]:
    """A list of objects (impact assessments, risks, ...): a node per object, the sub-fields
    read from each."""
    items = raw if isinstance(raw, list) else [raw]
    triples: list[Triple] = []
    kept = []
    for i, item in enumerate(it for it in items if isinstance(it, dict)):
        row: dict[str, Any] = {}
        for sub in spec.each:
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
    s: URIRef, ident: dict[str, str | None], org_iri: str, org_name: str
) -> list[Triple]:
    """What identifies the registration; the validate stage's must-rules look at these."""
    out: list[Triple] = [(s, _TYPE, _DESCRIPTION)]
    lars, source_id = ident.get("lars"), ident.get("source_id")
    if lars or source_id:
        out.append((s, _IDENTIFIER, _plain(lars or source_id or "")))
    if lars:
        out.append((s, _LARS, _plain(lars)))
    if source_id:
        out.append((s, _SOURCE_ID, _plain(source_id)))
    if org_iri:
        out.append((s, _PUBLISHER, URIRef(org_iri)))
    if org_name:
        out.append((s, _ORG_NAME, _plain(org_name)))
    return out
