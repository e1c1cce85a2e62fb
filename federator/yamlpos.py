"""YAML loading that remembers the line of every key, so errors can name it.

Anchors and aliases are allowed, within bounds: an alias repeats its anchor's whole subtree, so a
few lines of nested aliases can stand for billions of values (the "billion laughs"). Loading counts
what aliases add and refuses a document where they add more than ``MAX_ALIAS_NODES`` values, or
where an alias refers to its own ancestor (a recursive document), naming the alias's line.
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]

MAX_ALIAS_NODES = 10_000  # values aliases may add to a document, all aliases together


class Located:
    """A loaded YAML document plus the line (1-based) of each key path."""

    def __init__(self, data: Any, lines: dict[Path_, int]) -> None:
        self.data = data
        self.lines = lines

    def line(self, *path: str | int) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


class Problem(Exception):
    """Well-formed YAML that a configuration may not be; ``line`` is 1-based."""

    def __init__(self, message: str, line: int, key: str = "") -> None:
        super().__init__(message)
        self.message, self.line, self.key = message, line, key


class DuplicateKey(Problem):
    def __init__(self, key: str, line: int) -> None:
        super().__init__("duplicate key", line, key)


class _Composer(yaml.SafeLoader):
    """The safe loader's node graph, with the size of every node as aliases expand it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.sizes: dict[int, int] = {}  # id(node) -> values in it, aliases expanded
        self.added = 0  # values all aliases so far added

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1
            node = super().compose_node(parent, index)
            size = self.sizes.get(id(node))
            if size is None:  # the anchor is still open: an alias of its own ancestor
                raise Problem("a YAML alias may not refer to a node that contains it", line)
            self.added += size
            if self.added > MAX_ALIAS_NODES:
                raise Problem(
                    f"YAML aliases expand to more than {MAX_ALIAS_NODES} values; write them out",
                    line,
                )
            return node
        node = super().compose_node(parent, index)
        size = 1
        if isinstance(node, yaml.MappingNode):
            size += sum(self.sizes[id(k)] + self.sizes[id(v)] for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size += sum(self.sizes[id(item)] for item in node.value)
        self.sizes[id(node)] = size
        return node


_CLoader = getattr(yaml, "CSafeLoader", None)  # libyaml's, when PyYAML was built with it


def _within_bounds(node: yaml.Node) -> bool:
    """Whether a node graph keeps the bounds ``_Composer`` checks as it composes: no alias of
    a node that contains it, aliases adding at most ``MAX_ALIAS_NODES`` values."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    added = 0

    def size(n: yaml.Node) -> int | None:
        nonlocal added
        if id(n) in sizes:  # composed already: this is an alias of it
            added += sizes[id(n)]
            return sizes[id(n)] if added <= MAX_ALIAS_NODES else None
        if id(n) in open_:
            return None
        open_.add(id(n))
        total = 1
        if isinstance(n, yaml.MappingNode):
            children = [child for pair in n.value for child in pair]
        else:
            children = n.value if isinstance(n, yaml.SequenceNode) else []
        for child in children:
            s = size(child)
            if s is None:
                return None
            total += s
        open_.discard(id(n))
        sizes[id(n)] = total
        return total

    return size(node) is not None


def load(text: str) -> Located:
    """Parse YAML text; raise ``yaml.YAMLError`` (with its mark) when malformed and ``Problem``
    for a duplicate key, a key that is not a plain value, or aliases past their bounds.

    libyaml composes the document when PyYAML has it (a mapping file of 300 lines: 4 ms, not
    22); a document past the bounds, or with any error, is composed again by ``_Composer``,
    which says what is wrong as it always did."""
    if _CLoader is not None:
        try:
            loader = _CLoader(text)
            try:
                node = loader.get_single_node()
            finally:
                loader.dispose()
            if node is not None and _within_bounds(node):
                return _located(node)
        except (Problem, yaml.YAMLError, RecursionError):
            pass
    composer = _Composer(text)
    try:
        node = composer.get_single_node()
    except RecursionError as exc:
        raise Problem("the document is nested too deeply", 1) from exc
    finally:
        composer.dispose()
    return _located(node)


def _located(node: yaml.Node | None) -> Located:
    lines: dict[Path_, int] = {}
    if node is None:
        return Located(None, {(): 1})
    loader = yaml.SafeLoader("")

    def build(n: yaml.Node, path: Path_) -> Any:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise Problem("a key must be a plain value, not a list or mapping", line)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise Problem(
                        "YAML merge keys (<<) are not supported: write the keys out", line
                    )
                key = loader.construct_object(key_node, deep=True)
                sub = (*path, key)
                if key in out:
                    raise DuplicateKey(str(key), line)
                lines[sub] = line
                out[key] = build(value_node, sub)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    try:
        return Located(build(node, ()), lines)
    except RecursionError as exc:
        raise Problem("the document is nested too deeply", 1) from exc
