"""Mapping files: a closed, declarative description of how a layout becomes triples.

A mapping file (YAML, in ``mappings/``; the language is documented in full in
``docs/mappings.md``) names, per field of the publication standard, where its value is in a
record (a key or a path into nested data), the property it becomes, the named transforms and
value maps to apply and the kind of value to write. A file may ``extends`` another and add
renames, defaults, prefixes, fields or where the records are. Everything is checked on load,
so an unknown transform, prefix or key is a configuration error that names the file and its
line, not a crash halfway through a harvest.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rdflib import URIRef

from federator import yamlpos
from federator.errors import ConfigError
from federator.map import paths
from federator.map.transforms import REGISTRY
from federator.vocab import PREFIXES

VALUE_KINDS = ("text", "string", "iri", "concept", "date", "boolean", "contact")
# The mapping language's version: 1 had top-level keys only; 2 added paths, value maps,
# constants and defaults, prefixes, full IRIs, where the records are, languages.
LANGUAGE_VERSION = 2
LANGUAGE_VERSIONS = (1, 2)
TOP_KEYS = (
    "name",
    "description",
    "version",
    "extends",
    "prefixes",
    "rename",
    "defaults",
    "identity",
    "fields",
    "records",
)
FIELD_KEYS = (
    "from",
    "label",
    "property",
    "transforms",
    "map",
    "constant",
    "default",
    "value",
    "fallback",
    "node",
    "multi",
    "max_length",
    "each",
)
RECORD_KEYS = ("path", "sheet", "type", "fields")
# schema.org is written with either scheme; records read from RDF use this one.
SCHEMA_ORG = "https://schema.org/"


def _builtin_folder() -> Path:
    """Where the built-in mapping files are: ``$FEDERATOR_MAPPINGS`` when set (an operator's
    own copy), else the package's ``federator/mappings/`` (an installed wheel ships them as
    package data), else the source tree's top-level ``mappings/`` (a checkout, an editable
    install)."""
    if override := os.environ.get("FEDERATOR_MAPPINGS"):
        return Path(override)
    shipped = resources.files("federator").joinpath("mappings")
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[2] / "mappings"


BUILTIN = _builtin_folder()


class _Fail(Exception):
    """A mistake at a key path of the mapping file (turned into a ``ConfigError`` with its
    file and line)."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.message, self.path = message, path


def is_iri(value: str) -> bool:
    """A full IRI written where a CURIE may go: ``<...>``, or ``scheme://...``, ``urn:...``."""
    return (
        (value.startswith("<") and value.endswith(">"))
        or "://" in value
        or (value.startswith("urn:"))
    )


def curie(value: str, where: str = "", prefixes: dict[str, str] | None = None) -> URIRef:
    """A CURIE (``dcterms:title``, with the built-in prefixes and ``prefixes``) or a full IRI
    (``https://schema.org/name`` or ``<https://schema.org/name>``) as an IRI."""
    if not isinstance(value, str):
        raise ConfigError(f"{value!r} is not a CURIE or an IRI", key=where)
    value = value.strip()
    if is_iri(value):
        return URIRef(_schema(value.strip("<>")))
    known = {**{k: str(v) for k, v in PREFIXES.items()}, **(prefixes or {})}
    prefix, colon, local = value.partition(":")
    if prefix not in known or not colon:
        raise ConfigError(
            f"unknown prefix in {value!r} (known: {', '.join(sorted(known))}; declare one "
            "under 'prefixes:', or write the full IRI)",
            key=where,
        )
    return URIRef(_schema(known[prefix] + local))


def _schema(iri: str) -> str:
    return (
        SCHEMA_ORG + iri[len("http://schema.org/") :]
        if iri.startswith("http://schema.org/")
        else iri
    )


@dataclass(frozen=True)
class NodeSpec:
    id: str
    via: URIRef
    type: URIRef | None = None
    name_property: URIRef | None = None  # write the organisation's name on the node


