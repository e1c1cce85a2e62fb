"""Organisations as entities: one IRI per publishing body, whatever register names it and how.

The mapping gives each record an organisation IRI from what it can see: the record's TOOI code,
its name in the bundled list, its register's configured organisation, else an IRI minted from
the normalised name. Evidence elsewhere in the federation may say more. A name is tied to a
TOOI IRI by

- *strong* evidence: a record (of any register) whose organisation was identified by its own
  code or by the bundled list, under that name (``organization: Belastingdienst`` with
  ``org_id: oorg12368``);
- *weak* evidence: a register configured with that organisation (``lists: own``) whose records
  say that name (a register of ``oorg12368`` whose records say ``Belastingdienst``).

A minted IRI whose names the strong evidence ties to exactly one TOOI IRI becomes an alias of
it; without strong evidence, weak evidence tied to exactly one does. Explicit evidence between
records (the same ``lars``, a link from one to the other) ties a minted organisation to the one
on the other side when all such evidence of it points at one organisation
(``explicit_aliases``). Aliases are kept in state once found: the minted IRI stays a redirect
(``owl:sameAs``, ``dcterms:isReplacedBy``, HTTP 301) to its organisation whatever runs follow.
Two organisations that both have a TOOI IRI are never reconciled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from federator import orgs

Label = tuple[str, str, str]  # (source id, organisation IRI, organisation name)
Alias = tuple[str, str]  # (the IRI it is known by, why)


@dataclass(frozen=True)
class Register:
    """What reconciliation needs of a source: its own organisation and whether it belongs to it."""

    id: str
    organisation: str
    name: str
    own: bool


def register_of(config: Any, organisation: str, name: str) -> Register:
    """``config``: a ``SourceConfig``; ``organisation``, ``name``: its publisher's."""
    return Register(config.id, organisation, name, bool(config.own_register))


@dataclass
class Organisations:
    """Every known alias (stored and found now), the ones found now, and each organisation's
    names."""

    aliases: dict[str, Alias] = field(default_factory=dict)
    new: dict[str, Alias] = field(default_factory=dict)
    labels: dict[str, set[str]] = field(default_factory=dict)  # canonical IRI -> names

    def of(self, iri: str) -> str:
        """The IRI an organisation is known by (itself when it is no alias)."""
        seen = {iri}
        while (hit := self.aliases.get(iri)) is not None and hit[0] not in seen:
            iri = hit[0]
            seen.add(iri)
        return iri

    def canonical(self) -> dict[str, str]:
        """Alias IRI -> the IRI it is known by, for every alias."""
        return {iri: self.of(iri) for iri in self.aliases}

    def add(self, iri: str, target: str, why: str) -> bool:
        """Record an alias unless it is known, or would make a cycle."""
        if iri in self.aliases or iri == target or self.of(target) == iri:
            return False
        self.aliases[iri] = self.new[iri] = (target, why)
        return True

    def group(self, iri: str) -> set[str]:
        """Every IRI known by the same organisation as ``iri``, itself included."""
        root = self.of(iri)
        return {root} | {a for a in self.aliases if self.of(a) == root}


def reconcile(
    registers: Sequence[Register],
    labels: Iterable[Label],
    known: Mapping[str, Alias] | None = None,
) -> Organisations:
    """Aliases from names: ``known`` ones (state) stay; a minted IRI gets one when the
    federation's evidence ties its names to exactly one TOOI IRI (see the module doc)."""
    own = {r.id: r.organisation for r in registers if r.own}
    found = Organisations(dict(known or {}))
    names: dict[str, set[str]] = defaultdict(set)  # IRI -> names it goes by
    strong: dict[str, set[str]] = defaultdict(set)  # normalised name -> TOOI IRIs
    weak: dict[str, set[str]] = defaultdict(set)
    evidence: dict[tuple[str, str], str] = {}  # (normalised name, TOOI IRI) -> a source saying so
    recorded = sorted(set(labels))
    everything = [(r.id, r.organisation, r.name) for r in registers] + recorded
    # A register's records naming its organisation otherwise than the bundled list does are
    # evidence only when the list does not name it, and only when they agree on one name:
    # an own register listing a shared service's algorithm under the service's name must not
    # make that name the register's.
    said: dict[str, set[str]] = defaultdict(set)
    for source, iri, name in recorded:
        if name and iri and own.get(source) == iri:
            said[source].add(orgs.normalise_name(name))
    trusted = {
        source
        for source, keys in said.items()
        if own[source] not in orgs.official_names() and len(keys) == 1
    }
    for source, iri, name in everything:
        if not iri:
            continue
        if name:
            names[iri].add(name)
        key = orgs.normalise_name(name) if name else ""
        if not key or not orgs.is_tooi(iri):
            continue
        if own.get(source) != iri:
            strong[key].add(iri)
        elif source in trusted:
            weak[key].add(iri)
        else:
            continue
        evidence.setdefault((key, iri), source)
    for key, (iri, _) in orgs.reference().items():
        strong[key].add(iri)
        evidence.setdefault((key, iri), "the bundled list of organisations")
    for iri in sorted(names):
        if orgs.is_tooi(iri) or iri in found.aliases:
            continue
        keys = {orgs.normalise_name(n) for n in names[iri]} - {""}
        for table, kind in ((strong, "code"), (weak, "register")):
            targets = set().union(*(table.get(k, set()) for k in keys)) if keys else set()
            if len(targets) == 1:
                target = targets.pop()
                key = next(k for k in sorted(keys) if target in table.get(k, ()))
                source = evidence[(key, target)]
                why = (
                    f"'{key}' has this code in {source}"
                    if kind == "code"
                    else f"'{key}' is what the register {source} of this organisation says"
                )
                found.add(iri, target, why)
                break
            if targets:
                break  # the evidence disagrees: leave it as it is
    for iri, its in names.items():
        found.labels.setdefault(found.of(iri), set()).update(its)
    return found


def explicit_aliases(
    found: Organisations,
    links: Iterable[tuple[str, str, str]],
    allowed: set[str] | None = None,
) -> None:
    """Aliases from explicit evidence across organisations: ``links`` are (organisation,
    organisation, what) of record pairs that identifiers say are one registration. A minted
    organisation all of whose such links point at one other organisation becomes its alias
    (when both are minted, the later IRI becomes the earlier's). With ``allowed``, only
    organisations in it are reconciled (a run that sees only those)."""
    targets: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], str] = {}
    for a, b, what in links:
        a, b = found.of(a), found.of(b)
        if a == b or (orgs.is_tooi(a) and orgs.is_tooi(b)):
            continue
        if allowed is not None and not (found.group(a) | found.group(b)) <= allowed:
            continue
        for x, y in ((a, b), (b, a)):
            if not orgs.is_tooi(x):
                targets[x].add(y)
                why.setdefault((x, y), what)
    for iri in sorted(targets):
        if len(targets[iri]) != 1:
            continue  # evidence pointing at several organisations proves none
        (target,) = targets[iri]
        if not orgs.is_tooi(target) and (len(targets.get(target, ())) != 1 or iri < target):
            continue  # both minted: only once, the later into the earlier
        found.add(iri, target, f"explicit evidence: {why[(iri, target)]}")


def widen(scope: set[str], found: Organisations) -> set[str]:
    """``scope`` with every IRI its organisations are also known by."""
    out = set(scope)
    for iri in scope:
        out |= found.group(iri)
    return out
