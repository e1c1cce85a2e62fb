"""Oxigraph's reading of a query: read-only, free of SERVICE, and whether it declares a dataset.

pyoxigraph parses a query only to run it, and it calls a SERVICE's address while doing so
(inside ``Store.query``, before a single row is read). So a text that might hold a SERVICE is
never given to Oxigraph, not even over an empty store. What Oxigraph's own parser makes of it
is learnt from a *defaced* text instead:

- Oxigraph reads ``\\u`` escapes only inside strings and IRIs, and matches keywords as ASCII
  letters in any case. A SERVICE keyword can therefore only be where the text holds the
  letters ``service`` (ASCII, any case). Each such run is defaced to ``sqqqqqq`` (its case and
  length kept); a text without those letters cannot name a service at all.
- Everywhere else those letters may stand (in a string, an IRI, a comment, a variable, a
  prefixed name, a blank node label, a language tag) the defaced letters stand just as well,
  and the text reads the same. Where they were the keyword, ``Sqqqqqq`` is a bare word that no
  rule of the grammar accepts, unless the text itself makes it one: a prefix declared as
  ``SQQQQQQ:`` turns a defaced ``SERVICE:x`` into a prefixed name, while the original reads as
  the keyword followed by ``:x`` (its own ``SERVICE:`` prefix being undeclared). A text that
  already holds the defaced letters is therefore refused outright. So when the defaced text
  parses (over an empty in-memory store: milliseconds, and nothing there to call), the text
  holds no SERVICE; when it does not, the query is refused, and the position of Oxigraph's
  error tells the SERVICE from other faults.
- ``FROM`` and ``FROM NAMED`` are found the same way: a text whose defaced ``from`` no longer
  parses declares its dataset. (A defaced word that collides with a name the query already
  uses, such as a variable ``?fqqq`` beside a ``?from``, can fail the parse on its own; such a
  query is taken to declare its dataset, which is then its own: documented, and far-fetched.)
- An update never runs: ``Store.query`` parses queries only, and an update is a syntax error
  to it. Whether a refused text was meant as an update (403) or is malformed (400) is told by
  rdflib's update parser; only the status and the message of the refusal depend on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

from federator.sparql.text import lone_crs_as_lf, plainly_written

_SERVICE = re.compile("service", re.IGNORECASE | re.ASCII)
_DEFACED_SERVICE = re.compile("sqqqqqq", re.IGNORECASE | re.ASCII)  # what ``_deface`` makes
_FROM = re.compile("from", re.IGNORECASE | re.ASCII)
_ERROR_AT = re.compile(r"error at (\d+):(\d+)")
_EMPTY = ox.Store()  # in memory, never written: where a text is parsed without data to read

READ_ONLY = "updates are not allowed: this SPARQL service is read-only"
NO_SERVICE = "SERVICE (federated query) is not allowed here: it would fetch any address it names"
RESERVED = (
    "the letters 'sqqqqqq' are reserved by the check that refuses SERVICE (whatever their "
    "case): rename what uses them"
)


class Refused(Exception):
    """A query that will not run; ``status`` is its HTTP status, ``message`` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Reading:
    """A query text that holds no SERVICE, and what Oxigraph reads in it."""

    text: str
    declares_dataset: bool  # FROM or FROM NAMED: its dataset rules, not the union of graphs
    plain: bool  # plainly written (``text.plainly_written``): rdflib reads it as Oxigraph does


def read(sparql: str) -> Reading:
    """Read a query without running it; raise ``Refused`` when it holds a SERVICE.

    Nothing is run here but the defaced texts over an empty store. A malformed query or an
    update that holds no SERVICE passes: running it raises ``SyntaxError``, which ``refusal``
    turns into the answer.
    """
    if _DEFACED_SERVICE.search(sparql):
        raise Refused(400, RESERVED)
    served, spans = _deface(sparql, _SERVICE)
    if spans:
        error = probe(served)
        if error is not None:
            raise refusal(sparql, error, spans)
    declares = False
    if _FROM.search(served):
        unfrom, _ = _deface(served, _FROM)
        declares = probe(unfrom) is not None
    return Reading(sparql, declares, plainly_written(sparql))


def check_read_only(sparql: str) -> Reading:
    """Raise ``Refused`` unless Oxigraph parses the text as a query holding no SERVICE.

    Nothing runs but the query over an empty in-memory store, once it is known to call nothing.
    """
    reading = read(sparql)
    error = probe(sparql)
    if error is not None:
        raise refusal(sparql, error)
    return reading


def probe(sparql: str) -> SyntaxError | None:
    """Oxigraph's parse error for a text, or None when it parses (run over an empty store).

    Only for texts known to hold no SERVICE: Oxigraph calls a service while it parses.
    """
    try:
        _EMPTY.query(sparql)
    except SyntaxError as exc:
        return exc
    except Exception:  # noqa: BLE001 - it parsed; what the empty store made of it is no matter
        return None
    return None


def refusal(
    sparql: str, error: SyntaxError, service: list[tuple[int, int]] | None = None
) -> Refused:
    """The refusal of a text Oxigraph does not parse as a query: an update, a SERVICE or a fault."""
    if _is_update(sparql):
        return Refused(403, READ_ONLY)
    if service and _fails_at(sparql, error, service):
        return Refused(400, NO_SERVICE)
    return Refused(400, f"malformed query: {error}")


def _deface(sparql: str, word: re.Pattern[str]) -> tuple[str, list[tuple[int, int]]]:
    spans = [m.span() for m in word.finditer(sparql)]
    if not spans:
        return sparql, []

    def defaced(m: re.Match[str]) -> str:
        w = m.group(0)
        return w[0] + "".join("Q" if c.isupper() else "q" for c in w[1:])

    return word.sub(defaced, sparql), spans


def _fails_at(sparql: str, error: SyntaxError, spans: list[tuple[int, int]]) -> bool:
    """Whether Oxigraph's error points at (or just after) one of the defaced words."""
    found = _ERROR_AT.search(str(error))
    if found is None:
        return True  # no position to tell by: the defaced word is the likelier fault
    line, column = int(found.group(1)), int(found.group(2))
    lines = sparql.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + column - 1
    for start, end in spans:
        rest = sparql[end:]
        gap = len(rest) - len(rest.lstrip())
        if start <= offset <= end + gap + 1:
            return True
    return False


def _is_update(sparql: str) -> bool:
    # rdflib is loaded only for texts Oxigraph refused. It ends comments at LF only: give it
    # the line ends Oxigraph sees.
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        tree = parseUpdate(lone_crs_as_lf(sparql))
    except Exception:  # noqa: BLE001 - not an update either: the query's own error stands
        return False
    return bool(tree.request)