@dataclass(frozen=True)
class FieldSpec:
    name: str
    sources: tuple[str, ...]  # keys or paths, the first with a value wins
    label: dict[str, str]
    property: URIRef | None = None
    transforms: tuple[str, ...] = ()
    value: str = "text"
    fallback: URIRef | None = None
    node: NodeSpec | None = None
    multi: bool = False
    max_length: int | None = None
    each: tuple[FieldSpec, ...] = ()
    value_map: dict[str, str] = field(default_factory=dict)  # normalised source value -> value
    constant: Any = None  # always this value
    default: Any = None  # this value when the record has none
    line: int | None = None  # where the field is declared


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    identity: dict[str, tuple[str, ...]]
    fields: tuple[FieldSpec, ...]
    rename: dict[str, str] = field(default_factory=dict)
    record_type: URIRef | None = None  # rdf: subjects of this type are records
    record_fields: dict[str, tuple[tuple[URIRef, ...], ...]] = field(default_factory=dict)
    digest: str = ""  # of the file and the files it extends: a changed mapping re-maps
    version: int = LANGUAGE_VERSION
    prefixes: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # key -> value when a record has none
    records_path: str | None = None  # json: where the list of records is
    records_sheet: str | None = None  # xlsx: the sheet that holds the records
    record_types: tuple[URIRef, ...] = ()  # rdf: every class whose subjects are records
    own: frozenset[str] = frozenset()  # keys this file declares itself ("fields.x", "rename.y")
    lines: dict[str, str] = field(default_factory=dict)  # key -> "file:line", for messages

    def field(self, name: str) -> FieldSpec | None:
        return self._by_name().get(name)

    def where(self, key: str) -> str:
        """``file:line`` of a key (``fields.name``, ``rename.Naam``), for messages."""
        return self.lines.get(key) or str(self.path)

    def _by_name(self) -> dict[str, FieldSpec]:
        cached: dict[str, FieldSpec] | None = self.__dict__.get("_names")
        if cached is None:
            cached = {f.name: f for f in self.fields}
            object.__setattr__(self, "_names", cached)
        return cached

    def fields_for(self, present: set[str]) -> list[FieldSpec]:
        """The field specs that read any of the ``present`` top-level keys (a path is read
        where its first key is present), and those with a constant or a default, in mapping
        order."""
        index: dict[str, list[int]] | None = self.__dict__.get("_sources")
        always: list[int] = self.__dict__.get("_always", [])
        if index is None:
            index = {}
            for i, f in enumerate(self.fields):
                if f.constant is not None or f.default is not None:
                    always.append(i)
                for s in f.sources:
                    index.setdefault(s, []).append(i)
                    if not paths.is_plain(s):
                        index.setdefault(paths.root(s), []).append(i)
            object.__setattr__(self, "_sources", index)
            object.__setattr__(self, "_always", always)
        hits = sorted({i for name in present for i in index.get(name, ())} | set(always))
        return [self.fields[i] for i in hits]


def builtin_path(fmt: str) -> Path:
    return BUILTIN / f"{fmt}.yaml"


def load(path: Path) -> Mapping:
    """The mapping file at ``path`` (read again when it, or a file it extends, changed)."""
    return _stat_load(Path(path).resolve())


def _stat_load(path: Path) -> Mapping:
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (0, 0)  # _load says why it cannot read it
    mapping = _load(path, stamp)
    if any(_stamp(p) != s for p, s in mapping.__dict__.get("_parents", ())):
        _load.cache_clear()  # a file it extends changed
        mapping = _load(path, stamp)
    return mapping


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def _resolve_extends(path: Path, name: str) -> Path:
    # Relative to the mapping file; a name of a built-in mapping works from anywhere.
    parent = (path.parent / name).resolve()
    if not parent.exists() and (BUILTIN / name).exists():
        parent = BUILTIN / name
    return parent.resolve()


@lru_cache(maxsize=32)
def _load(path: Path, stamp: tuple[int, int] = (0, 0)) -> Mapping:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read mapping file: {exc.strerror}", file=where) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("a mapping file is UTF-8 text", file=where) from exc
    try:
        located = yamlpos.load(text)
    except yamlpos.Problem as exc:
        raise ConfigError(exc.message, file=where, line=exc.line, key=exc.key) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"malformed YAML: {getattr(exc, 'problem', exc)}",
            file=where,
            line=mark.line + 1 if mark else None,
        ) from exc
    doc = located.data
    lines = {".".join(str(p) for p in key): line for key, line in located.lines.items() if key}
    try:
        mapping = _build(path, doc, text, lines)
    except _Fail as exc:
        raise ConfigError(
            exc.message,
            file=where,
            line=located.line(*exc.path),
            key=".".join(str(p) for p in exc.path),
        ) from exc
    # The files it extends, with their stamps: a change in one is a change of this mapping.
    parents: list[tuple[Path, tuple[int, int]]] = []
    base = mapping.__dict__.get("_base")
    while base is not None:
        parents.append((base.path, _stamp(base.path)))
        base = base.__dict__.get("_base")
    object.__setattr__(mapping, "_parents", tuple(parents))
    return mapping


