"""Resolve stage: which records describe the same algorithm, and its stable canonical IRI.

Entry point: ``resolve_sources(views, settings, state, previous, canonicals, scope)``: the
records of every source view become candidates; they are clustered (explicit evidence first,
then similarity within one organisation, see ``cluster``) and given tokens that survive
re-runs (``identity``). ``resolve`` does the same from candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from federator import collector
from federator.config import ResolveSettings
from federator.resolve.candidates import Candidate, Clustering, RecordKey, made
from federator.resolve.cluster import (
    Match,
    cluster,
    cross_links,
    identifier_matches,
    unique_sorted,
)
from federator.resolve.identity import Assignment, assign
from federator.resolve.organisations import (
    Label,
    Organisations,
    Register,
    explicit_aliases,
    reconcile,
    register_of,
    widen,
)
from federator.state import State


@dataclass
class Resolution:
    clustering: Clustering
    assignment: Assignment
    # A scoped run's algorithms outside the dirty organisations (token -> its records), which
    # keep their tokens and are not clustered again: not in ``clustering``.
    kept: dict[str, list[RecordKey]] = field(default_factory=dict)
    # Which organisation IRIs are another's (minted IRIs evidence tied to a TOOI IRI), and
    # the names each organisation goes by.
    organisations: Organisations = field(default_factory=Organisations)

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


def candidate(
    body: dict[str, Any], level: str, priority: int, many: bool | None = None
) -> Candidate:
    """``many``: whether the record's register lists many organisations (see
    ``Candidate.lists_many``)."""
    values, ident = body["values"], body["identity"]
    return made(
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
        many=many,
    )


def pins(settings: ResolveSettings, key: str) -> list[tuple[RecordKey, RecordKey]]:
    out = []
    for pair in getattr(settings, key):
        (a_src, a_id), (b_src, b_id) = pair
        out.append(((str(a_src), str(a_id)), (str(b_src), str(b_id))))
    return out


@collector.paused()
def resolve(
    candidates: Sequence[Candidate],
    settings: ResolveSettings,
    previous: dict[RecordKey, str],
    canonicals: dict[str, dict[str, Any]],
    dirty_orgs: set[str] | None = None,
    previous_orgs: dict[RecordKey, str] | None = None,
    withdrawn: dict[RecordKey, str] | None = None,
    organisations: Organisations | None = None,
    review: float | None = None,
) -> Resolution:
    """Cluster and assign identities. With ``dirty_orgs``, only those organisations' records
    are clustered again: records never cross organisations, so every other algorithm keeps
    its records and its token (``Resolution.kept``, read back from ``previous``), and a run
    costs what changed. The records of other organisations need not be among ``candidates``
    when ``previous_orgs`` says which organisation each previously resolved record belongs
    to. ``withdrawn``: the IRIs withdrawn records held, for those that come back (see
    ``identity.assign``). ``organisations``: the aliases known (``organisations.reconcile``);
    records are blocked on the organisation each alias is known by, and explicit evidence
    between a minted organisation and another adds aliases (with ``dirty_orgs``, only among
    those). ``review``: list near misses that far below the threshold (``cluster``)."""
    found = organisations if organisations is not None else Organisations()
    candidates = _known_by(candidates, found)
    allowed = None if dirty_orgs is None else widen(set(dirty_orgs), found)
    # The identifier matches, found once for the aliases and the clusters: what they say of
    # two records does not depend on the organisation each is known by. So when a key names
    # one record; of several, which one is clustered may depend on that organisation.
    unique = unique_sorted(candidates)
    matches: list[Match] | None = identifier_matches(unique)
    explicit_aliases(found, cross_links(unique, matches), allowed)
    if len(unique) != len(candidates):
        matches, unique = None, candidates
    if found.new:
        candidates, unique = _known_by(candidates, found), _known_by(unique, found)
    kept: dict[str, list[RecordKey]] = {}
    if dirty_orgs is not None:
        dirty = {found.of(o) for o in dirty_orgs}
        dirty |= {c.org for c in candidates if c.key not in previous}
        org_of = previous_orgs if previous_orgs is not None else {c.key: c.org for c in candidates}
        for key, org in org_of.items():
            if found.of(org) not in dirty and key in previous:
                kept.setdefault(previous[key], []).append(key)
        unique = [c for c in unique if c.org in dirty]
    # ``unique``: in key order when ``matches`` were found, as ``cluster`` then takes them.
    clustering = cluster(
        unique,
        same=pins(settings, "same"),
        different=pins(settings, "different"),
        threshold=settings.threshold,
        review=review,
        matches=matches,
    )
    # Clusters come sorted, each by its records (``cluster``): identity ties depend on it.
    members = [c.members for c in clustering.clusters]
    assignment = assign(members, previous, canonicals, withdrawn, kept)
    return Resolution(clustering, assignment, kept, found)


def _known_by(candidates: Sequence[Candidate], found: Organisations) -> list[Candidate]:
    """The candidates with each organisation as the IRI it is known by."""
    if not found.aliases:
        return list(candidates)
    return [c if (o := found.of(c.org)) == c.org else replace(c, org=o) for c in candidates]


def labels_of(bodies: Iterable[dict[str, Any]]) -> set[Label]:
    """(source, organisation, name) of record bodies."""
    return {(b["source"], b["organisation"], b["organisation_name"] or "") for b in bodies}


def federation_organisations(
    state: State, registers: Sequence[Register], bodies: Iterable[dict[str, Any]]
) -> Organisations:
    """The organisation aliases of the federation: those state keeps, and those the evidence
    of every published record (state) and of ``bodies`` (this run's) gives. The publisher's
    plan and the resolve stage work it out alike, so a run's scope holds every organisation's
    records under all its IRIs."""
    labels = state.organisation_labels() | labels_of(bodies)
    return reconcile(registers, labels, state.organisation_aliases())


class SourceRecords(Protocol):
    """A source's current records and its settings (the publisher's source views)."""

    @property
    def config(self) -> Any: ...  # a SourceConfig: its level and priority count here

    @property
    def records(self) -> list[dict[str, Any]]: ...


@collector.paused()
def resolve_sources(
    views: Sequence[SourceRecords],
    settings: ResolveSettings,
    state: State,
    previous: dict[RecordKey, str],
    canonicals: dict[str, dict[str, Any]],
    scope: set[str] | None = None,
) -> Resolution:
    """The stage's entry: resolve every record of ``views`` (with ``scope``, only those
    organisations'), reading what it needs of earlier runs from ``state``."""
    cands = [
        candidate(b, v.config.level, v.config.priority, not v.config.own_register)
        for v in views
        for b in v.records
    ]
    registers = [_register(v) for v in views]
    found = federation_organisations(state, registers, (b for v in views for b in v.records))
    return resolve(
        cands,
        settings,
        previous,
        canonicals,
        scope,
        None if scope is None else state.record_organisations(),
        state.withdrawn_identities(),
        found,
    )


def _register(view: SourceRecords) -> Register:
    org = getattr(view, "organisation", "") or ""
    return register_of(view.config, org, getattr(view, "organisation_name", "") or "")
