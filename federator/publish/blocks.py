"""The unified graph in blocks, one per algorithm, kept in state between runs.

A run in scope (only some organisations' records changed) rebuilds the blocks of those
organisations' algorithms and reuses every other block as last published: records never cross
organisations, so one changed register costs what its organisations hold, not what the whole
federation holds.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from federator import codec
from federator.publish import graphs
from federator.publish.store import Patch
from federator.resolve import Resolution
from federator.resolve.candidates import RecordKey
from federator.state import State

Body = dict[str, Any]
# A block's statements as state keeps them (``codec.pack_texts``; plain text from older
# versions): held packed, a full run's blocks are a quarter of the 420 MB of their text at
# 100,000 registrations, which decided whether peak memory stayed under 2 GB.
Stored = str | bytes


class Blocks:
    def __init__(self) -> None:
        self.digests: dict[str, str] = {}  # token -> block_digest, for every current algorithm
        # token -> (organisation, statements packed, block_digest)
        self.rebuilt: dict[str, tuple[str, bytes, str]] = {}
        self.before: dict[str, str] = {}  # token -> block_digest, as last published
        self.known = True  # False when state holds blocks an older version kept (no digest)
        self.full = True

    def build(
        self,
        resolution: Resolution,
        by_key: dict[RecordKey, Body],
        scope: set[str] | None,
        state: State,
        build_block: Callable[[list[Body]], str],
        emit: Callable[[bytes], None] | None = None,
    ) -> None:
        """Rebuild the blocks of the algorithms clustered in this run (all, when ``scope`` is
        None); the kept algorithms' blocks stand as published, only their digests are read.
        Bodies not at hand are read from state. ``emit`` is given each block's text as it is
        built (a rebuild loads the unified graph meanwhile)."""
        stored = state.unified_block_digests()
        self.before = {t: d for t, d in stored.items() if d is not None}
        self.known, self.full = len(self.before) == len(stored), scope is None
        token_of = resolution.assignment.token_of
        algorithms = [(token_of[c.members[0]], c.members) for c in resolution.clustering.clusters]
        if scope is not None:
            standing = self.before.keys() - state.unified_block_tokens(scope)
            kept = resolution.kept
            # The blocks filed outside ``scope`` are the kept algorithms' (records never cross
            # organisations). Should state say otherwise, a block no kept algorithm holds is
            # dropped, and a kept algorithm whose block is not among them is built again.
            self.digests = {t: self.before[t] for t in standing if t in kept}
            algorithms += [(t, keys) for t, keys in kept.items() if t not in standing]
        packer = _Packer(self.rebuilt)
        try:
            for token, keys in algorithms:
                members = _members(keys, by_key, state)
                data = build_block(members).encode("utf-8")  # once: 420 MB at 100,000
                if emit is not None:
                    emit(data)
                digest = hashlib.sha256(data).hexdigest()  # block_digest
                self.digests[token] = digest
                packer.add(token, members[0]["organisation"], data, digest)
            packer.finish()
        finally:
            packer.close()

    def patch(self, state: State, before_replaced: str, replaced: str) -> Patch:
        """The unified graph's change, block by block, from the blocks last published: only
        the blocks that changed are read, and both digests come from the blocks'. With no
        blocks to start from (a first run, or blocks without digests), ``old_digest`` is None
        and the store compares the whole text."""
        before = self.before

        def changes() -> tuple[set[str], set[str]] | None:
            came = {t for t, (_, _, d) in self.rebuilt.items() if before.get(t) != d}
            went = {t for t in before if t not in self.digests} | (came & before.keys())
            if len(came) + len(went) > len(before):
                return None  # most of the graph: rewritten whole, never held as two line sets
            gone = _lines([*state.unified_block_texts(went).values(), before_replaced])
            come = _lines([self.rebuilt[t][1] for t in came] + [replaced])
            return gone - come, come - gone

        started = bool(before) and self.known
        return Patch(
            graph_digest(before, before_replaced) if started else None,
            graph_digest(self.digests, replaced),
            changes,
            lambda: self._text(state, replaced),
        )

    def _text(self, state: State, replaced: str) -> Iterator[str]:
        """The whole unified graph: blocks not rebuilt as state keeps them."""
        standing = set(self.digests) - set(self.rebuilt)
        stored = state.unified_block_texts(standing)
        blocks = {t: stored[t] for t in standing}
        blocks.update((t, packed) for t, (_, packed, _) in self.rebuilt.items())
        return graphs.unified_graph(blocks, replaced)

    def commit(self, db: sqlite3.Connection) -> None:
        """Store the blocks that changed; drop those of algorithms that no longer exist. The
        blocks are released as they are written: the unified graph is published by now."""
        before = self.before
        if self.full and not self.known:  # blocks an older version kept: all written anew
            db.execute("DELETE FROM unified_blocks")
            before = {}
        else:
            gone = [(t,) for t in before if t not in self.digests]
            db.executemany("DELETE FROM unified_blocks WHERE token = ?", gone)
        self.digests, self.before = {}, {}

        def rows() -> Iterator[tuple[str, str, bytes, str]]:
            while self.rebuilt:
                token, (org, text, digest) = self.rebuilt.popitem()
                if before.get(token) != digest:  # the same text is filed as it was
                    yield token, org, text, digest

        db.executemany(
            "INSERT OR REPLACE INTO unified_blocks (token, organisation, text, digest) "
            "VALUES (?, ?, ?, ?)",
            rows(),
        )


def block_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def graph_digest(blocks: dict[str, str], replaced: str) -> str:
    """The unified graph's digest, from its blocks' (token -> ``block_digest``) and the text
    of its retired IRIs: a scoped run names the old and the new graph without reading either
    whole. The same blocks always give the same digest; an empty graph has its empty text's."""
    if not blocks and not replaced:
        return hashlib.sha256(b"").hexdigest()
    listing = "".join(f"{token} {blocks[token]}\n" for token in sorted(blocks))
    return hashlib.sha256(f"{listing}{block_digest(replaced)}\n".encode()).hexdigest()


