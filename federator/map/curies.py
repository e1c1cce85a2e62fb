"""IRIs as mapping files write them: CURIEs with the built-in or the file's own prefixes, full
IRIs (``https://…``, ``<https://…>``, ``urn:…``), and property paths of either
(``schema:publisher/schema:name``). schema.org is written with either scheme; it is always read
as the one records read from RDF use.
"""

from __future__ import annotations

import re

from rdflib import URIRef

from federator.errors import ConfigError
from federator.vocab import PREFIXES

# schema.org is written with either scheme; records read from RDF use this one.
SCHEMA_ORG = "https://schema.org/"


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
        return URIRef(schema_https(value.strip("<>")))
    known = {**{k: str(v) for k, v in PREFIXES.items()}, **(prefixes or {})}
    prefix, colon, local = value.partition(":")
    if prefix not in known or not colon:
        raise ConfigError(
            f"unknown prefix in {value!r} (known: {', '.join(sorted(known))}; declare one "
            "under 'prefixes:', or write the full IRI)",
            key=where,
        )
    return URIRef(schema_https(known[prefix] + local))


def schema_https(iri: str) -> str:
    return (
        SCHEMA_ORG + iri[len("http://schema.org/") :]
        if iri.startswith("http://schema.org/")
        else iri
    )


def steps(path: str) -> list[str]:
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
