"""Read a fetched document into records: JSON, CSV (as spreadsheets write it), XLSX or RDF.

Every failure is a ``SourceError`` whose message says what was wrong, in terms a register's
maintainer can act on.

What no text may hold is replaced here, as a decoder replaces bytes it cannot read: a lone
surrogate (JSON's ``"\\ud800"``, which no UTF-8 text, database or store takes) and control
characters but tab, line feed and carriage return become U+FFFD. So no value past reading
can fail a later stage, and the mapping tells the agency where it finds one
(``unreadable_characters``).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from federator.errors import SourceError

if TYPE_CHECKING:  # rdflib is loaded where RDF is read (every run process would pay it)
    import rdflib

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


# Control characters (C0 but tab, LF, CR; DEL; C1) and lone surrogates.
ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
REPLACEMENT = "\ufffd"
# In JSON's text, the escapes that can make one of them (a false hit, such as an escaped
# backslash before "u001b" or a surrogate pair, only costs a walk over the data).
_ODD_ESCAPE = re.compile(r"\\u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|[dD][89a-fA-F])")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate and control character but tab, LF and CR replaced
    by U+FFFD."""
    return ODD.sub(REPLACEMENT, text) if ODD.search(text) else text


def clean(value: Any) -> Any:
    """A JSON value with ``clean_text`` applied to every string in it, keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


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


def read_json(
    where: str,
    body: bytes,
    content_type: str,
    encoding: str | None = None,
    notes: list[dict[str, Any]] | None = None,
) -> Any:
    """A JSON document: UTF-8 (BOM or not) or UTF-16 with a BOM, else ``encoding``; text that
    decodes only as Windows-1252 is read so, and said in ``notes``."""
    reject_html(where, body, content_type, "JSON")
    if not body.strip():
        raise SourceError(f"{where}: the document is empty", code="empty_document")
    text = _decode(where, body, encoding, notes, clean=False)
    try:
        data, raw_controls = _loads(text)
    except json.JSONDecodeError as exc:
        truncated = exc.pos >= len(body.rstrip()) - 1
        what = "the JSON ends too early (truncated?)" if truncated else "invalid JSON"
        raise SourceError(
            f"{where}: {what} at line {exc.lineno} column {exc.colno}: {exc.msg}",
            code="truncated" if truncated else "invalid_json",
        ) from exc
    # Decoded UTF-8 holds no lone surrogate: only an escape (or a raw control character in a
    # string, which strict JSON refuses) makes one of what no text may hold, so the data is
    # walked only when its text has one.
    return clean(data) if raw_controls or _ODD_ESCAPE.search(text) else data


def _loads(text: str) -> tuple[Any, bool]:
    """The JSON value, and whether a string in it holds a raw control character (which JSON
    does not allow, but one character should not cost a register all its records)."""
    try:
        return json.loads(text), False
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Invalid control character"):
            raise
    return json.loads(text, strict=False), True


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


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# What Mac Roman's accented letters become when read as Windows-1252 (é as Ž, ë as ‘, ...):
# seen between letters, the guess is likely wrong.
_MAC_ROMAN_SIGNS = re.compile(
    "[A-Za-z][" + re.escape(bytes(range(0x80, 0xA0)).decode("cp1252", "ignore")) + "][a-z]"
)


def decode_text(
    where: str,
    body: bytes,
    encoding: str | None = None,
    notes: list[dict[str, Any]] | None = None,
) -> str:
    """Text of a document: ``encoding`` when the source names one; else by its byte order
    mark (UTF-8, UTF-16, UTF-32); else UTF-8; else Windows-1252, which is a guess and said in
    ``notes``. Control characters but tab, LF and CR are replaced (``clean_text``)."""
    return _decode(where, body, encoding, notes, clean=True)


def _decode(
    where: str,
    body: bytes,
    encoding: str | None,
    notes: list[dict[str, Any]] | None,
    clean: bool,
) -> str:
    tidy = clean_text if clean else (lambda text: text)
    if encoding:
        codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        return tidy(
            _decoded_or_fail(
                body,
                codec,
                lambda at: (
                    f"{where}: the text is not {encoding}, as the source's 'encoding' "
                    f"says: byte {body[at : at + 1]!r} at offset {at} is not {encoding}"
                ),
            )
        )
    marked = next(((codec, label) for bom, codec, label in _BOMS if body.startswith(bom)), None)
    if marked is not None:
        codec, label = marked
        return tidy(
            _decoded_or_fail(
                body,
                codec,
                lambda at: (
                    f"{where}: the text starts with a {label} byte order mark but is "
                    f"not {label} (at offset {at}); set the source's 'encoding'"
                ),
            )
        )
    try:
        return tidy(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _looks_utf16(body):
        raise SourceError(
            f"{where}: the text looks like UTF-16 without a byte order mark; save it as "
            "UTF-8 (or UTF-16 with a BOM), or set the source's 'encoding' (utf-16-le or "
            "utf-16-be)",
            code="bad_encoding",
        )
    bad = body[utf8_error.start : utf8_error.start + 1]
    text = _decoded_or_fail(
        body,
        "cp1252",
        lambda _: (
            f"{where}: the text is neither UTF-8 (byte {bad!r} at offset "
            f"{utf8_error.start}), UTF-16 with a byte order mark nor Windows-1252; "
            "set the source's 'encoding' (for instance mac-roman or latin-1)"
        ),
    )
    if notes is not None:
        notes.append(_guessed(utf8_error.start, bool(_MAC_ROMAN_SIGNS.search(text))))
    return tidy(text)


def _decoded_or_fail(body: bytes, codec: str, reason: Callable[[int], str]) -> str:
    """``body`` decoded as ``codec``; a byte it cannot decode fails the source, with the reason
    ``reason`` gives for that byte's offset."""
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        raise SourceError(reason(exc.start), code="bad_encoding") from exc


