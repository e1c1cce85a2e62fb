"""The unified graph as last committed, block by block (what the store holds, graph by graph,
is in its manifest: ``publish.manifest``)."""

from __future__ import annotations

from collections.abc import Collection

from federator.state.runs import Tables

READ_ALL_FROM = 1000  # blocks asked for by token from which one scan beats a lookup each


class PublishedTables(Tables):
    def unified_block_digests(self) -> dict[str, str | None]:
        """Token -> digest of its statements (None in blocks an older version kept), of every
        algorithm in the unified graph as last published (no text is decoded)."""
        return dict(self.db.execute("SELECT token, digest FROM unified_blocks"))

    def unified_block_tokens(self, organisations: set[str]) -> set[str]:
        """The tokens of the blocks filed under these organisations."""
        marks = ",".join("?" * len(organisations))
        rows = self.db.execute(
            f"SELECT token FROM unified_blocks WHERE organisation IN ({marks})",
            sorted(organisations),
        )
        return {r[0] for r in rows}

    def unified_block_texts(self, tokens: Collection[str] | None = None) -> dict[str, str | bytes]:
        """Token -> the unified graph's statements about that algorithm as last published
        (all, or these tokens'); as stored: ``codec.unpack_text`` reads them."""
        if tokens is None or len(tokens) >= READ_ALL_FROM:
            wanted = None if tokens is None else set(tokens)
            rows = self.db.execute("SELECT token, text FROM unified_blocks")
            return {r[0]: r[1] for r in rows if wanted is None or r[0] in wanted}
        out = {}
        for token in tokens:
            row = self.db.execute(
                "SELECT text FROM unified_blocks WHERE token = ?", (token,)
            ).fetchone()
            if row is not None:
                out[token] = row[0]
        return out

    def has_unified_blocks(self) -> bool:
        """True when the last publish left blocks to patch, each with its digest."""
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM unified_blocks) "
            "AND NOT EXISTS (SELECT 1 FROM unified_blocks WHERE digest IS NULL)"
        ).fetchone()
        return bool(row[0])