def _build(path: Path, doc: Any, text: str, line_of: dict[str, int]) -> Mapping:
    lines = {key: f"{path}:{line}" for key, line in line_of.items()}
    if not isinstance(doc, dict):
        raise _Fail("a mapping file is a YAML mapping (key: value lines)")
    for key in doc:
        if key not in TOP_KEYS:
            raise _Fail(f"unknown key (known: {', '.join(TOP_KEYS)})", key)
    version = doc.get("version", LANGUAGE_VERSION)
    if version not in LANGUAGE_VERSIONS:
        raise _Fail(
            f"unknown mapping language version {version!r} (this federator reads "
            f"{', '.join(map(str, LANGUAGE_VERSIONS))})",
            "version",
        )
    base: Mapping | None = None
    if doc.get("extends"):
        if not isinstance(doc["extends"], str):
            raise _Fail("names one mapping file", "extends")
        parent = _resolve_extends(path, doc["extends"])
        if parent == path:
            raise _Fail("a mapping cannot extend itself", "extends")
        if not parent.exists():
            raise _Fail(
                f"no mapping file {doc['extends']!r} (beside this one, or shipped)", "extends"
            )
        base = _stat_load(parent)
    prefixes = dict(base.prefixes if base else {})
    for name, iri in _section(doc, "prefixes").items():
        if not isinstance(iri, str) or not is_iri(iri):
            raise _Fail("a prefix names a namespace IRI (https://...)", "prefixes", name)
        prefixes[str(name)] = _schema(iri.strip("<>"))

    def iri_of(value: Any, *key: str | int) -> URIRef:
        try:
            return curie(value, "", prefixes)
        except ConfigError as exc:
            raise _Fail(exc.message.removeprefix(": "), *key) from None

    rename = _section(doc, "rename")
    for old, new in rename.items():
        if not isinstance(new, str) or not new:
            raise _Fail("a rename names the new key (a field name)", "rename", old)
    defaults = _section(doc, "defaults")
    identity: dict[str, tuple[str, ...]] = {}
    for k, v in _section(doc, "identity").items():
        identity[str(k)] = _paths(v, "identity", k)
    inherited = {f.name: f for f in base.fields} if base else {}
    fields = tuple(
        _field(str(n), s, ("fields", n), iri_of, line_of.get(f"fields.{n}"), inherited.get(n))
        for n, s in _section(doc, "fields").items()
    )
    records = _section(doc, "records")
    for key in records:
        if key not in RECORD_KEYS:
            raise _Fail(f"unknown key (known: {', '.join(RECORD_KEYS)})", "records", key)
    types: tuple[URIRef, ...] = ()
    if records.get("type") is not None:
        written = records["type"] if isinstance(records["type"], list) else [records["type"]]
        types = tuple(iri_of(t, "records", "type") for t in written)
    record_fields: dict[str, tuple[tuple[URIRef, ...], ...]] = {}
    for k, v in _section(records, "fields", "records").items():
        alternatives = v if isinstance(v, list) else [v]
        record_fields[str(k)] = tuple(
            tuple(iri_of(step, "records", "fields", k) for step in _steps(str(a)))
            for a in alternatives
        )
    for key in ("path", "sheet"):
        if records.get(key) is not None and not isinstance(records[key], str):
            raise _Fail("is text", "records", key)
    if records.get("path"):
        try:
            paths.parse(records["path"])
        except paths.PathError as exc:
            raise _Fail(str(exc), "records", "path") from None
    own = frozenset(
        [f"fields.{f.name}" for f in fields]
        + [f"rename.{k}" for k in rename]
        + [f"identity.{k}" for k in identity]
        + [f"records.fields.{k}" for k in record_fields]
    )
    if base:
        identity = {**base.identity, **identity}
        names = {f.name for f in fields}
        fields = tuple(f for f in base.fields if f.name not in names) + fields
        types = types or base.record_types
        record_fields = {**base.record_fields, **record_fields}
        rename = {**base.rename, **rename}
        defaults = {**base.defaults, **defaults}
        lines = {**{k: v for k, v in base.lines.items() if k not in lines}, **lines}
    if not fields:
        raise _Fail("a mapping needs 'fields' (or 'extends' a file that has them)")
    mapping = Mapping(
        name=str(doc.get("name") or path.stem),
        path=path,
        identity=identity,
        fields=fields,
        rename={str(k): str(v) for k, v in rename.items()},
        record_type=types[0] if types else None,
        record_fields=record_fields,
        digest=hashlib.sha256(((base.digest if base else "") + text).encode()).hexdigest(),
        version=int(version),
        prefixes=prefixes,
        defaults={str(k): v for k, v in defaults.items()},
        records_path=records.get("path") or (base.records_path if base else None),
        records_sheet=records.get("sheet") or (base.records_sheet if base else None),
        record_types=types,
        own=own,
        lines=lines,
    )
    object.__setattr__(mapping, "_base", base)
    return mapping