def _looks_utf16(body: bytes) -> bool:
    head = body[:400]
    return len(head) >= 4 and (
        head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4
    )


def _guessed(offset: int, mac_roman: bool) -> dict[str, Any]:
    """A harvest-log warning: the text was read as Windows-1252 by guessing."""
    hint_en = (
        " Letters such as 'Ž' or '‘' between letters suggest Mac Roman: set 'encoding: mac-roman'."
        if mac_roman
        else ""
    )
    hint_nl = (
        " Tekens als 'Ž' of '‘' tussen letters wijzen op Mac Roman: zet 'encoding: mac-roman'."
        if mac_roman
        else ""
    )
    return {
        "native_id": None,
        "title": None,
        "severity": "warning",
        "field": None,
        "code": "guessed_encoding",
        "value": "windows-1252",
        "message_en": (
            f"the document is not UTF-8 (from offset {offset}) and has no byte order mark; it "
            "was read as Windows-1252, which is a guess. If letters look wrong, set the "
            "source's 'encoding' (or export the file as UTF-8)." + hint_en
        ),
        "message_nl": (
            f"het document is geen UTF-8 (vanaf positie {offset}) en heeft geen byte order "
            "mark; het is gelezen als Windows-1252, en dat is een gok. Kloppen letters niet, "
            "zet dan 'encoding' voor deze bron (of sla het bestand op als UTF-8)." + hint_nl
        ),
    }