def _lines(texts: list[Stored]) -> set[str]:
    return {line for text in texts for line in codec.unpack_text(text).split("\n") if line}


def _members(keys: list[RecordKey], by_key: dict[RecordKey, Body], state: State) -> list[Body]:
    """The bodies of one algorithm's records by (source, native id); those not at hand are
    read from state."""
    if len(keys) == 1 and keys[0] in by_key:  # most algorithms: one record, at hand
        return [by_key[keys[0]]]
    found = [by_key.get(k) for k in keys]
    missing = [k for k, b in zip(keys, found, strict=True) if b is None]
    loaded = state.record_bodies(missing) if missing else {}
    return sorted(
        (b if b is not None else loaded[k] for k, b in zip(keys, found, strict=True)),
        key=lambda b: (b["source"], b["native_id"]),
    )


class _Packer:
    """Blocks packed (``codec.pack_texts``) on a helper thread, and filed in ``into`` in the
    order they were added. Packed on the main thread they took a fifth of its time building
    blocks (1.0 s in a cold run at 20,000, under the profiler). A batch of ``BATCH`` is packed
    without the GIL, beside the building; one by one, the helper would wait for the GIL after
    every block. At most ``AHEAD`` batches wait to be packed (2 MB of text each at 100,000
    registrations): the builder waits rather than hold more."""

    BATCH, AHEAD = 500, 2

    def __init__(self, into: dict[str, tuple[str, bytes, str]]) -> None:
        self.into = into
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="pack-blocks")
        self.named: list[tuple[str, str, str]] = []  # (token, organisation, block_digest)
        self.texts: list[bytes] = []
        self.sent: deque[tuple[list[tuple[str, str, str]], Future[list[bytes]]]] = deque()

    def add(self, token: str, organisation: str, text: bytes, digest: str) -> None:
        self.named.append((token, organisation, digest))
        self.texts.append(text)
        if len(self.texts) >= self.BATCH:
            self._send()

    def finish(self) -> None:
        """Every block added is packed and filed."""
        self._send()
        while self.sent:
            self._file()

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)

    def _send(self) -> None:
        if self.texts:
            self.sent.append((self.named, self.pool.submit(codec.pack_texts, self.texts)))
            self.named, self.texts = [], []
        # Batches are filed once packed (packed, a block is a quarter of its text); with more
        # than ``AHEAD`` still to pack, the oldest is waited for.
        while self.sent and (len(self.sent) > self.AHEAD or self.sent[0][1].done()):
            self._file()

    def _file(self) -> None:
        named, batch = self.sent.popleft()
        for (token, org, digest), packed in zip(named, batch.result(), strict=True):
            self.into[token] = (org, packed, digest)
