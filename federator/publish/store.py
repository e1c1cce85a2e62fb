"""The embedded Oxigraph store under ``data_dir/store``: graphs written as diffs, bulk loads.

Known traps of pyoxigraph 0.5 handled here: ``bulk_load`` is not transactional, so readers
never open this store but checkpoints of it taken after a publish completed (``snapshot``);
blank-node labels are scoped to one load call; and with the default graph as union a
statement stored in two graphs is counted twice, so every statement lives in exactly one
graph (see ``graphs``). The texts it is given are N-Triples written by ``federator.terms``.

Those texts are checked as they are written: ``terms`` asks pyoxigraph itself about every
IRI, language tag and blank-node label. So every load here is "lenient": it skips only those
checks, and still parses the syntax. Checking again was a quarter of a load into memory:
710,000 statements (a cold run at 20,000) in 1.9-2.1 s lenient, 2.6 s checked.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from federator import codec
from federator.faults import pause_point
from federator.publish.manifest import Manifest

# Statements from which bulk_load is used: at 3,000 it took 45 ms against 74 ms for a
# transactional load (measured); where the two cross was not measured.
BULK_MIN = 1000
# Statements per bulk-load job. Alone, 50k-200k loaded alike; in a cold run at 100,000
# registrations, where pieces are gathered up to it (``_GraphWrite.add``), 64k beat 100k on
# time (59-61 s against 64-67 s), CPU and peak memory (measured, two runs each).
CHUNK = 64_000
# A line of N-Triples ends so (``terms.t``, and rdflib's writer); how a text is turned into
# N-Quads for a load that holds several graphs (``_Gathered``).
_END = b" .\n"


@dataclass
class Patch:
    """A graph's change worked out by its builder: the digests the builder gives the old and
    the new text (``blocks.graph_digest``), so that neither text is read whole; ``changes``
    gives the statements that go and come (worked out only when the store holds the old
    text), ``text`` the whole new text, for when it does not or the builder does not know the
    old one (``old_digest`` None)."""

    old_digest: str | None
    new_digest: str
    changes: Callable[[], tuple[set[str], set[str]] | None]  # None: rewrite it whole
    text: Callable[[], Iterable[str]]


class Store:
    """Owner of the on-disk store; one process holds it read-write at a time.

    Graphs are written as diffs against what was last published (kept compressed under
    ``data_dir/published``; for the unified graph, by its blocks in state, see
    ``patch_graph``): unchanged statements are never rewritten, and removals are
    quad-by-quad (about twice as fast on disk as ``clear_graph``: 39,000 against 18,000
    quads a second, measured here). Writes use the fast
    non-transactional paths; readers never see a half-written graph because they read
    checkpoints taken after a publish completed (see ``snapshot``). A graph whose write was
    interrupted is marked dirty and rewritten from what the store really holds next time.

    Big loads run in background threads, in chunks: pyoxigraph's ``bulk_load`` releases the
    GIL but uses one core per call, so two chunks load in about half the time (426,000
    statements: 4.6 s in one call, 2.1 s as five chunks on two threads), and the next graph's
    text is built meanwhile. ``wait`` (and ``flush``) return when every load has landed.
    """

    def __init__(
        self, path: Path | None, workers: int | None = None, *, rebuilds: bool = True
    ) -> None:
        self.path = path
        # Whether a publish that rewrites every graph loads a fresh store (``begin_rebuild``);
        # False keeps the older way, a diff against this store (compared in the tests).
        self.rebuilds = rebuilds and path is not None
        self._memory: dict[str, set[str]] = {}  # in-memory stores remember here
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._previous: ox.Store | None = None  # the store a rebuild replaces, until the swap
        if path is None:
            self.ox = ox.Store()
            self.published: Path | None = None
        else:
            _recover(path)
            path.mkdir(parents=True, exist_ok=True)
            self.ox = ox.Store(str(path))
            self.published = path.parent / "published"
            self.published.mkdir(exist_ok=True)
            workers = workers or min(4, os.cpu_count() or 1)
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="store-load")
            # Bounds the chunks waiting in memory: the text of a graph can be gigabytes.
            self._slots = threading.BoundedSemaphore(2 * workers)
            # Hashing and compressing the copy for the next diff, in order, off the builder's
            # thread (hashlib and zstd release the GIL); gzip was 2 CPU-s at 20,000.
            self._copier = ThreadPoolExecutor(1, thread_name_prefix="store-copy")
            self._copy_slots = threading.BoundedSemaphore(4)
        self._gathered = _Gathered()

        self.manifest = Manifest(self.published)

    # -- what was last published, per graph ------------------------------------------------
    def _file(self, graph: str) -> Path | None:
        if self.published is None:
            return None
        return self.published / (hashlib.sha256(graph.encode()).hexdigest()[:32] + ".nt.zst")

    def _last(self, graph: str) -> set[str] | None:
        file = self._file(graph)
        if file is None:
            return self._memory.get(graph)
        if self.manifest.digest(graph) is None or not file.exists():
            return None
        text = codec.read_file(file).decode("utf-8")
        return {line for line in text.split("\n") if line.strip()}

    def _remember(
        self, graph: str, lines: set[str], digest: str, data: bytes | None = None
    ) -> None:
        """Record the digest of what the graph now holds, and keep a copy of its text
        (``data``; None: a text its builder names keeps none, see ``patch_graph``)."""
        file = self._file(graph)
        if file is None:
            self._memory[graph] = lines
        elif data is None:
            file.unlink(missing_ok=True)  # it would describe another text
        else:
            tmp = file.with_suffix(".tmp")
            with codec.file_writer(tmp) as out:
                out.write(data)
            os.replace(tmp, file)
        self.manifest.end_write(graph, digest)

    def _mark_dirty(self, graph: str) -> None:
        self.manifest.begin_write(graph)

    def dirty(self) -> bool:
        """True when a graph write or a publish was interrupted (the next publish compares
        every graph again, and rewrites the interrupted ones whole)."""
        return self.manifest.dirty()

    # -- a full rewrite into a fresh store ---------------------------------------------------
    def begin_rebuild(self, carry: Iterable[str] = ()) -> bool:
        """Every graph is about to be written anew (a first run, a layout upgrade, a store
        that an interrupted publish left untrusted): load into a fresh store beside this one,
        with bulk loads and nothing to compare or remove, and swap it in at ``flush``. The
        graphs named in ``carry`` (those only ever added to, like the provenance log) are
        copied over. Until the swap this store stays as it was; readers never open either
        (they read snapshots). Returns whether a rebuild began (never for an in-memory store)."""
        if not self.rebuilds or self.path is None or self._previous is not None:
            return False
        self.wait()
        fresh = _fresh_dir(self.path)
        shutil.rmtree(fresh, ignore_errors=True)
        previous, self.ox = self.ox, ox.Store(str(fresh))
        self._previous = previous
        self.manifest.begin_rebuild()  # every digest unknown until its graph lands anew
        for graph in carry:
            name = ox.NamedNode(graph)
            data = previous.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
            self.ox.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=name, lenient=True)
        return True

    def rebuilding(self) -> bool:
        return self._previous is not None

    def _swap(self) -> None:
        """Put the fresh store in this one's place: two renames, between which a crash is
        repaired at the next start (``_recover``)."""
        assert self.path is not None
        fresh, retired = _fresh_dir(self.path), _retired_dir(self.path)
        held: list[object] = [self._previous, self.ox]
        self._previous = None
        self.ox = _CLOSED
        _let_go(held)  # both closed before their folders are renamed
        shutil.rmtree(retired, ignore_errors=True)
        os.rename(self.path, retired)
        pause_point("store.mid_swap")
        os.rename(fresh, self.path)
        _sync_dir(self.path.parent)
        self.manifest.end_rebuild(landed=True)
        self.ox = ox.Store(str(self.path))
        shutil.rmtree(retired, ignore_errors=True)

    def abandon_rebuild(self) -> None:
        """After a failed publish: keep the store as it was, and drop the half-built one
        (the manifest still says every graph is unknown, so the next publish rebuilds)."""
        if self._previous is None or self.path is None:
            return
        held: list[object] = [self.ox]
        self.ox, self._previous = self._previous, None
        self.manifest.end_rebuild(landed=False)
        _let_go(held)  # closed before its folder is removed
        shutil.rmtree(_fresh_dir(self.path), ignore_errors=True)

    # -- writing ---------------------------------------------------------------------------
    def published_digest(self, graph: str) -> str | None:
        """Digest of the text last written to ``graph``; None when unknown or interrupted."""
        return self.manifest.digest(graph)

    def forget(self, graph: str) -> None:
        """Drop a graph that is no longer published (its statements and its name), and
        forget it."""
        self._mark_dirty(graph)  # until it is gone
        self.wait()  # no removal while a load is running (pyoxigraph's warning)
        self.ox.remove_graph(ox.NamedNode(graph))
        self.manifest.forget(graph)
        file = self._file(graph)
        if file is not None:
            file.unlink(missing_ok=True)
        self._memory.pop(graph, None)

    def published_text(self, graph: str) -> str | None:
        """The N-Triples last written to ``graph``, a statement a line (sorted); None when
        unknown or interrupted. Remote targets are sent this (``federator.push``)."""
        lines = self._last(graph)
        return None if lines is None else "".join(line + "\n" for line in sorted(lines))

    def sync_graph(
        self, graph: str, text: str | Iterable[str], digest: str | None = None
    ) -> tuple[int, int] | None:
        """Make a named graph hold exactly these N-Triples; return (added, removed), or None
        when the graph already holds this text. ``text`` may come in pieces (split between
        statements): a graph with nothing to compare against is then loaded piece by piece,
        never held whole. ``digest``: the name its builder gives the text (see
        ``blocks.graph_digest``), kept in place of the text's SHA-256."""
        current = self.published_digest(graph)
        if digest is not None and digest == current:
            return None  # not even joined
        pieces = [text] if isinstance(text, str) else text
        # Nothing to compare against, or nothing to diff against while the text's name says
        # it differs: the graph is rewritten whole, piece by piece.
        unknown = current is None or (digest is not None and not self._has_copy(graph))
        if self.published is not None and unknown:
            return self._replace(graph, pieces, digest)
        named = digest  # the builder's name: such a text keeps no copy
        ntriples = "".join(pieces)
        data = ntriples.encode("utf-8")
        kept = named or hashlib.sha256(data).hexdigest()
        if current == kept:
            return None
        old = self._last(graph)
        if old is None and self.published is not None:
            # A digest without the copy it describes: nothing to diff against, so the graph
            # is rewritten whole (adding the new text alone would keep the stale statements).
            return self._replace(graph, [ntriples], named)
        old = old or set()  # nothing yet: an in-memory store's first write
        # split("\n"), not splitlines(): a literal may hold U+2028 and other line breaks.
        new = {line for line in ntriples.split("\n") if line.strip()}
        copy = None if named is not None else data
        return self._apply(
            graph, old - new, new - old, lambda: self._remember(graph, new, kept, copy)
        )

    def _has_copy(self, graph: str) -> bool:
        file = self._file(graph)
        return file is not None and file.exists()

    def patch_graph(self, graph: str, patch: Patch) -> tuple[int, int] | None:
        """Apply a change its builder worked out (a ``Patch``) when the graph holds the
        text the patch starts from (by digest); otherwise compare texts as ``sync_graph``
        does. A patch reads only the statements that change (unless they are most of the
        graph: then it is rewritten whole) and keeps no copy of the text: its builder keeps
        the statements (``blocks``), so a later compare of texts rewrites the graph whole."""
        current = self.published_digest(graph)
        if self.published is None or current is None or patch.old_digest != current:
            return self.sync_graph(graph, patch.text(), patch.new_digest)
        if patch.new_digest == current:
            return None
        changes = patch.changes()
        if changes is None:
            return self._replace(graph, patch.text(), patch.new_digest)
        removed, added = changes
        return self._apply(
            graph, removed, added, lambda: self._remember(graph, set(), patch.new_digest)
        )

    def _apply(
        self, graph: str, gone: set[str], added: set[str], done: Callable[[], None]
    ) -> tuple[int, int]:
        """Remove and add these statements (N-Triples lines); the graph stays marked dirty
        until ``done`` has run after the last load."""
        g = ox.NamedNode(graph)
        self._mark_dirty(graph)
        if gone:
            self.wait()  # no removal while a load is running (pyoxigraph's warning)
            text = "\n".join(gone).encode("utf-8")
            for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES, lenient=True):
                self.ox.remove(ox.Quad(q.subject, q.predicate, q.object, g))
        pause_point("store.mid_graph")
        self._write(g, done).add("\n".join(added).encode("utf-8"), len(added)).close()
        return len(added), len(gone)

    def _replace(
        self, graph: str, pieces: Iterable[str], digest: str | None = None
    ) -> tuple[int, int]:
        """Unknown or interrupted: empty the graph as the store really holds it, then load
        the text piece by piece, keeping a compressed copy for the next diff. ``digest``: the
        builder's name for the text (see ``sync_graph``), kept with no copy; else the text's
        SHA-256 is kept, with a copy."""
        g = ox.NamedNode(graph)
        self._mark_dirty(graph)
        removed = list(self.ox.quads_for_pattern(None, None, None, g))
        if removed:
            self.wait()
        for q in removed:
            self.ox.remove(q)
        pause_point("store.mid_graph")
        stream = self.stream(graph, named=digest is not None)
        try:
            for piece in pieces:
                stream.add(piece)
        except BaseException:
            stream.abort()
            raise
        stream.close(digest)
        return stream.count, len(removed)

    def stream(self, graph: str, *, named: bool = False) -> GraphStream:
        """Write a graph the store does not hold, piece by piece as its text is built, while
        the caller goes on: the loads run in the background (see ``wait``). ``named``: the
        builder names the text when it closes the stream (no copy is kept); else its SHA-256
        is kept, with a compressed copy for the next diff."""
        assert self.published is not None, "streams write to a store on disk"
        self._mark_dirty(graph)
        return GraphStream(self, graph, named)

    def _write(self, graph: ox.NamedNode, done: Callable[[], None]) -> _GraphWrite:
        return _GraphWrite(self, graph, done)

    def wait(self) -> None:
        """Block until every background load has landed; raise the first failure."""
        self._gathered.send(self)
        pending, self._pending = self._pending, []
        errors = [f.exception() for f in pending]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def discard_pending(self) -> None:
        """After a failed publish: let running loads end and forget their errors. A graph
        whose load failed stays marked dirty; one that landed differs from the state's digest,
        so the next publish compares every graph again either way."""
        self._gathered.drop()
        for future in self._pending:
            future.exception()
        self._pending = []
        self.abandon_rebuild()

    def append(self, graph: str, ntriples: str) -> None:
        """Add statements to a graph in one transaction (the provenance log only grows)."""
        if ntriples.strip():
            self.ox.load(
                ntriples.encode("utf-8"),
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode(graph),
                lenient=True,
            )

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.ox.named_graphs() if isinstance(g, ox.NamedNode))

    def flush(self) -> None:
        """Wait for every load, write the store to disk, and put a rebuilt store in place."""
        self.wait()
        if self.path is not None:
            self.ox.flush()
            if self._previous is not None:
                self._swap()


