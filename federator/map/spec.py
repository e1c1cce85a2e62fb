"""Mapping files: a closed, declarative description of how a layout becomes triples.

A mapping file (YAML, in ``mappings/``; the language is documented in full in
``docs/mappings.md``) names, per field of the publication standard, where its value is in a
record (a key or a path into nested data), the property it becomes, the named transforms and
value maps to apply and the kind of value to write. A file may ``extends`` another and add
renames, defaults, prefixes, fields or where the records are. Everything is checked on load,
so an unknown transform, prefix or key is a configuration error that names the file and its
line, not a crash halfway through a harvest.

The file's words and what it is read into are ``spectypes``'s, its IRIs ``curies``'s and its
fields ``specfields``'s; this module reads whole files (and the files they extend), with a cache.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from rdflib import URIRef

from federator import yamlpos
from federator.errors import ConfigError
from federator.map import paths
from federator.map.curies import SCHEMA_ORG, curie, is_iri, schema_https, steps
from federator.map.specfields import Fail, key_paths, normal, read_field, section
from federator.map.spectypes import (
    FIELD_KEYS,
    LANGUAGE_VERSION,
    LANGUAGE_VERSIONS,
    RECORD_KEYS,
    TOP_KEYS,
    VALUE_KINDS,
    FieldSpec,
    Mapping,
    NodeSpec,
)

# What callers read about mapping files stays importable from here, wherever it is defined.
__all__ = [
    "BUILTIN",
    "FIELD_KEYS",
    "LANGUAGE_VERSION",
    "LANGUAGE_VERSIONS",
    "RECORD_KEYS",
    "SCHEMA_ORG",
    "TOP_KEYS",
    "VALUE_KINDS",
    "FieldSpec",
    "Mapping",
    "NodeSpec",
    "builtin_path",
    "curie",
    "is_iri",
    "load",
    "normal",
]


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
    except Fail as exc:
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
        raise Fail("a mapping file is a YAML mapping (key: value lines)")
    for key in doc:
        if key not in TOP_KEYS:
            raise Fail(f"unknown key (known: {', '.join(TOP_KEYS)})", key)
    version = doc.get("version", LANGUAGE_VERSION)
    if version not in LANGUAGE_VERSIONS:
        raise Fail(
            f"unknown mapping language version {version!r} (this federator reads "
            f"{', '.join(map(str, LANGUAGE_VERSIONS))})",
            "version",
        )
    base: Mapping | None = None
    if doc.get("extends"):
        if not isinstance(doc["extends"], str):
            raise Fail("names one mapping file", "extends")
        parent = _resolve_extends(path, doc["extends"])
        if parent == path:
            raise Fail("a mapping cannot extend itself", "extends")
        if not parent.exists():
            raise Fail(
                f"no mapping file {doc['extends']!r} (beside this one, or shipped)", "extends"
            )
        base = _stat_load(parent)
    prefixes = dict(base.prefixes if base else {})
    for name, iri in section(doc, "prefixes").items():
        if not isinstance(iri, str) or not is_iri(iri):
            raise Fail("a prefix names a namespace IRI (https://...)", "prefixes", name)
        prefixes[str(name)] = schema_https(iri.strip("<>"))

    def iri_of(value: Any, *key: str | int) -> URIRef:
        try:
            return curie(value, "", prefixes)
        except ConfigError as exc:
            raise Fail(exc.message.removeprefix(": "), *key) from None

    rename = section(doc, "rename")
    for old, new in rename.items():
        if not isinstance(new, str) or not new:
            raise Fail("a rename names the new key (a field name)", "rename", old)
    defaults = section(doc, "defaults")
    identity: dict[str, tuple[str, ...]] = {}
    for k, v in section(doc, "identity").items():
        identity[str(k)] = key_paths(v, "identity", k)
    inherited = {f.name: f for f in base.fields} if base else {}
    fields = tuple(
        read_field(str(n), s, ("fields", n), iri_of, line_of.get(f"fields.{n}"), inherited.get(n))
        for n, s in section(doc, "fields").items()
    )
    records = section(doc, "records")
    for key in records:
        if key not in RECORD_KEYS:
            raise Fail(f"unknown key (known: {', '.join(RECORD_KEYS)})", "records", key)
    types: tuple[URIRef, ...] = ()
    if records.get("type") is not None:
        written = records["type"] if isinstance(records["type"], list) else [records["type"]]
        types = tuple(iri_of(t, "records", "type") for t in written)
    record_fields: dict[str, tuple[tuple[URIRef, ...], ...]] = {}
    for k, v in section(records, "fields", "records").items():
        alternatives = v if isinstance(v, list) else [v]
        record_fields[str(k)] = tuple(
            tuple(iri_of(step, "records", "fields", k) for step in steps(str(a)))
            for a in alternatives
        )
    for key in ("path", "sheet"):
        if records.get(key) is not None and not isinstance(records[key], str):
            raise Fail("is text", "records", key)
    if records.get("path"):
        try:
            paths.parse(records["path"])
        except paths.PathError as exc:
            raise Fail(str(exc), "records", "path") from None
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
        raise Fail("a mapping needs 'fields' (or 'extends' a file that has them)")
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
