"""What the per-source stages hand to resolution and publishing: a source's fresh records.

Its own module, below the pipeline and the stages, so that publish reads the type the
pipeline fills without depending on the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from federator import codec


@dataclass
class Fresh:
    """A source's newly harvested, mapped and validated records, not yet published."""

    bodies: list[dict[str, Any]]
    organisation: str
    organisation_name: str
    validators: dict[str, dict[str, str | None]] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)  # the source's records before
    # Native ids whose description is new or changed; a record mapped again (new code or
    # mapping) that says what it said is not among them. Worked out once, in the pipeline.
    redescribed: set[str] = field(default_factory=set)
    # False when every record is unchanged: bodies and previous are then left in state (they
    # cost seconds to load at scale) and the publisher treats the source as untouched.
    changed: bool = True
    packed: codec.Spool | None = None  # native id -> the body as state stores it


def by_survivorship(
    members: Sequence[dict[str, Any]], priorities: dict[str, int]
) -> list[dict[str, Any]]:
    """The record bodies of one algorithm in the order their values survive: the source with
    the highest priority first, ties to the newest (``modified``, then ``changed_at``). The
    unified description (``publish.graphs``) and the search index both rank by it."""
    if len(members) < 2:  # most algorithms: nothing to rank
        return list(members)
    return sorted(
        members,
        key=lambda b: (
            priorities.get(b["source"], 0),
            b["identity"].get("modified") or "",
            b.get("changed_at") or "",
        ),
        reverse=True,
    )
