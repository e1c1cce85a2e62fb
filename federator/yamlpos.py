"""YAML loading that remembers the line of every key, so errors can name it."""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


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


def load(text: str) -> Located:
    """Parse YAML text; raise ``yaml.YAMLError`` (with its mark) when malformed."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: dict[Path_, int] = {}
    if node is None:
        return Located(None, {(): 1})
    loader = yaml.SafeLoader("")

    def build(n: yaml.Node, path: Path_) -> Any:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                key = loader.construct_object(key_node, deep=True)
                sub = (*path, key)
                if key in out:
                    raise DuplicateKey(str(key), key_node.start_mark.line + 1)
                lines[sub] = key_node.start_mark.line + 1
                out[key] = build(value_node, sub)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(item, (*path, i)) for i, item in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    return Located(build(node, ()), lines)


class DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.line = key, line
