"""The validation shapes (``data/shapes.ttl``), compiled to plain Python checks.

pySHACL on a large graph is slow, so each record's own small graph is checked by compiled
rules instead. Only the SHACL Core constraints the shapes use are supported (a shape using
another one is refused on load), and ``tests/validate`` proves that the results equal
pySHACL's on the same graphs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from federator.vocab import REG

SUPPORTED = {SH.minCount, SH.maxCount, SH.minLength, SH.maxLength, SH["in"]}
KINDS = {
    SH.minCount: "min",
    SH.maxCount: "max",
    SH.minLength: "minlen",
    SH.maxLength: "maxlen",
    SH["in"]: "in",
}
_TYPE = RDF.type  # looked up once: a namespace attribute is a call each time
IGNORED = {RDF.type, SH.path, SH.severity, SH.name, SH.description, SH.message, REG.field, REG.rule}

Index = dict[Node, dict[Node, list[Node]]]


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

    def values(self, index: Index, focus: Node) -> list[Node]:
        nodes = [focus]
        for step in self.path:
            nodes = [o for n in nodes for o in index.get(n, {}).get(step, [])]
        return nodes

    def check(self, index: Index, focus: Node) -> list[Node | None]:
        """Each violation's value node (None for count constraints)."""
        return self.check_values(self.values(index, focus))

    def check_values(self, values: list[Node]) -> list[Node | None]:
        kind, limit = self.kind, self.limit
        if kind == "min":
            return [None] if len(values) < limit else []  # type: ignore[operator]
        if kind == "max":
            return [None] if len(values) > limit else []  # type: ignore[operator]
        if kind == "minlen":
            return [v for v in values if isinstance(v, BNode) or len(v) < limit]  # type: ignore[arg-type, operator]
        if kind == "maxlen":
            return [v for v in values if isinstance(v, BNode) or len(v) > limit]  # type: ignore[arg-type, operator]
        return [v for v in values if v not in limit]  # type: ignore[operator]


@dataclass(frozen=True)
class Violation:
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
    return target, sorted(rules, key=lambda r: (r.severity != "error", str(r.shape)))


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    text = resources.files("federator.data").joinpath("shapes.ttl").read_text("utf-8")
    return rdflib.Graph().parse(data=text, format="turtle")


@lru_cache(maxsize=1)
def compiled() -> tuple[URIRef, list[Rule]]:
    return compile_shapes(shapes_graph())


def index(triples: Iterable[tuple[Node, Node, Node]]) -> Index:
    out: Index = defaultdict(lambda: defaultdict(list))
    for s, p, o in triples:
        out[s][p].append(o)
    return out


Grouping = list[tuple[tuple[URIRef, ...], list[Rule]]]
# The last rule list grouped, found by identity (``compiled()`` hands out one list, never
# changed in place): hashing its 35 rules for a cache key cost 8.5 microseconds a record.
_grouped: tuple[list[Rule], Grouping] | None = None


def _by_path(rules: list[Rule]) -> Grouping:
    global _grouped
    last = _grouped  # one read: another thread may group another list meanwhile
    if last is None or last[0] is not rules:
        grouped: dict[tuple[URIRef, ...], list[Rule]] = {}
        for rule in rules:
            grouped.setdefault(rule.path, []).append(rule)
        last = _grouped = (rules, list(grouped.items()))
    return last[1]


def validate_triples(
    triples: Iterable[tuple[Node, Node, Node]], rules: tuple[URIRef, list[Rule]] | None = None
) -> list[Violation]:
    """Every violation of the shapes in one record's (or any) graph."""
    return validate_index(index(triples), rules)


def validate_index(idx: Index, rules: tuple[URIRef, list[Rule]] | None = None) -> list[Violation]:
    """``validate_triples`` on a graph's ``index``, for callers that need the index too."""
    target, compiled_rules = rules or compiled()
    out: list[Violation] = []
    for focus, props in idx.items():
        if target not in props.get(_TYPE, ()):
            continue
        # Rules sharing a path share its values: one walk per path, not per constraint. A path
        # whose first step is absent has no values: only minimum counts can fail there.
        for path, path_rules in _by_path(compiled_rules):
            if path[0] not in props:
                out += [
                    Violation(r, focus, None)
                    for r in path_rules
                    if r.kind == "min" and isinstance(r.limit, int) and r.limit > 0
                ]
                continue
            values: list[Node] = [focus]
            for step in path:
                values = [o for n in values for o in idx.get(n, {}).get(step, ())]
            for rule in path_rules:
                out += [Violation(rule, focus, v) for v in rule.check_values(values)]
    out.sort(key=lambda v: (v.rule.severity != "error", str(v.rule.shape)))
    return out


def literal_text(node: Node | None) -> str:
    return str(node) if isinstance(node, Literal | URIRef) else ""
