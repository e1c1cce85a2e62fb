"""A mapping's fields as the record work applies them, worked out once per mapping: the
transforms as functions, the IRIs as N-Triples terms, and which fields read which of a
record's keys, instead of for every field of every record (the last alone was 4% of a
worker's time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from federator.map import nt, paths, transforms
from federator.map.spec import FieldSpec, Mapping, normal


@dataclass(frozen=True, eq=False)
class Plan:
    """One field (or sub-field of ``each``) of a mapping (``FieldSpec``)."""

    name: str
    sources: tuple[str, ...]
    constant: Any
    default: Any
    multi: bool
    kind: str  # the kind of value written (``FieldSpec.value``)
    value_map: dict[str, str]
    mapped: frozenset[str]  # what the value map gives, normalised (``spec.normal``)
    steps: tuple[tuple[str, Callable[[Any, transforms.Context], Any]], ...]  # transforms
    prop: str | None  # N-Triples terms of the field's IRIs
    fallback: str | None
    node: tuple[str, str, str | None, str | None] | None  # id, via, type, name property
    each: tuple[Plan, ...]


@dataclass(frozen=True, eq=False)
class Plans:
    """Every field of a mapping; ``index``: which fields read a top-level key (a path is read
    where its first key is); ``always``: those with a constant or a default."""

    fields: tuple[Plan, ...]
    index: dict[str, tuple[int, ...]]
    always: frozenset[int]

    def present(self, record: dict[str, Any]) -> list[Plan]:
        """The fields that read any key of ``record`` with a value, and those with a constant
        or a default, in mapping order: any other field reads nothing in it (a key, or a path
        from a key, that has no value)."""
        hits = set(self.always)
        index = self.index
        for key, value in record.items():
            if value is not None and value != "" and value != [] and key in index:
                hits.update(index[key])
        fields = self.fields
        return [fields[i] for i in sorted(hits)]


def _iri(value: Any) -> str | None:
    return None if value is None else nt.iri(str(value))


def plan(spec: FieldSpec) -> Plan:
    node = spec.node
    return Plan(
        name=spec.name,
        sources=spec.sources,
        constant=spec.constant,
        default=spec.default,
        multi=spec.multi,
        kind=spec.value,
        value_map=spec.value_map,
        mapped=frozenset(normal(v) for v in spec.value_map.values()),
        steps=tuple((name, transforms.REGISTRY[name]) for name in spec.transforms),
        prop=_iri(spec.property),
        fallback=_iri(spec.fallback),
        node=(
            None
            if node is None
            else (node.id, nt.iri(str(node.via)), _iri(node.type), _iri(node.name_property))
        ),
        each=tuple(plan(sub) for sub in spec.each),
    )


def plans(mapping: Mapping) -> Plans:
    """The mapping's plans, made on first use and kept with it (a mapping never changes:
    ``spec.load`` gives a new one for a changed file)."""
    found: Plans | None = mapping.__dict__.get("_plans")
    if found is None:
        index: dict[str, list[int]] = {}
        always = set()
        for i, f in enumerate(mapping.fields):
            if f.constant is not None or f.default is not None:
                always.add(i)
            for s in f.sources:
                index.setdefault(s, []).append(i)
                if not paths.is_plain(s):
                    index.setdefault(paths.root(s), []).append(i)
        found = Plans(
            fields=tuple(plan(f) for f in mapping.fields),
            index={k: tuple(v) for k, v in index.items()},
            always=frozenset(always),
        )
        object.__setattr__(mapping, "_plans", found)
    return found
