"""What a loaded mapping file is (``Mapping``, its ``FieldSpec``s and their ``NodeSpec``s), and the
words of the mapping language: its versions, the keys a file, a field and ``records`` may have,
and the kinds of value a field writes. ``spec`` reads files into these; ``docs/mappings.md``
documents the language in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import URIRef

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
