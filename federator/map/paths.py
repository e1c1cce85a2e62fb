"""Paths into nested records: where a mapping names a field, it may name a place inside one.

``organisation.name`` is the key ``name`` of the object under ``organisation``;
``tier_2.risks[].risk_name`` is ``risk_name`` of every item of the list ``tier_2.risks``
(a list of values); ``models[0]`` is a list's first item. A key that holds a dot itself is
found as it is written before the path is followed (a spreadsheet heading ``Versie 1.2``).
A step into a list without ``[]`` applies to every item too: ``risks.risk_name`` reads as
``risks[].risk_name``.

What a path finds: one value, or, where it went through a list, the list of the non-empty
values it found (flattened); ``None`` when it found nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# One step: a key, then optionally [] (every item) or [n] (one item).
_STEP = re.compile(r"^(?P<key>[^\[\]]*)(?P<index>\[(?P<n>\d*)\])?$")
EMPTY: tuple[Any, ...] = (None, "", [], {})


class PathError(ValueError):
    """A path that cannot be read (``a..b``, ``a[x]``)."""


@lru_cache(maxsize=4096)
def parse(path: str) -> tuple[tuple[str, int | None, bool], ...]:
    """``path`` as steps (key, index or None, every item); a plain key is one step."""
    if not isinstance(path, str) or not path:
        raise PathError(f"{path!r} is not a path")
    if "." not in path and "[" not in path:
        return ((path, None, False),)
    steps = []
    for part in path.split("."):
        m = _STEP.match(part)
        if m is None or (not m["key"] and not m["index"]):
            raise PathError(f"{path!r}: {part!r} is not a step (a key, key[] or key[n])")
        n = m["n"]
        steps.append((m["key"], int(n) if n else None, bool(m["index"]) and not n))
    return tuple(steps)


def root(path: str) -> str:
    """The top-level key a path starts at."""
    return parse(path)[0][0]


def is_plain(path: str) -> bool:
    return "." not in path and "[" not in path


def get(record: Any, path: str) -> Any:
    """What ``path`` finds in ``record`` (see the module's doc)."""
    if isinstance(record, dict):
        if path in record:  # a plain key, or a key that holds a dot or brackets itself
            return record[path]
        if is_plain(path):
            return None
    values, many = [record], False
    for key, index, every in parse(path):
        nxt: list[Any] = []
        for v in values:
            if key:
                if isinstance(v, list):  # a step into a list applies to every item
                    many = True
                    nxt += [item.get(key) for item in v if isinstance(item, dict)]
                    continue
                v = v.get(key) if isinstance(v, dict) else None
            if index is not None:
                v = v[index] if isinstance(v, list) and -len(v) <= index < len(v) else None
            elif every:
                many = True
                if isinstance(v, list):
                    nxt += v
                    continue
            nxt.append(v)
        values = [v for v in nxt if v not in EMPTY]
        if not values:
            return None
    if many:
        flat: list[Any] = []
        for v in values:
            flat += v if isinstance(v, list) else [v]
        return flat or None
    return values[0]


def has(record: Any, path: str) -> bool:
    """Whether ``path`` finds a non-empty value in ``record``."""
    return get(record, path) not in EMPTY