class _GraphWrite:
    """The loads of one graph: small ones at once, in one transaction; big ones as background
    chunks, pieces gathered up to a chunk first. ``done`` (which clears the dirty mark) runs
    once ``close`` was called and the last chunk has landed; it never runs when a chunk
    failed."""

    def __init__(self, store: Store, graph: ox.NamedNode, done: Callable[[], None]) -> None:
        self.store, self.graph, self.done = store, graph, done
        self.left, self.lock = 1, threading.Lock()  # 1: the writer itself, until close()
        self.gathered: list[bytes] = []
        self.gathered_count = 0

    def add(self, data: bytes, count: int) -> _GraphWrite:
        # Pieces smaller than a chunk are gathered into one. Each bulk load adds a file per
        # index to RocksDB's level 0, which RocksDB merges in the background once there are
        # four. Sent in their builders' pieces (2,000 records, 30,000-40,000 statements), the
        # two big graphs of a cold run at 100,000 registrations are about a hundred loads
        # (worked out from their sizes, not counted); gathered, RocksDB's own threads used
        # 20-21 CPU-s of that run instead of 26, and it took 59-61 s instead of 72 s
        # (measured).
        if self.store._pool is not None and count < CHUNK:
            self.gathered.append(data)
            self.gathered_count += count
            if self.gathered_count < CHUNK:
                return self
            data, count = b"".join(self.gathered), self.gathered_count
            self.gathered, self.gathered_count = [], 0
        return self._send(data, count)

    def _send(self, data: bytes, count: int) -> _GraphWrite:
        store = self.store
        if count <= BULK_MIN or store._pool is None:
            if count:
                store.ox.load(
                    data, format=ox.RdfFormat.N_TRIPLES, to_graph=self.graph, lenient=True
                )
            return self
        # Blank-node labels are scoped to one load call: a text with any stays in one piece.
        chunks = iter([data]) if b"_:" in data else _chunks(data, count)
        for chunk in chunks:
            store._slots.acquire()
            with self.lock:
                self.left += 1
            store._pending.append(store._pool.submit(self._load, chunk))
        return self

    def also(
        self, slots: threading.BoundedSemaphore, pool: ThreadPoolExecutor, job: Callable[[], None]
    ) -> None:
        """Another job ``done`` waits for; jobs given the same one-thread pool run in order."""
        slots.acquire()
        with self.lock:
            self.left += 1

        def run() -> None:
            try:
                job()
                self._finish()
            finally:
                slots.release()

        self.store._pending.append(pool.submit(run))

    def _load(self, chunk: bytes) -> None:
        try:
            self.store.ox.bulk_load(
                chunk, format=ox.RdfFormat.N_TRIPLES, to_graph=self.graph, lenient=True
            )
            self._finish()
        finally:
            self.store._slots.release()

    def _finish(self) -> None:
        with self.lock:
            self.left -= 1
            last = self.left == 0
        if last:
            # Let go of ``done`` once run: a stream's (``GraphStream._done``) holds the stream,
            # which holds this write, and that cycle would hold the store until the
            # collector came by.
            done, self.done = self.done, _nothing
            done()

    def close(self) -> None:
        store = self.store
        if self.gathered:
            data = b"".join(self.gathered)
            if not store._gathered.add(store, self, data, self.gathered_count):
                self._send(data, self.gathered_count)
            self.gathered, self.gathered_count = [], 0
        if store._pool is None:
            self._finish()
        else:  # ``done`` may compress the graph's copy (after a diff): off this thread too
            store._pending.append(store._pool.submit(self._finish))