def read_csv(
    where: str,
    body: bytes,
    content_type: str,
    encoding: str | None = None,
    notes: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Rows of delimited text (``,``, ``;`` or tab, decided on the header) as dicts by the
    header's names, as written: the mapping renames them before anything reads them."""
    reject_html(where, body, content_type, "CSV")
    text = decode_text(where, body, encoding, notes)
    if not text.strip():
        raise SourceError(f"{where}: the document is empty", code="empty_document")
    header = text.split("\n", 1)[0]
    # Dutch spreadsheet exports use ';'; decide on the header alone, where it is unambiguous.
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    fields = [f.strip() for f in reader.fieldnames or []]
    if not any(fields):
        raise SourceError(f"{where}: the CSV has no header row", code="unexpected_shape")
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


def read_xlsx(where: str, body: bytes, content_type: str) -> dict[str, list[dict[str, Any]]]:
    """Every sheet of a workbook (``.xlsx``) as rows: the first row with a value is the
    header, each row after it a dict by the header's names. Dates are ISO text, numbers that
    are whole are written without ``.0``; text is cleaned as any other (``clean_text``)."""
    reject_html(where, body, content_type, "a spreadsheet (xlsx)")
    if not body.startswith(b"PK"):
        raise SourceError(
            f"{where}: not an xlsx workbook (an xlsx file is a zip archive; a .xls, .ods or "
            "CSV file is not read as one)",
            code="unexpected_shape",
        )
    # Loaded here, not with the module: only spreadsheet sources need it, and every run
    # process (and each worker it spawns) would pay its import otherwise.
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors
        raise SourceError(
            f"{where}: unreadable xlsx workbook: {clean_text(str(exc)[:200])}",
            code="invalid_xlsx",
        ) from exc
    sheets: dict[str, list[dict[str, Any]]] = {}
    try:
        for sheet in book.worksheets:
            header: list[str] | None = None
            rows: list[dict[str, Any]] = []
            for values in sheet.iter_rows(values_only=True):
                cells = [_cell(v) for v in values]
                if header is None:
                    if any(c for c in cells):
                        header = [c.strip() for c in cells]
                    continue
                if not any(c for c in cells):
                    continue
                rows.append({h: c for h, c in zip(header, cells, strict=False) if h})
            sheets[clean_text(sheet.title)] = rows
    finally:
        book.close()
    return sheets


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(str(value))


def read_rdf(where: str, body: bytes, content_type: str, name: str) -> rdflib.Graph:
    import rdflib  # here, not with the module: only RDF sources need it
    from rdflib.util import guess_format

    fmt = RDF_TYPES.get(content_type.split(";")[0].strip().lower())
    if fmt is None:
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
        fmt = RDF_SUFFIXES.get(suffix)
    if fmt is None:
        reject_html(where, body, content_type, "RDF")
        fmt = guess_format(name) or "turtle"
    if fmt == "json-ld":
        refuse_remote_contexts(where, body)
    elif fmt == "xml":
        refuse_doctype(where, body)
    graph = rdflib.Graph()
    try:
        graph.parse(data=body, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        message = clean_text(str(exc)[:300])  # it may quote the document
        raise SourceError(f"{where}: invalid RDF ({fmt}): {message}", code="invalid_rdf") from exc
    return clean_graph(graph)


class _Fetching(Exception):
    """A document that would make a parser fetch or expand something."""


def refuse_remote_contexts(where: str, body: bytes) -> None:
    """Refuse a JSON-LD document whose ``@context`` names another document, or that
    ``@import``s one: rdflib would fetch it (any host, ``file://`` too) past the HTTP
    client's host check, size cap and timeout. An embedded context (an object) is read."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        for key, value in items:
            if key == "@import":
                raise _Fetching("@import")
            if key == "@context":
                contexts = value if isinstance(value, list) else [value]
                if any(not isinstance(c, dict | type(None)) for c in contexts):
                    raise _Fetching("@context")
        return dict(items)

    try:
        json.loads(body.decode("utf-8-sig"), object_pairs_hook=pairs)
    except _Fetching as exc:
        raise SourceError(
            f"{where}: the JSON-LD document refers to a context elsewhere ({exc.args[0]} "
            "with an address); federator fetches nothing a document names. Put the context "
            "in the document itself (an object under @context)",
            code="remote_context",
        ) from None
    except (UnicodeDecodeError, ValueError):
        return  # not JSON: the parser says what is wrong with it


def refuse_doctype(where: str, body: bytes) -> None:
    """Refuse an RDF/XML document with a document type declaration: its entities can make
    a small document expand without bound (rdflib spends time quadratic in it), or name
    files and addresses. RDF/XML needs no DTD."""

    def doctype(*_: Any) -> None:
        raise _Fetching("DOCTYPE")

    def started(*_: Any) -> None:
        raise StopIteration  # the prolog is over: no declaration can follow

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = started
    try:
        parser.Parse(body, True)
    except _Fetching:
        raise SourceError(
            f"{where}: the RDF/XML document declares a DOCTYPE (entities); RDF/XML needs "
            "none and federator reads none: remove the <!DOCTYPE ...> declaration",
            code="doctype",
        ) from None
    except (StopIteration, expat.ExpatError):
        return  # the root element began, or not XML: the parser says what is wrong


def clean_graph(graph: rdflib.Graph) -> rdflib.Graph:
    """``graph`` with ``clean_text`` applied to every IRI and literal (an escape in the
    document makes a lone surrogate or a control character)."""
    odd = [triple for triple in graph if any(ODD.search(str(term)) for term in triple)]
    for s, p, o in odd:
        graph.remove((s, p, o))
        graph.add((_clean_term(s), _clean_term(p), _clean_term(o)))
    return graph


def _clean_term(term: Any) -> Any:
    from rdflib import Literal, URIRef

    if isinstance(term, Literal):
        return Literal(clean_text(str(term)), lang=term.language, datatype=term.datatype)
    if isinstance(term, URIRef):
        return URIRef(clean_text(str(term)))
    return term
