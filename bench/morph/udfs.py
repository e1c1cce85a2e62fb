"""Python functions the RML mapping calls (RML-FNML), loaded by morph-kgc's ``udfs`` option.

morph-kgc executes this file after prepending its own ``udf`` decorator (so no
``from __future__`` import: it would no longer be first); the fallback below only makes the
file importable (and checkable) on its own.
"""

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
FN = "https://w3id.org/federator/bench/fn#"
TOOI = "https://identifier.overheid.nl/tooi/id/"
TOOI_TYPES = {
    "gm": "gemeente",
    "pv": "provincie",
    "ws": "waterschap",
    "mnre": "ministerie",
    "zb": "zbo",
    "oorg": "oorg",
}
STATUS = "https://w3id.org/federator/vocab/status/"
STATUSES = {
    "in gebruik": "in-gebruik",
    "actief": "in-gebruik",
    "in ontwikkeling": "in-ontwikkeling",
    "buiten gebruik": "buiten-gebruik",
    "niet actief": "buiten-gebruik",
}
_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"^([a-z]+)\d+$")

if "udf" not in globals():

    def udf(fun_id: str, **params: str) -> Callable[[F], F]:
        def wrap(function: F) -> F:
            return function

        return wrap


@udf(fun_id=FN + "plain", text=FN + "text")
def plain(text: Any) -> str | None:
    """HTML-free text with collapsed whitespace; None (no triple) when empty."""
    if not isinstance(text, str) or not text:
        return None
    value = " ".join(html.unescape(_TAG.sub(" ", text)).split())
    # morph-kgc 2.10 escapes the wrong column for function results (materializer.py:179), so
    # a '"' would end the N-Quads literal early: escape here until it is fixed upstream.
    return value.replace("\\", "\\\\").replace('"', '\\"') or None


@udf(fun_id=FN + "tooi", code=FN + "code")
def tooi(code: Any) -> str | None:
    """'gm0363' -> the TOOI IRI; None for a missing or unknown code."""
    match = _CODE.match(code.strip().lower()) if isinstance(code, str) else None
    if not match or match.group(1) not in TOOI_TYPES:
        return None
    return f"{TOOI}{TOOI_TYPES[match.group(1)]}/{match.group(0)}"


@udf(fun_id=FN + "status", status=FN + "status_text")
def status(status: Any) -> str | None:
    slug = STATUSES.get(status.strip().lower()) if isinstance(status, str) else None
    return STATUS + slug if slug else None
