"""One reading of a SPARQL query, Oxigraph's, shared by ``federator query`` and the endpoint.

- ``reading``: whether a text may run (a query, no SERVICE) and whether it declares its
  dataset, decided by Oxigraph's own parser; the refusals (403 for an update, 400 otherwise).
- ``run``: the dataset a query runs over (SPARQL 1.1 and its Protocol), and the run itself.
- ``plan``: hash joins for large subject stars, for plainly written texts only.
- ``text``: the lexical sieve the planner uses before it parses anything.

This package imports nothing of federator's outside itself: the CLI, the server and its
workers depend on it, never the other way.
"""

from __future__ import annotations

from federator.sparql.reading import (
    NO_SERVICE,
    READ_ONLY,
    Reading,
    Refused,
    check_read_only,
    read,
    refusal,
)
from federator.sparql.run import dataset, execute, requested_limit

__all__ = [
    "NO_SERVICE",
    "READ_ONLY",
    "Reading",
    "Refused",
    "check_read_only",
    "dataset",
    "execute",
    "read",
    "refusal",
    "requested_limit",
]
