"""Resolve stage: which records describe the same algorithm, and its stable canonical IRI.

Entry point: ``resolve(bodies, settings, previous, canonicals)``: cluster the records
(explicit evidence first, then similarity within one organisation, see ``cluster``), then
assign tokens that survive re-runs (``identity``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from federator.resolve.candidates import Candidate, Clustering, RecordKey
from federator.resolve.identity import Assignment, assign


@dataclass
class Resolution:
    clustering: Clustering
    assignment: Assignment
    # A scoped run's algorithms outside the dirty organisations (token -> its records), which
    # keep their tokens and are not clustered again: not in ``clustering``.
    kept: dict[str, list[RecordKey]] = field(default_factory=dict)

    def linked(self) -> list[list[RecordKey]]:
        """The records of every algorithm with several, each sorted, in order."""
        groups = [c.members for c in self.clustering.clusters if len(c.members) > 1]
        groups += [sorted(keys) for keys in self.kept.values() if len(keys) > 1]
        return sorted(groups)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        inner = next(iter(value.values()), None)
        return str(inner) if inner else None
    return None


def candidate(body: dict[str, Any], level: str, priority: int) -> Candidate:
    values, ident = body["values"], body["identity"]
    return Candidate(
        source=body["source"],
        native_id=body["native_id"],
        level=level,
        priority=priority,
        org=body["organisation"],
        org_name=body["organisation_name"],
        name=_text(values.get("name")) or "",
        description=_text(values.get("description_short")) or _text(values.get("description")),
        goal=_text(values.get("goal")),
        lawful_basis=_text(values.get("lawful_basis")),
        lars=ident.get("lars"),
        source_id=ident.get("source_id"),
        url=ident.get("url"),
        website=ident.get("website"),
        begin_date=_text(values.get("begin_date")),
        modified=ident.get("modified"),
        status=_text(values.get("status")),
        provider=_text(values.get("provider")),
    )


def pins(settings: dict[str, Any], key: str) -> list[tuple[RecordKey, RecordKey]]:
    out = []
    for pair in settings.get(key) or []:
        (a_src, a_id), (b_src, b_id) = pair
        out.append(((str(a_src), str(a_id)), (str(b_src), str(b_id))))
    return out


def resolve(
    candidates: Sequence[Candidate],
    settings: dict[str, Any],
    previous: dict[RecordKey, str],
    canonicals: dict[str, dict[str, Any]],
    dirty_orgs: set[str] | None = None,
    previous_orgs: dict[RecordKey, str] | None = None,
    withdrawn: dict[RecordKey, str] | None = None,
) -> Resolution:
    """Cluster and assign identities. With ``dirty_orgs``, only those organisations' records
    are clustered again: records never cross organisations, so every other algorithm keeps
    its records and its token (``Resolution.kept``, read back from ``previous``), and a run
    costs what changed. The records of other organisations need not be among ``candidates``
    when ``previous_orgs`` says which organisation each previously resolved record belongs
    to. ``withdrawn``: the IRIs withdrawn records held, for those that come back (see
    ``identity.assign``)."""
    from federator.resolve.cluster import cluster

    kept: dict[str, list[RecordKey]] = {}
    if dirty_orgs is not None:
        dirty = set(dirty_orgs) | {c.org for c in candidates if c.key not in previous}
        org_of = previous_orgs if previous_orgs is not None else {c.key: c.org for c in candidates}
        for key, org in org_of.items():
            if org not in dirty and key in previous:
                kept.setdefault(previous[key], []).append(key)
        candidates = [c for c in candidates if c.org in dirty]
    clustering = cluster(
        candidates,
        same=pins(settings, "same"),
        different=pins(settings, "different"),
        threshold=settings.get("threshold"),
    )
    # Clusters come sorted, each by its records (``cluster``): identity ties depend on it.
    members = [c.members for c in clustering.clusters]
    assignment = assign(members, previous, canonicals, withdrawn, kept)
    return Resolution(clustering, assignment, kept)
