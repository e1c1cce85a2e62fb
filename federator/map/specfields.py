"""Reading a field of a mapping file into a ``FieldSpec``, and the checks the file's other parts
share with it: a section that must be a mapping, keys and paths into a record. A mistake raises
``Fail`` at its key path; ``spec`` turns it into a ``ConfigError`` naming the file and line.
"""

from __future__ import annotations

from typing import Any

from federator.map import paths
from federator.map.curies import is_iri
from federator.map.spectypes import FIELD_KEYS, VALUE_KINDS, FieldSpec, NodeSpec
from federator.map.transforms import REGISTRY


class Fail(Exception):
    """A mistake at a key path of the mapping file (turned into a ``ConfigError`` with its
    file and line)."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.message, self.path = message, path


def section(doc: dict[str, Any], key: str, *at: str) -> dict[str, Any]:
    """The mapping under ``key`` of ``doc`` (at key path ``at``); none is an empty one."""
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Fail("is a mapping (key: value lines)", *at, key)
    return value


def key_paths(value: Any, *key: str | int) -> tuple[str, ...]:
    """A key or path into a record, or a list of them, each parsed (see ``paths``)."""
    written = [value] if isinstance(value, str) else value
    if not isinstance(written, list) or not all(isinstance(v, str) for v in written):
        raise Fail("names a key or path, or a list of them", *key)
    for v in written:
        try:
            paths.parse(v)
        except paths.PathError as exc:
            raise Fail(str(exc), *key) from None
    return tuple(written)


def normal(value: Any) -> str:
    """How a value map compares values: case, spacing and surrounding blanks do not count."""
    return " ".join(str(value).split()).casefold()


def read_field(
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
        raise Fail("a field is a mapping of keys (from, property, transforms, ...)", *at)
    for key in spec:
        if key not in FIELD_KEYS:
            raise Fail(f"unknown key (known: {', '.join(FIELD_KEYS)})", *at, key)
    base = inherited or FieldSpec(name=name, sources=(name,), label={"nl": name, "en": name})
    transforms = tuple(spec["transforms"] or ()) if "transforms" in spec else base.transforms
    for t in transforms:
        if t not in REGISTRY:
            raise Fail(
                f"unknown transform {t!r} (known: {', '.join(sorted(REGISTRY))})",
                *at,
                "transforms",
            )
    value = spec.get("value", base.value)
    if value not in VALUE_KINDS:
        raise Fail(f"unknown value kind {value!r} (known: {', '.join(VALUE_KINDS)})", *at, "value")
    node = base.node
    if "node" in spec:
        node = None
    if spec.get("node"):
        n = spec["node"]
        if not isinstance(n, dict) or "id" not in n or "via" not in n:
            raise Fail("a node has an 'id' and a 'via' property (and maybe a 'type')", *at, "node")
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
            raise Fail("is a mapping of sub-fields", *at, "each")
        each = tuple(
            read_field(str(k), v, (*at, "each", k), iri_of, None) for k, v in each_spec.items()
        )
    prop = base.property
    if "property" in spec:
        prop = iri_of(spec["property"], *at, "property") if spec["property"] else None
    if prop is None and not each:
        raise Fail("a field needs 'property' (or 'each')", *at)
    value_map = dict(base.value_map)
    if "map" in spec:
        value_map = {}
        written_map = spec["map"] or {}
        if not isinstance(written_map, dict):
            raise Fail("a value map is a mapping of source value: value", *at, "map")
        for src, dst in written_map.items():
            target = str(dst)
            if value in ("iri", "concept") and (is_iri(target) or ":" in target):
                target = str(iri_of(target, *at, "map", src))
            value_map[normal(src)] = target
    fallback = base.fallback
    if "fallback" in spec:
        fallback = iri_of(spec["fallback"], *at, "fallback") if spec["fallback"] else None
    max_length = spec.get("max_length", base.max_length)
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise Fail("is a whole number of characters", *at, "max_length")
    return FieldSpec(
        name=name,
        sources=key_paths(spec["from"], *at, "from") if spec.get("from") else base.sources,
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
