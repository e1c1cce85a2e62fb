"""What the resolve stage sees of a record: the identity-bearing fields, already normalised."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

RecordKey = tuple[str, str]  # (source id, native id)


@dataclass(frozen=True)
class Candidate:
    """One harvested registration, as resolution needs it.

    Text fields are plain text (HTML stripped), ``None`` when empty. ``org`` is the
    organisation's IRI (a TOOI IRI, or one minted from the normalised name when no code is
    known): the blocking key. Dates are ISO strings (``2024-03`` or ``2024-03-01``).
    """

    source: str
    native_id: str
    level: str  # national | provincial | municipal
    priority: int
    org: str
    org_name: str
    name: str
    description: str | None = None
    goal: str | None = None
    lawful_basis: str | None = None
    lars: str | None = None
    source_id: str | None = None
    url: str | None = None  # 'Link naar bronregistratie'
    website: str | None = None  # 'Link naar publiekspagina'
    begin_date: str | None = None
    modified: str | None = None
    status: str | None = None  # status concept IRI, or None
    provider: str | None = None
    # Whether its register lists many organisations (the national register) rather than
    # belonging to one; None: a national-level register does.
    many: bool | None = None

    @cached_property
    def key(self) -> RecordKey:  # kept: resolution asks for it many times per record
        return (self.source, self.native_id)

    @property
    def lists_many(self) -> bool:
        """Whether its register lists many organisations' algorithms: only such a register's
        ``source_id`` and ``url`` point at another register's record."""
        return self.level == "national" if self.many is None else self.many


@dataclass(frozen=True)
class Evidence:
    """Why two records were (or were nearly) judged the same algorithm."""

    a: RecordKey
    b: RecordKey
    kind: str  # e.g. 'lars', 'source_id', 'url', 'similarity', 'pinned'
    score: float  # 1.0 for explicit evidence
    detail: str = ""


@dataclass
class Cluster:
    members: list[RecordKey]
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Clustering:
    clusters: list[Cluster]  # every candidate is in exactly one cluster (singletons too)
    uncertain: list[Evidence] = field(default_factory=list)  # borderline pairs, for review


def made(**fields: object) -> Candidate:
    """``Candidate(**fields)``, every field given in field order, made without the frozen
    class's ``__init__`` (an ``object.__setattr__`` a field, half the cost of making one):
    the resolve stage makes one per registration."""
    c = object.__new__(Candidate)
    c.__dict__.update(fields)
    return c
