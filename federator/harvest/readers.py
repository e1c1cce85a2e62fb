"""Read a fetched document into records: JSON, CSV (as Dutch registers write it) or RDF.

Every failure is a ``SourceError`` whose message says what was wrong, in terms a register's
maintainer can act on.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import rdflib

from federator.errors import SourceError

_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}
RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".jsonld": "json-ld",
    ".nq": "nquads",
    ".trig": "trig",
}


def looks_like_html(body: bytes, content_type: str) -> bool:
    if "html" in content_type.lower():
        return True
    head = body[:512].lstrip().lower()
    return head.startswith(_HTML_STARTS)


def reject_html(where: str, body: bytes, content_type: str, expected: str) -> None:
    if looks_like_html(body, content_type):
        raise SourceError(
            f"{where}: expected {expected} but got an HTML page (an error or login page?)",
            code="html_instead_of_data",
        )


def read_json(where: str, body: bytes, content_type: str) -> Any:
    reject_html(where, body, content_type, "JSON")
    if not body.strip():
        raise SourceError(f"{where}: the document is empty", code="empty_document")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{where}: JSON is not UTF-8 ({exc.reason})", code="bad_encoding"
        ) from exc
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(body.rstrip()) - 1
        what = "the JSON ends too early (truncated?)" if truncated else "invalid JSON"
        raise SourceError(
            f"{where}: {what} at line {exc.lineno} column {exc.colno}: {exc.msg}",
            code="truncated" if truncated else "invalid_json",
        ) from exc


def records_from_json(where: str, data: Any) -> list[dict[str, Any]]:
    """A plain list of registrations, or the bulk export ``{"algoritme_versions": [...]}``."""
    if isinstance(data, dict):
        for key in ("algoritme_versions", "results", "algoritmes"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            raise SourceError(
                f"{where}: expected a list of registrations or "
                '{"algoritme_versions": [...]}, got an object with keys '
                + ", ".join(sorted(map(str, data))[:8]),
                code="unexpected_shape",
            )
    if not isinstance(data, list):
        raise SourceError(f"{where}: expected a list of registrations", code="unexpected_shape")
    bad = [i for i, r in enumerate(data) if not isinstance(r, dict)]
    if bad:
        raise SourceError(
            f"{where}: item {bad[0]} is not a registration object", code="unexpected_shape"
        )
    return data


def decode_text(where: str, body: bytes) -> str:
    """UTF-8 (BOM or not); Windows-1252 when that is what a spreadsheet wrote."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{where}: text is neither UTF-8 nor Windows-1252", code="bad_encoding"
            ) from exc


def read_csv(where: str, body: bytes, content_type: str) -> list[dict[str, Any]]:
    reject_html(where, body, content_type, "CSV")
    text = decode_text(where, body)
    if not text.strip():
        raise SourceError(f"{where}: the document is empty", code="empty_document")
    header = text.split("\n", 1)[0]
    # Dutch spreadsheet exports use ';'; decide on the header alone, where it is unambiguous.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    fields = [f.strip() for f in reader.fieldnames or []]
    if "name" not in fields:
        raise SourceError(
            f"{where}: the CSV header has no 'name' column (found: {', '.join(fields[:10])})",
            code="unexpected_shape",
        )
    reader.fieldnames = fields
    rows: list[dict[str, Any]] = []
    try:
        for row in reader:
            if None in row:
                raise SourceError(
                    f"{where}: line {reader.line_num} has more cells than the header",
                    code="invalid_csv",
                )
            rows.append({k: v for k, v in row.items() if k})
    except csv.Error as exc:
        raise SourceError(
            f"{where}: invalid CSV at line {reader.line_num}: {exc} (truncated?)",
            code="invalid_csv",
        ) from exc
    return rows


def read_rdf(where: str, body: bytes, content_type: str, name: str) -> rdflib.Graph:
    fmt = RDF_TYPES.get(content_type.split(";")[0].strip().lower())
    if fmt is None:
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        fmt = RDF_SUFFIXES.get(suffix)
    if fmt is None:
        reject_html(where, body, content_type, "RDF")
        fmt = rdflib.util.guess_format(name) or "turtle"
    graph = rdflib.Graph()
    try:
        graph.parse(data=body, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise SourceError(
            f"{where}: invalid RDF ({fmt}): {str(exc)[:300]}", code="invalid_rdf"
        ) from exc
    return graph
