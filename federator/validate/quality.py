"""Data quality per source: completeness of each field of the standard.

Reported in the run log (for the agency, with the trend over runs) and published in the graph
(``publish.quality``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from federator.map.spec import Mapping


def completeness(bodies: Sequence[dict[str, Any]], mapping: Mapping) -> dict[str, float]:
    """Share of published records that fill each field of the standard (0..1, 3 decimals)."""
    if not bodies:
        return {}
    filled: dict[str, int] = {}
    for b in bodies:  # one pass over what records hold, not fields x records
        for name, value in b["values"].items():
            if value is not None and value != "" and value != []:
                filled[name] = filled.get(name, 0) + 1
    return {s.name: round(filled.get(s.name, 0) / len(bodies), 3) for s in mapping.fields}
