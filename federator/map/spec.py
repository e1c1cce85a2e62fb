"""Mapping files: a closed, declarative description of how a layout becomes triples.

A mapping file (YAML, in ``mappings/``) names, per field of the publication standard, the
property it becomes, the named transforms to apply and the kind of value to write. A file may
``extend`` another and only add renames or record selection (one file per format).  Everything
is checked on load, so an unknown transform or prefix is a configuration error, not a crash
halfway through a harvest.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rdflib import URIRef

from federator.errors import ConfigError
from federator.map.transforms import REGISTRY
from federator.vocab import PREFIXES

VALUE_KINDS = ("text", "string", "iri", "concept", "date", "boolean", "contact")
# The built-in mapping files live in the repository's mappings/ folder; an installed copy
# elsewhere (a container image) says where with FEDERATOR_MAPPINGS.
BUILTIN = Path(
    os.environ.get("FEDERATOR_MAPPINGS") or Path(__file__).resolve().parents[2] / "mappings"
)


def curie(value: str, where: str) -> URIRef:
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    prefix, _, local = value.partition(":")
    if prefix not in PREFIXES or not _:
        raise ConfigError(f"unknown prefix in {value!r} (known: {', '.join(PREFIXES)})", key=where)
    return URIRef(str(PREFIXES[prefix]) + local)


@dataclass(frozen=True)
class NodeSpec:
    id: str
    via: URIRef
    type: URIRef | None = None
    name_property: URIRef | None = None  # write the organisation's name on the node


@dataclass(frozen=True)
class FieldSpec:
    name: str
    sources: tuple[str, ...]
    label: dict[str, str]
    property: URIRef | None = None
    transforms: tuple[str, ...] = ()
    value: str = "text"
    fallback: URIRef | None = None
    node: NodeSpec | None = None
    multi: bool = False
    max_length: int | None = None
    each: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    identity: dict[str, tuple[str, ...]]
    fields: tuple[FieldSpec, ...]
    rename: dict[str, str] = field(default_factory=dict)
    record_type: URIRef | None = None  # rdf: subjects of this type are records
    record_fields: dict[str, URIRef] = field(default_factory=dict)  # rdf: field <- property
    digest: str = ""  # of the file and the files it extends: a changed mapping re-maps

    def field(self, name: str) -> FieldSpec | None:
        return self._by_name().get(name)

    def _by_name(self) -> dict[str, FieldSpec]:
        cached: dict[str, FieldSpec] | None = self.__dict__.get("_names")
        if cached is None:
            cached = {f.name: f for f in self.fields}
            object.__setattr__(self, "_names", cached)
        return cached

    def fields_for(self, present: set[str]) -> list[FieldSpec]:
        """The field specs that read any of the ``present`` source fields, in mapping order."""
        index: dict[str, list[int]] | None = self.__dict__.get("_sources")
        if index is None:
            index = {}
            for i, f in enumerate(self.fields):
                for s in f.sources:
                    index.setdefault(s, []).append(i)
            object.__setattr__(self, "_sources", index)
        hits = sorted({i for name in present for i in index.get(name, ())})
        return [self.fields[i] for i in hits]


def builtin_path(fmt: str) -> Path:
    return BUILTIN / f"{fmt}.yaml"


def load(path: Path) -> Mapping:
    return _load(Path(path).resolve())


@lru_cache(maxsize=32)
def _load(path: Path) -> Mapping:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"cannot read mapping file: {exc.strerror}", file=where) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"malformed YAML: {getattr(exc, 'problem', exc)}",
            file=where,
            line=mark.line + 1 if mark else None,
        ) from exc
    if not isinstance(doc, dict):
        raise ConfigError("a mapping file is a YAML mapping", file=where)
    known = {"name", "description", "extends", "rename", "identity", "fields", "records"}
    for key in doc:
        if key not in known:
            raise ConfigError(
                f"unknown key (known: {', '.join(sorted(known))})", file=where, key=key
            )
    base: Mapping | None = None
    if doc.get("extends"):
        # Relative to the mapping file; a name of a built-in mapping works from anywhere.
        parent = (path.parent / doc["extends"]).resolve()
        if not parent.exists() and (BUILTIN / doc["extends"]).exists():
            parent = BUILTIN / doc["extends"]
        base = _load(parent.resolve())
    try:
        identity = {k: tuple(_strings(v)) for k, v in (doc.get("identity") or {}).items()}
        fields = tuple(_field(n, s, n) for n, s in (doc.get("fields") or {}).items())
        records = doc.get("records") or {}
        record_type = curie(records["type"], "records.type") if "type" in records else None
        record_fields = {
            k: curie(v, f"records.fields.{k}") for k, v in (records.get("fields") or {}).items()
        }
    except ConfigError as exc:
        raise ConfigError(exc.message, file=where) from exc
    except (TypeError, AttributeError, KeyError) as exc:
        raise ConfigError(f"malformed mapping: {exc}", file=where) from exc
    if base:
        identity = {**base.identity, **identity}
        names = {f.name for f in fields}
        fields = tuple(f for f in base.fields if f.name not in names) + fields
        record_type = record_type or base.record_type
        record_fields = {**base.record_fields, **record_fields}
    rename = {**(base.rename if base else {}), **(doc.get("rename") or {})}
    if not fields:
        raise ConfigError(
            "a mapping needs 'fields' (or 'extends' a file that has them)", file=where
        )
    return Mapping(
        name=doc.get("name") or path.stem,
        path=path,
        identity=identity,
        fields=fields,
        rename=rename,
        record_type=record_type,
        record_fields=record_fields,
        digest=hashlib.sha256(((base.digest if base else "") + text).encode()).hexdigest(),
    )


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _field(name: str, spec: dict[str, Any], where: str) -> FieldSpec:
    allowed = {
        "from",
        "label",
        "property",
        "transforms",
        "value",
        "fallback",
        "node",
        "multi",
        "max_length",
        "each",
    }
    for key in spec:
        if key not in allowed:
            raise ConfigError(f"unknown key {key!r} in field", key=f"fields.{where}")
    transforms = tuple(spec.get("transforms") or ())
    for t in transforms:
        if t not in REGISTRY:
            raise ConfigError(
                f"unknown transform {t!r} (known: {', '.join(sorted(REGISTRY))})",
                key=f"fields.{where}",
            )
    value = spec.get("value", "text")
    if value not in VALUE_KINDS:
        raise ConfigError(f"unknown value kind {value!r}", key=f"fields.{where}")
    node = None
    if spec.get("node"):
        n = spec["node"]
        node = NodeSpec(
            id=n["id"],
            via=curie(n["via"], f"fields.{where}.node.via"),
            type=curie(n["type"], f"fields.{where}.node.type") if n.get("type") else None,
            name_property=curie(n["name_property"], where) if n.get("name_property") else None,
        )
    each = tuple(_field(k, v, f"{where}.{k}") for k, v in (spec.get("each") or {}).items())
    if not spec.get("property") and not each:
        raise ConfigError("a field needs 'property' (or 'each')", key=f"fields.{where}")
    return FieldSpec(
        name=name,
        sources=tuple(_strings(spec.get("from") or name)),
        label=dict(spec.get("label") or {"nl": name, "en": name}),
        property=curie(spec["property"], f"fields.{where}") if spec.get("property") else None,
        transforms=transforms,
        value=value,
        fallback=curie(spec["fallback"], f"fields.{where}") if spec.get("fallback") else None,
        node=node,
        multi=bool(spec.get("multi", False)),
        max_length=spec.get("max_length"),
        each=each,
    )
