"""A mapped record, and the body of it kept in state and published."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from federator.map import nt, transforms
from federator.map.nt import RdfTriple, Triple


@dataclass
class MappedRecord:
    """One registration of one source, mapped. ``statements`` holds its statements per field,
    as N-Triples terms (``nt``); ``fields`` and ``triples()`` give them as rdflib terms."""

    source: str
    native_id: str
    subject: str  # the source-scoped description IRI
    identity: dict[str, str | None]  # lars, source_id, url, website, modified, ...
    organisation: str  # organisation IRI
    organisation_name: str
    values: dict[str, Any]  # transformed values per field, for resolution and reports
    statements: dict[str, list[Triple]] = field(default_factory=dict)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)  # (field, code, value)
    lang: str = "nl"
    position: int = 0  # order in the source document
    digest: str = ""  # hash of the normalised source record

    def title(self) -> str:
        return str(self.values.get("name") or "")

    def nt_triples(self) -> list[Triple]:
        """Every statement once, in order."""
        return list(dict.fromkeys(chain.from_iterable(self.statements.values())))

    def triples(self) -> list[RdfTriple]:
        """``nt_triples`` as rdflib terms."""
        return [nt.rdf_triple(t) for t in self.nt_triples()]


# What a body says about the registration: the digest (which also covers federator's code and
# the mapping) and the position in the source document are bookkeeping.
DESCRIPTION_KEYS = (
    "subject",
    "identity",
    "organisation",
    "organisation_name",
    "values",
    "lang",
    "nt",
    "warnings",
    "modified_date",  # the published dcterms:modified, from identity by the date parser
)


def same_description(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a record mapped again (new code, a new mapping, or a change in a field nobody
    maps) describes the registration exactly as before: then it did not change for its
    agency, the change feed or its dates."""
    return all(old.get(k) == new.get(k) for k in DESCRIPTION_KEYS)


def record_body(rec: MappedRecord, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-able form kept in state and used to publish: statements as N-Triples lines per
    field (written by ``terms``: every IRI in them is one the store takes)."""
    return {
        "source": rec.source,
        "native_id": rec.native_id,
        "subject": rec.subject,
        "identity": rec.identity,
        "organisation": rec.organisation,
        "organisation_name": rec.organisation_name,
        "values": rec.values,
        "lang": rec.lang,
        "position": rec.position,
        "digest": rec.digest,
        "nt": {name: nt.lines(triples) for name, triples in rec.statements.items()},
        "warnings": [
            {k: w[k] for k in ("field", "code", "value", "message_en", "message_nl")}
            for w in warnings
        ],
        # Parsed here, in the mapping workers, not for every record at each publish.
        "modified_date": transforms.modified_date(rec.identity.get("modified")),
    }
