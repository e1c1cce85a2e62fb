"""The unified graph in blocks, one per algorithm, kept in state between runs.

A run in scope (only some organisations' records changed) rebuilds the blocks of those
organisations' algorithms and reuses every other block as last published: records never cross
organisations, so one changed register costs what its organisations hold, not what the whole
federation holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from federator import codec
from federator.publish.graphs import Patch
from federator.resolve.candidates import Cluster, RecordKey
from federator.state import State

Body = dict[str, Any]
# A block's statements as state keeps them (``codec.pack_text``; plain text from older
# versions): held packed, a full run's blocks are a quarter of the 420 MB of their text at
# 100,000 registrations, which decided whether peak memory stayed under 2 GB.
Stored = str | bytes


class Blocks:
    def __init__(self) -> None:
        self.texts: dict[str, Stored] = {}  # token -> statements, for every current algorithm
        self.rebuilt: dict[str, tuple[str, bytes]] = {}  # token -> (organisation, statements)
        self.before: dict[str, Stored] | None = None  # scoped runs: every block as published

    def build(
        self,
        clusters: Sequence[Cluster],
        token_of: dict[RecordKey, str],
        by_key: dict[RecordKey, Body],
        scope: set[str] | None,
        state: State,
        build_block: Callable[[list[Body]], str],
    ) -> None:
        """Reuse the stored block of every algorithm outside ``scope`` (all are rebuilt when
        ``scope`` is None); bodies not at hand are read from state."""
        cached: dict[str, Stored] = {}
        if scope is not None:
            stored = state.unified_blocks()
            self.before = {token: text for token, (_, text) in stored.items()}
            cached = {token: text for token, (org, text) in stored.items() if org not in scope}
        for cluster in clusters:
            token = token_of[cluster.members[0]]
            found = [by_key.get(k) for k in cluster.members]
            stale = (
                scope is None
                or token not in cached
                or any(b is not None and b["organisation"] in scope for b in found)
            )
            if not stale:
                self.texts[token] = cached[token]
                continue
            missing = [k for k, b in zip(cluster.members, found, strict=True) if b is None]
            loaded = state.record_bodies(missing) if missing else {}
            members = [
                b if b is not None else loaded[k]
                for k, b in zip(cluster.members, found, strict=True)
            ]
            text = codec.pack_text(build_block(members))
            self.texts[token] = text
            self.rebuilt[token] = (members[0]["organisation"], text)

    def patch(self, before_replaced: str, replaced: str) -> Patch | None:
        """The unified graph's change in a scoped run, block by block (None in a full run)."""
        if self.before is None:
            return None
        changed = {t for t in self.before if t not in self.texts} | set(self.rebuilt)
        gone = _lines([self.before.get(t, "") for t in changed] + [before_replaced])
        come = _lines([self.texts.get(t, "") for t in changed] + [replaced])
        return Patch(
            old=_unpacked(self.before, before_replaced),
            new=_unpacked(self.texts, replaced),
            removed=gone - come,
            added=come - gone,
        )

    def commit(self, db: sqlite3.Connection, scope: set[str] | None) -> None:
        """Store the rebuilt blocks; drop those of algorithms that no longer exist. The
        blocks are released as they are written: the unified graph is published by now."""
        if scope is None:
            db.execute("DELETE FROM unified_blocks")
        else:
            marks = ",".join("?" * len(scope))
            db.execute(f"DELETE FROM unified_blocks WHERE organisation IN ({marks})", sorted(scope))
        self.texts, self.before = {}, None

        def rows() -> Iterator[tuple[str, str, bytes]]:
            while self.rebuilt:
                token, (org, text) = self.rebuilt.popitem()
                yield token, org, text

        db.executemany("INSERT OR REPLACE INTO unified_blocks VALUES (?, ?, ?)", rows())


def _unpacked(blocks: dict[str, Stored], last: str) -> Iterator[str]:
    """Every block's text in token order, then ``last``: one block unpacked at a time."""
    for token in sorted(blocks):
        yield codec.unpack_text(blocks[token])
    yield last


def _lines(texts: list[Stored]) -> set[str]:
    return {line for text in texts for line in codec.unpack_text(text).split("\n") if line}
