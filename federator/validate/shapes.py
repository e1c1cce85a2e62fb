"""The validation shapes (``data/shapes.ttl``), compiled to plain Python checks.

pySHACL on a large graph is slow, so each record's own small graph is checked by compiled
rules instead. Only the SHACL Core constraints the shapes use are supported (a shape using
another one is refused on load), and ``tests/validate`` proves that the results equal
pySHACL's on the same graphs.

A record's graph is checked as the map stage wrote it: terms as N-Triples text (``map.nt``),
which compare and hash as plain strings (rdflib's terms do both in Python: a third of
validating). ``validate_triples`` takes rdflib terms too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import rdflib
from rdflib import RDF, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from federator import terms
from federator.map import nt
from federator.vocab import REG

SUPPORTED = {SH.minCount, SH.maxCount, SH.minLength, SH.maxLength, SH["in"]}
KINDS = {
    SH.minCount: "min",
    SH.maxCount: "max",
    SH.minLength: "minlen",
    SH.maxLength: "maxlen",
    SH["in"]: "in",
}
IGNORED = {RDF.type, SH.path, SH.severity, SH.name, SH.description, SH.message, REG.field, REG.rule}

# A graph's statements by subject, then predicate: N-Triples terms.
Index = dict[str, dict[str, list[str]]]


@dataclass(frozen=True)
class Rule:
    shape: URIRef
    path: tuple[URIRef, ...]
    constraint: URIRef
    limit: int | frozenset[Node]
    severity: str  # 'error' (sh:Violation) or 'warning'
    field: str
    code: str
    kind: str  # the constraint as a short name, so checking compares plain strings
    # ``path`` and the terms of ``sh:in`` as N-Triples terms, as records' graphs hold them.
    steps: tuple[str, ...] = dataclasses.field(init=False, repr=False, compare=False)
    allowed: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    order: tuple[bool, str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", (self.severity != "error", str(self.shape)))
        object.__setattr__(self, "steps", tuple(nt.iri(str(step)) for step in self.path))
        allowed = self.limit if isinstance(self.limit, frozenset) else frozenset()
        object.__setattr__(self, "allowed", frozenset(terms.nt_term(n) for n in allowed))

    def values(self, index: Index, focus: str) -> list[str]:
        nodes = [focus]
        for step in self.steps:
            nodes = [o for n in nodes for o in index.get(n, {}).get(step, [])]
        return nodes

    def check_values(self, values: list[str]) -> list[str | None]:
        kind, limit = self.kind, self.limit
        if kind == "min":
            return [None] if len(values) < limit else []  # type: ignore[operator]
        if kind == "max":
            return [None] if len(values) > limit else []  # type: ignore[operator]
        # A blank node has no length (``_:`` starts its term).
        if kind == "minlen":
            return [v for v in values if v[0] == "_" or nt.length(v) < limit]  # type: ignore[operator]
        if kind == "maxlen":
            return [v for v in values if v[0] == "_" or nt.length(v) > limit]  # type: ignore[operator]
        return [v for v in values if v not in self.allowed]


@dataclass(frozen=True)
class Violation:
    rule: Rule
    focus: str  # N-Triples terms
    value: str | None


@dataclass(frozen=True)
class RdfViolation:
    """A violation in a graph of rdflib terms (``validate_triples``)."""

    rule: Rule
    focus: Node
    value: Node | None


def _path(graph: rdflib.Graph, node: Node) -> tuple[URIRef, ...]:
    if isinstance(node, URIRef):
        return (node,)
    steps = tuple(Collection(graph, node))
    if not steps or not all(isinstance(s, URIRef) for s in steps):
        raise ValueError(f"only predicate and sequence paths are supported, not {node}")
    return steps  # type: ignore[return-value]


def compile_shapes(graph: rdflib.Graph) -> tuple[URIRef, list[Rule]]:
    """The target class and one rule per constraint of every property shape."""
    node_shapes = list(graph.subjects(RDF.type, SH.NodeShape))
    if len(node_shapes) != 1:
        raise ValueError("the shapes file holds exactly one node shape")
    target = graph.value(node_shapes[0], SH.targetClass)
    assert isinstance(target, URIRef)
    rules = []
    for shape in graph.objects(node_shapes[0], SH.property):
        assert isinstance(shape, URIRef)
        path = _path(graph, graph.value(shape, SH.path))  # type: ignore[arg-type]
        severity = (
            "error"
            if graph.value(shape, SH.severity, default=SH.Violation) == SH.Violation
            else "warning"
        )
        field, code = str(graph.value(shape, REG.field)), str(graph.value(shape, REG.rule))
        for p, o in graph.predicate_objects(shape):
            if p in IGNORED:
                continue
            if not isinstance(p, URIRef) or p not in SUPPORTED:
                raise ValueError(f"{shape}: constraint {p} is not supported by the compiler")
            limit: int | frozenset[Node] = (
                frozenset(Collection(graph, o)) if p == SH["in"] else int(str(o))
            )
            rules.append(Rule(shape, path, p, limit, severity, field, code, KINDS[p]))
    return target, sorted(rules, key=lambda r: r.order)


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    text = resources.files("federator.data").joinpath("shapes.ttl").read_text("utf-8")
    return rdflib.Graph().parse(data=text, format="turtle")


@lru_cache(maxsize=1)
def compiled() -> tuple[URIRef, list[Rule]]:
    return compile_shapes(shapes_graph())


def index(triples: Iterable[nt.Triple]) -> Index:
    out: Index = {}
    for s, p, o in triples:
        props = out.get(s)
        if props is None:
            out[s] = {p: [o]}
        elif p in props:
            props[p].append(o)
        else:
            props[p] = [o]
    return out


# Rules by path: the path's first step and the steps after it, its rules, and those of them
# that fail where the path has no value (minimum counts above 0).
Grouping = list[tuple[str, tuple[str, ...], list[Rule], list[Rule]]]
# The last rule list grouped, found by identity (``compiled()`` hands out one list, never
# changed in place): hashing its 35 rules for a cache key cost 8.5 microseconds a record.
_grouped: tuple[list[Rule], Grouping] | None = None


def _by_path(rules: list[Rule]) -> Grouping:
    global _grouped
    last = _grouped  # one read: another thread may group another list meanwhile
    if last is None or last[0] is not rules:
        grouped: dict[tuple[str, ...], list[Rule]] = {}
        for rule in rules:
            grouped.setdefault(rule.steps, []).append(rule)
        last = _grouped = (
            rules,
            [
                (path[0], path[1:], group, [r for r in group if _required(r)])
                for path, group in grouped.items()
            ],
        )
    return last[1]


def _required(rule: Rule) -> bool:
    return rule.kind == "min" and isinstance(rule.limit, int) and rule.limit > 0


def validate_triples(
    triples: Iterable[tuple[Node, Node, Node]], rules: tuple[URIRef, list[Rule]] | None = None
) -> list[RdfViolation]:
    """Every violation of the shapes in a graph of rdflib terms."""
    node_of: dict[str, Node] = {}

    def term(node: Node) -> str:
        written = terms.nt_term(node)
        node_of.setdefault(written, node)
        return written

    found = validate_index(index((term(s), term(p), term(o)) for s, p, o in triples), rules)
    return [
        RdfViolation(v.rule, node_of[v.focus], None if v.value is None else node_of[v.value])
        for v in found
    ]


def validate_index(idx: Index, rules: tuple[URIRef, list[Rule]] | None = None) -> list[Violation]:
    """Every violation of the shapes in one record's (or any) graph, given as its ``index``."""
    target_class, compiled_rules = rules or compiled()
    target = nt.iri(str(target_class))
    out: list[Violation] = []
    for focus, props in idx.items():
        if target not in props.get(terms.RDF_TYPE, ()):
            continue
        # Rules sharing a path share its values: one walk per path, not per constraint. A path
        # whose first step is absent has no values: only minimum counts can fail there.
        for first, rest, path_rules, required in _by_path(compiled_rules):
            values = props.get(first)
            if values is None:
                if required:
                    out += [Violation(r, focus, None) for r in required]
                continue
            for step in rest:
                values = [o for n in values for o in idx.get(n, {}).get(step, ())]
            for rule in path_rules:
                found = rule.check_values(values)
                if found:
                    out += [Violation(rule, focus, v) for v in found]
    out.sort(key=_order)
    return out


def _order(violation: Violation) -> tuple[bool, str]:
    """Errors first, then by shape (as the rules are)."""
    return violation.rule.order


def literal_text(term: str | None) -> str:
    """The text of a literal or an IRI (written as N-Triples); "" for anything else."""
    return "" if term is None else nt.lexical(term)
