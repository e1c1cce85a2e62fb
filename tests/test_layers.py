"""The package's imports point one way: leaves, state, stages, orchestration, readers, the top.

Every ``import`` in the package is read, function bodies included, so that a cycle cannot
hide behind a deferred import.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "federator"

# Lower layers never import higher ones. Within a layer only the edges named below are
# allowed between packages (a module may always import its own package's modules).
LAYERS: list[tuple[str, ...]] = [
    # leaves: import nothing of federator...
    (
        "federator",
        "federator.codec",
        "federator.collector",
        "federator.data",
        "federator.errors",
        "federator.faults",
        "federator.log",
        "federator.parallel",
        "federator.schedule",
        "federator.sim",
        "federator.timeline",
        "federator.versions",
        "federator.vocab",
        "federator.yamlpos",
    ),
    # ...or only leaves of the lines above. The configuration stacks up: the machinery that
    # declares and reads settings, the kinds of value, the sections, the file that holds them
    ("federator.settings",),
    ("federator.configkinds",),
    ("federator.configsections", "federator.configsources", "federator.configpublish"),
    (
        "federator.config",
        "federator.lock",
        "federator.orgs",
        "federator.records",
        "federator.terms",
    ),
    ("federator.state",),
    # the stages
    (
        "federator.harvest",
        "federator.map",
        "federator.validate",
        "federator.resolve",
        "federator.publish",
    ),
    # orchestration, and publishing past one machine
    (
        "federator.mapvalidate",
        "federator.pipeline",
        "federator.check",
        "federator.push",
        "federator.configcheck",
        "federator.search",
    ),
    # readers: queries, reports, the HTTP server
    (
        "federator.sparql",
        "federator.query",
        "federator.report",
        "federator.explain",
        "federator.server",
    ),
    # the top: command line, daemon, the run process it starts, the demo
    (
        "federator.cli",
        "federator.commands",
        "federator.daemon",
        "federator.demo",
        "federator.child",
        "federator.__main__",
    ),
]

# Same-layer edges between packages, each for a reason.
ALLOWED_ACROSS = {
    # a stage reads the public output type of the stage before it
    ("federator.map", "federator.harvest"),  # map reads what harvest fetched
    ("federator.validate", "federator.map"),  # validate checks what map made
    ("federator.publish", "federator.resolve"),  # publish writes what resolve decided
    ("federator.publish", "federator.validate"),  # the quality graph of the verdicts
    ("federator.publish", "federator.map"),  # mapping specs: field lists for quality
    # orchestration
    ("federator.pipeline", "federator.mapvalidate"),
    ("federator.pipeline", "federator.push"),  # push follows each publish
    ("federator.pipeline", "federator.search"),  # the search index follows each publish
    # readers share the read models
    ("federator.server", "federator.report"),
    ("federator.server", "federator.query"),
    ("federator.server", "federator.sparql"),
    ("federator.server", "federator.explain"),
    ("federator.query", "federator.sparql"),
    # the top
    ("federator.cli", "federator.commands"),
    ("federator.cli", "federator.demo"),
    ("federator.commands", "federator.daemon"),
    ("federator.commands", "federator.demo"),
    ("federator.child", "federator.cli"),
    ("federator.__main__", "federator.cli"),
    ("federator.demo", "federator.daemon"),
}

# Deferred (function-level) imports of federator modules that must stay deferred, and why.
LAZY: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (
        PACKAGE.parent / rel / "__init__.py"
    ).exists()


def imports(path: Path) -> list[tuple[str, bool]]:
    """(imported federator module, whether the import is inside a function) of one file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((a.name, nested) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(anchor + ([child.module] if child.module else []))
                for alias in child.names:
                    target = f"{base}.{alias.name}"
                    found.append((target if is_module(target) else base, nested))
            visit(child, nested)

    visit(tree, False)
    return [(m, f) for m, f in found if m == "federator" or m.startswith("federator.")]


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        edges.setdefault(module_name(path), set()).update(m for m, _ in imports(path))
    return edges


def layer_of(module: str) -> tuple[int, str]:
    """(layer index, the layer entry the module belongs to) by the longest matching entry."""
    best: tuple[int, str] | None = None
    for i, entries in enumerate(LAYERS):
        for entry in entries:
            inside = module == entry or (module.startswith(entry + ".") and entry != "federator")
            if inside and (best is None or len(entry) > len(best[1])):
                best = (i, entry)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in {__file__}")
    return best


def test_every_module_has_a_layer() -> None:
    for module in graph():
        layer_of(module)


def test_no_import_cycle() -> None:
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w == v:
                continue
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    assert cycles == []


def test_imports_point_down() -> None:
    wrong = []
    for module, targets in graph().items():
        layer, entry = layer_of(module)
        for target in targets:
            t_layer, t_entry = layer_of(target)
            if t_entry == entry or t_layer < layer:
                continue
            if t_layer == layer and (entry, t_entry) in ALLOWED_ACROSS:
                continue
            wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_deferred_federator_import() -> None:
    deferred = sorted(
        (module_name(path), target)
        for path in PACKAGE.rglob("*.py")
        for target, in_function in imports(path)
        if in_function and (module_name(path), target) not in LAZY
    )
    assert deferred == []


def test_leaves_import_no_federator_module() -> None:
    edges = graph()
    assert {m: edges[m] for m in LAYERS[0] if edges.get(m)} == {}