class _Gathered:
    """During a rebuild, the graphs' last pieces smaller than a chunk (the small registers'
    graphs whole, the big ones' tails) loaded together: one bulk load as N-Quads, instead of
    one load per graph. Every load adds a file per index to RocksDB's level 0, and the store
    merges level 0 into the levels below once it holds two (Oxigraph's setting). A cold run
    at 20,000 made 33 such loads (20 of them in transactions), now 2; RocksDB's compactions
    took 3.0-3.2 CPU-seconds instead of 3.4-4.2, and the run's process 1.2 CPU-seconds less
    (medians of five alternating pairs). A graph's ``done`` waits for the load that holds
    its last piece. It is given the store on each call, never keeps it: a store that held
    what holds it would be freed only by the collector, and RocksDB closed with it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.parts: list[bytes] = []
        self.count = 0
        self.writes: list[_GraphWrite] = []
        self.lines: list[int] = []  # each part's, to name the graph a parse error is in

    def add(self, store: Store, write: _GraphWrite, data: bytes, count: int) -> bool:
        """Take ``data`` (N-Triples of ``write``'s graph) into the next load; False when it
        is not taken: no rebuild under way, blank nodes (their labels are scoped to one load
        call, and two graphs' ``_:b0`` are different nodes), or a line that does not end as
        ``terms.t`` ends it. Only texts ``terms`` wrote reach the store (see the module): the
        check keeps a text cut or joined wrong apart, it does not make a hand-written one
        safe (a comment after a statement's dot would take the graph's name with it)."""
        if store._previous is None or store._pool is None or b"_:" in data:
            return False
        if not data.endswith(b"\n"):
            data += b"\n"
        lines = data.count(b"\n")
        if data.count(_END) != lines:
            return False
        quads = data.replace(_END, b" <" + write.graph.value.encode("utf-8") + b">" + _END)
        with self.lock:
            with write.lock:
                write.left += 1
            self.parts.append(quads)
            self.writes.append(write)
            self.lines.append(lines)
            self.count += count
            if self.count >= CHUNK:
                self._send(store)
        return True

    def send(self, store: Store) -> None:
        """Load what was taken so far (``Store.wait`` calls it first)."""
        with self.lock:
            self._send(store)

    def drop(self) -> None:
        """After a failed publish: what was taken is never loaded (its graphs stay dirty)."""
        with self.lock:
            self.parts, self.writes, self.lines, self.count = [], [], [], 0

    def _send(self, store: Store) -> None:
        if not self.parts:
            return
        data, writes, lines = b"".join(self.parts), self.writes, self.lines
        self.parts, self.writes, self.lines, self.count = [], [], [], 0
        assert store._pool is not None
        store._slots.acquire()
        store._pending.append(store._pool.submit(_load_gathered, store, data, writes, lines))


def _load_gathered(store: Store, data: bytes, writes: list[_GraphWrite], lines: list[int]) -> None:
    try:
        try:
            store.ox.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=True)
        except SyntaxError as exc:
            raise _located(exc, writes, lines) from exc
        for write in writes:
            write._finish()
    finally:
        store._slots.release()


def _located(exc: SyntaxError, writes: list[_GraphWrite], lines: list[int]) -> SyntaxError:
    """A gathered load's parse error, with the graph it is in named and the line counted in
    that graph's part (the parser counts lines in the whole load)."""
    line = exc.lineno
    if line is None:
        return exc
    for write, count in zip(writes, lines, strict=True):
        if line <= count:
            return SyntaxError(f"graph <{write.graph.value}>, line {line} of its part: {exc.msg}")
        line -= count
    return exc


class GraphStream:
    """One graph's text on its way into the store (``Store.stream``): each piece is loaded in
    the background and, unless the text is named by its builder, hashed and copied in order;
    the manifest records the digest once ``close`` was called and the last load landed."""

    def __init__(self, store: Store, graph: str, named: bool) -> None:
        file = store._file(graph)
        assert file is not None
        self.store, self.graph, self.file, self.count = store, graph, file, 0
        self.digest: str | None = None
        self.hasher = hashlib.sha256()
        self.tmp = file.with_suffix(".tmp")
        # A named text keeps no copy: its builder keeps the statements (see ``patch_graph``).
        self.copy_file = None if named else codec.file_writer(self.tmp)  # closed by the copier
        self.write = store._write(ox.NamedNode(graph), self._done)

    def add(self, piece: str | bytes) -> None:
        data = piece.encode("utf-8") if isinstance(piece, str) else piece
        if self.copy_file is not None:
            job = functools.partial(self._copy, data, self.copy_file)
            self.write.also(self.store._copy_slots, self.store._copier, job)
        lines = data.count(b"\n")
        self.count += lines
        self.write.add(data, lines)

    def close(self, digest: str | None = None) -> None:
        """No more pieces; ``digest``: the builder's name for the text (a named stream)."""
        self.digest = digest
        if self.copy_file is not None:
            self.write.also(self.store._copy_slots, self.store._copier, self.copy_file.close)
        self.write.close()

    def abort(self) -> None:
        """The text could not be built: the graph stays marked unknown (rewritten next time)."""
        if self.copy_file is not None:
            self.write.also(self.store._copy_slots, self.store._copier, self.copy_file.close)

    def _copy(self, data: bytes, out: IO[bytes]) -> None:
        self.hasher.update(data)
        out.write(data)

    def _done(self) -> None:
        if self.copy_file is None:
            self.file.unlink(missing_ok=True)  # a copy from before would describe another text
        else:
            os.replace(self.tmp, self.file)
        self.store.manifest.end_write(self.graph, self.digest or self.hasher.hexdigest())


def _nothing() -> None:
    pass


_CLOSED = ox.Store()  # stands in, for a moment, for a store being swapped (never written)


def _let_go(held: list[object]) -> None:
    """Drop the last references to the stores ``held`` (the caller keeps none besides the
    list): RocksDB closes a store when its last reference goes. Only a reference cycle could
    hold one still; a full pass of the collector (0.11 s of a cold run at 20,000, more the
    more the process holds) runs only then. Each store's count is compared with that of an
    object the list alone holds, whatever the interpreter counts for the call itself."""
    held.append(object())
    *stores, alone = [sys.getrefcount(s) for s in held]
    if max(stores) > alone:
        gc.collect()
    held.clear()


def _fresh_dir(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def _retired_dir(path: Path) -> Path:
    return path.with_name(path.name + ".old")


def _recover(path: Path) -> None:
    """Repair what a rebuild cut short. Died between the swap's two renames: the fresh store
    is whole (it was flushed before), so it takes the place. Died before: the half-built
    store goes; the manifest's publishing flag makes the next publish rebuild anyway."""
    fresh, retired = _fresh_dir(path), _retired_dir(path)
    if not path.exists() and retired.exists():
        os.rename(fresh if fresh.exists() else retired, path)
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(retired, ignore_errors=True)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(data: bytes, count: int) -> Iterator[bytes]:
    """Split N-Triples at line ends into pieces of about ``CHUNK`` statements, one copy at a
    time (so that the load slots bound how many are held)."""
    pieces = -(-count // CHUNK)
    size, start = len(data) // pieces + 1, 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data) - 1))
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end