def _steps(path: str) -> list[str]:
    """A property path's steps: ``schema:publisher/schema:name``; full IRIs in a path are
    written in angle brackets (``<https://schema.org/publisher>/<https://schema.org/name>``);
    one full IRI alone needs none."""
    path = path.strip()
    if "<" in path:
        return [
            t if t.startswith("<") else t.strip()
            for t in re.findall(r"<[^>]*>|[^/<>]+", path)
            if t.strip()
        ]
    if "://" in path:
        return [path]
    return [step.strip() for step in path.split("/")]


def _section(doc: dict[str, Any], key: str, *at: str) -> dict[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Fail("is a mapping (key: value lines)", *at, key)
    return value


def _paths(value: Any, *key: str | int) -> tuple[str, ...]:
    written = [value] if isinstance(value, str) else value
    if not isinstance(written, list) or not all(isinstance(v, str) for v in written):
        raise _Fail("names a key or path, or a list of them", *key)
    for v in written:
        try:
            paths.parse(v)
        except paths.PathError as exc:
            raise _Fail(str(exc), *key) from None
    return tuple(written)


def _normal(value: Any) -> str:
    """How a value map compares values: case, spacing and surrounding blanks do not count."""
    return " ".join(str(value).split()).casefold()


def _field(
    name: str,
    spec: Any,
    at: tuple[str | int, ...],
    iri_of: Any,
    line: int | None,
    inherited: FieldSpec | None = None,
) -> FieldSpec:
    """A field; in a file that extends another, a field of the same name there is the
    starting point: only the keys written here change (``from`` alone re-points it)."""
    if not isinstance(spec, dict):
        raise _Fail("a field is a mapping of keys (from, property, transforms, ...)", *at)
    for key in spec:
        if key not in FIELD_KEYS:
            raise _Fail(f"unknown key (known: {', '.join(FIELD_KEYS)})", *at, key)
    base = inherited or FieldSpec(name=name, sources=(name,), label={"nl": name, "en": name})
    transforms = tuple(spec["transforms"] or ()) if "transforms" in spec else base.transforms
    for t in transforms:
        if t not in REGISTRY:
            raise _Fail(
                f"unknown transform {t!r} (known: {', '.join(sorted(REGISTRY))})",
                *at,
                "transforms",
            )
    value = spec.get("value", base.value)
    if value not in VALUE_KINDS:
        raise _Fail(f"unknown value kind {value!r} (known: {', '.join(VALUE_KINDS)})", *at, "value")
    node = base.node
    if "node" in spec:
        node = None
    if spec.get("node"):
        n = spec["node"]
        if not isinstance(n, dict) or "id" not in n or "via" not in n:
            raise _Fail("a node has an 'id' and a 'via' property (and maybe a 'type')", *at, "node")
        node = NodeSpec(
            id=str(n["id"]),
            via=iri_of(n["via"], *at, "node", "via"),
            type=iri_of(n["type"], *at, "node", "type") if n.get("type") else None,
            name_property=(
                iri_of(n["name_property"], *at, "node", "name_property")
                if n.get("name_property")
                else None
            ),
        )
    each = base.each
    if "each" in spec:
        each_spec = spec["each"] or {}
        if not isinstance(each_spec, dict):
            raise _Fail("is a mapping of sub-fields", *at, "each")
        each = tuple(
            _field(str(k), v, (*at, "each", k), iri_of, None) for k, v in each_spec.items()
        )
    prop = base.property
    if "property" in spec:
        prop = iri_of(spec["property"], *at, "property") if spec["property"] else None
    if prop is None and not each:
        raise _Fail("a field needs 'property' (or 'each')", *at)
    value_map = dict(base.value_map)
    if "map" in spec:
        value_map = {}
        written_map = spec["map"] or {}
        if not isinstance(written_map, dict):
            raise _Fail("a value map is a mapping of source value: value", *at, "map")
        for src, dst in written_map.items():
            target = str(dst)
            if value in ("iri", "concept") and (is_iri(target) or ":" in target):
                target = str(iri_of(target, *at, "map", src))
            value_map[_normal(src)] = target
    fallback = base.fallback
    if "fallback" in spec:
        fallback = iri_of(spec["fallback"], *at, "fallback") if spec["fallback"] else None
    max_length = spec.get("max_length", base.max_length)
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise _Fail("is a whole number of characters", *at, "max_length")
    return FieldSpec(
        name=name,
        sources=_paths(spec["from"], *at, "from") if spec.get("from") else base.sources,
        label=dict(spec.get("label") or base.label),
        property=prop,
        transforms=transforms,
        value=value,
        fallback=fallback,
        node=node,
        multi=bool(spec.get("multi", base.multi)),
        max_length=max_length,
        each=each,
        value_map=value_map,
        constant=spec.get("constant", base.constant),
        default=spec.get("default", base.default),
        line=line,
    )


normal = _normal
