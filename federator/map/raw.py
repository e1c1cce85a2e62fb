"""The raw records of a harvest as a mapping finds them: in a JSON document, a workbook's
sheet, or an RDF graph (the subjects of the mapping's classes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.term import Node

from federator.errors import SourceError
from federator.map import paths
from federator.map.spec import Mapping

if TYPE_CHECKING:  # not at run time: a mapping worker has no use for the HTTP client
    from federator.harvest import Harvested


def raw_records(harvested: Harvested, mapping: Mapping) -> list[dict[str, Any]]:
    """The records of a harvest as the mapping finds them: the subjects of its classes in
    RDF, the list at its ``records.path`` in a JSON document (or the sheet ``records.sheet``
    of a workbook), else the records the reader made."""
    if harvested.graph is not None:
        return records_from_graph(harvested.graph, mapping)
    if harvested.sheets is not None:
        return records_from_sheets(harvested.source_id, harvested.sheets, mapping)
    if harvested.document is not None:
        return records_from_document(harvested.source_id, harvested.document, mapping)
    return harvested.records


# Where a JSON document keeps its records when the mapping does not say (``records.path``).
RECORD_KEYS = ("algoritme_versions", "results", "algoritmes", "records", "@graph", "items", "data")


def records_from_document(source: str, document: Any, mapping: Mapping) -> list[dict[str, Any]]:
    """The list of records in a JSON document: at the mapping's ``records.path``, else the
    document itself when it is a list, else the list under one of ``RECORD_KEYS``."""
    where = f"source {source!r}"
    if mapping.records_path:
        found = paths.get(document, mapping.records_path)
        if not isinstance(found, list):
            raise SourceError(
                f"{where}: the mapping {mapping.where('records.path')} says the records are at "
                f"{mapping.records_path!r}, but the document has "
                + ("nothing there" if found is None else f"a {type(found).__name__} there"),
                code="unexpected_shape",
            )
        data: Any = found
    elif isinstance(document, list):
        data = document
    elif isinstance(document, dict):
        key = next((k for k in RECORD_KEYS if isinstance(document.get(k), list)), None)
        if key is None:
            raise SourceError(
                f"{where}: the document is an object with keys "
                + ", ".join(sorted(map(str, document))[:8])
                + f", none a list of records; name where they are with 'records: {{path: ...}}' "
                f"in the mapping ({mapping.path})",
                code="unexpected_shape",
            )
        data = document[key]
    else:
        raise SourceError(
            f"{where}: the document is not a list of records", code="unexpected_shape"
        )
    bad = [i for i, r in enumerate(data) if not isinstance(r, dict)]
    if bad:
        raise SourceError(
            f"{where}: item {bad[0]} of the records is not an object", code="unexpected_shape"
        )
    return data


def records_from_sheets(
    source: str, sheets: dict[str, list[dict[str, Any]]], mapping: Mapping
) -> list[dict[str, Any]]:
    """The rows of the workbook's sheet ``records.sheet``, else of its first sheet with rows."""
    if mapping.records_sheet:
        if mapping.records_sheet not in sheets:
            raise SourceError(
                f"source {source!r}: the workbook has no sheet {mapping.records_sheet!r} "
                f"(named at {mapping.where('records.sheet')}); its sheets: " + ", ".join(sheets),
                code="unexpected_shape",
            )
        return sheets[mapping.records_sheet]
    return next((rows for rows in sheets.values() if rows), [])


def records_from_graph(graph: rdflib.Graph, mapping: Mapping) -> list[dict[str, Any]]:
    """Read records from RDF: each subject of one of the mapping's classes becomes a record
    whose keys are the names in ``records.fields``, each read by its property (or a path of
    properties, ``schema:publisher/schema:name``). A literal keeps its language as a language
    value (``{"@value": ..., "@language": ...}``); a field of one value keeps one value per
    language."""
    types = mapping.record_types or ((mapping.record_type,) if mapping.record_type else ())
    if not types:
        return []
    graph = _https_schema(graph)
    multi = {f.name for f in mapping.fields if f.multi}
    subjects: set[Node] = set()
    for t in types:
        subjects.update(graph.subjects(RDF.type, t))
    rows = []
    for subject in sorted(subjects, key=str):
        row: dict[str, Any] = {}
        for name, alternatives in mapping.record_fields.items():
            for steps in alternatives:
                nodes: list[Node] = [subject]
                for step in steps:
                    nodes = [o for n in nodes for o in graph.objects(n, step)]
                if nodes:
                    row[name] = _rdf_values(nodes, name in multi)
                    break
        row.setdefault("url", None)
        row["_subject"] = str(subject)
        rows.append(row)
    return rows


def _rdf_values(nodes: list[Node], multi: bool) -> Any:
    values = sorted(
        (
            {"@value": str(n), "@language": n.language}
            if isinstance(n, Literal) and n.language
            else str(n)
            for n in nodes
        ),
        key=lambda v: (str(v.get("@language")), v["@value"]) if isinstance(v, dict) else ("", v),
    )
    if multi:
        return values
    if any(isinstance(v, dict) for v in values):
        first: dict[str, Any] = {}
        for v in values:  # one value per language
            tag = v.get("@language", "") if isinstance(v, dict) else ""
            first.setdefault(tag, v)
        return list(first.values()) if len(first) > 1 else next(iter(first.values()))
    return values[0]


_HTTP_SCHEMA = "http://schema.org/"


def _https_schema(graph: rdflib.Graph) -> rdflib.Graph:
    """schema.org is written with http and with https: read as one (https, as the mapping
    files write it)."""
    if not any(
        str(p).startswith(_HTTP_SCHEMA) or str(o).startswith(_HTTP_SCHEMA)
        for _, p, o in graph.triples((None, RDF.type, None))
    ) and not any(str(p).startswith(_HTTP_SCHEMA) for p in set(graph.predicates())):
        return graph
    out = rdflib.Graph()
    for triple in graph:
        out.add(
            tuple(  # type: ignore[arg-type]
                URIRef("https://schema.org/" + str(t)[len(_HTTP_SCHEMA) :])
                if isinstance(t, URIRef) and str(t).startswith(_HTTP_SCHEMA)
                else t
                for t in triple
            )
        )
    return out
