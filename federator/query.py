"""Read-only SPARQL over the published store (``federator query``): run, then write results."""

from __future__ import annotations

import re
from typing import IO, Any

import pyoxigraph as ox

from federator.sparql import Refused, execute

RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}


class QueryError(Exception):
    """A malformed or refused query; the message is the parser's."""


def run_query(store: ox.Store, sparql: str) -> Any:
    """Run a read-only query as Oxigraph reads it (see ``federator.sparql``).

    The default graph is the union of all graphs unless the query declares its dataset
    (``FROM``, ``FROM NAMED``). Updates, SERVICE and malformed queries raise ``QueryError``.
    """
    try:
        return execute(store, sparql)
    except Refused as exc:
        # The command line says "malformed query" itself.
        raise QueryError(exc.message.removeprefix("malformed query: ")) from exc


def write_results(result: Any, fmt: str, out: IO[bytes]) -> None:
    """SELECT/ASK in the W3C result formats (or a plain table); CONSTRUCT as N-Triples/Turtle."""
    if isinstance(result, ox.QueryTriples):
        fmt_ = ox.RdfFormat.TURTLE if fmt in ("table", "turtle") else ox.RdfFormat.N_TRIPLES
        out.write(result.serialize(format=fmt_) or b"")
        return
    if fmt == "table":
        out.write(_table(result).encode("utf-8"))
        return
    data = result.serialize(format=RESULT_FORMATS[fmt])
    out.write(data or b"")


def _table(result: Any) -> str:
    if isinstance(result, ox.QueryBoolean):
        return ("true" if bool(result) else "false") + "\n"
    names = [v.value for v in result.variables]
    rows = [[_plain(sol[n]) for n in names] for sol in result]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    widths = [min(w, 80) for w in widths]
    lines = [" | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    for r in rows:
        lines.append(" | ".join(c[:80].ljust(w) for c, w in zip(r, widths, strict=True)))
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines) + "\n"


# What a terminal acts on rather than shows (as ``report.printable``): C0/C1 controls, DEL,
# bidirectional overrides. A value is the register's: it must not drive the operator's terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _plain(term: Any) -> str:
    if term is None:
        return ""
    text = str(term.value)
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
