"""The on-disk store's graph writes: background chunked loads, diffs, dirty marks."""

from __future__ import annotations

import gc
import hashlib
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from federator.publish import manifest
from federator.publish import store as store_module
from federator.publish.store import Patch, Store

GRAPH = "https://algoritmes.example.org/graph/source/test"


def statements(n: int, label: str = "v") -> str:
    return "".join(
        f'<https://example.org/r/{i}> <https://example.org/p> "{label} {i}" .\n' for i in range(n)
    )


def held(store: Store, graph: str = GRAPH) -> set[str]:
    return {
        f"{q.subject} {q.predicate} {q.object} ."
        for q in store.ox.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    }


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Make a few hundred statements take the bulk, multi-chunk path.
    monkeypatch.setattr(store_module, "BULK_MIN", 10)
    monkeypatch.setattr(store_module, "CHUNK", 64)


def test_chunked_load_lands_whole_and_clears_the_dirty_mark(
    tmp_path: Path, small_chunks: None
) -> None:
    store = Store(tmp_path / "store", workers=2)
    text = statements(1000)
    assert store.sync_graph(GRAPH, text) == (1000, 0)
    store.flush()
    assert held(store) == {line for line in text.splitlines()}
    assert not store.dirty()
    assert store.published_digest(GRAPH) is not None
    assert store.published_digest(GRAPH) == hashlib.sha256(text.encode()).hexdigest()


def test_diff_after_chunked_load_adds_and_removes_only_the_difference(
    tmp_path: Path, small_chunks: None
) -> None:
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(GRAPH, statements(500))
    store.flush()
    changed = statements(400) + statements(300, "w")
    assert store.sync_graph(GRAPH, changed) == (300, 100)
    store.flush()
    assert held(store) == set(changed.splitlines())
    assert store.sync_graph(GRAPH, changed) is None


def test_blank_nodes_are_loaded_in_one_piece(tmp_path: Path, small_chunks: None) -> None:
    # Blank-node labels are scoped to one load call; chunks would split one node in two.
    store = Store(tmp_path / "store", workers=2)
    text = "".join(f'_:node <https://example.org/p> "{i}" .\n' for i in range(300))
    store.sync_graph(GRAPH, text)
    store.flush()
    subjects = {q.subject for q in store.ox.quads_for_pattern(None, None, None, None)}
    assert len(subjects) == 1


def test_a_failed_chunk_leaves_the_graph_dirty_and_is_raised(
    tmp_path: Path, small_chunks: None
) -> None:
    store = Store(tmp_path / "store", workers=2)
    text = statements(200) + "<not an iri> <https://example.org/p> 1 .\n" + statements(200, "w")
    store.sync_graph(GRAPH, text)
    with pytest.raises(SyntaxError):
        store.flush()
    assert store.dirty()
    assert store.published_digest(GRAPH) is None
    # The next write of the graph compares with what the store really holds.
    good = statements(250)
    store.sync_graph(GRAPH, good)
    store.flush()
    assert held(store) == set(good.splitlines())
    assert not store.dirty()


def test_a_graph_given_in_pieces_is_the_same_graph_as_its_whole_text(
    tmp_path: Path, small_chunks: None
) -> None:
    store = Store(tmp_path / "store", workers=2)
    pieces = [statements(300), statements(300, "w"), ""]
    assert store.sync_graph(GRAPH, iter(pieces)) == (600, 0)
    store.flush()
    assert store.sync_graph(GRAPH, "".join(pieces)) is None  # same digest: nothing to do
    lines = sorted((statements(300) + statements(300, "w")).splitlines())
    assert store.published_text(GRAPH) == "".join(line + "\n" for line in lines)


class CountedLoads:
    """The real store, with its bulk loads counted (everything else passes through)."""

    def __init__(self, inner: ox.Store) -> None:
        self.inner, self.bulk_loads = inner, 0

    def bulk_load(self, *args: Any, **kwargs: Any) -> None:
        self.bulk_loads += 1
        self.inner.bulk_load(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_small_pieces_are_gathered_into_chunk_sized_loads(
    tmp_path: Path, small_chunks: None
) -> None:
    # Every bulk load adds a file per index to RocksDB's level 0, which it then merges in
    # the background: 20 pieces of 16 statements go as 5 loads of 64, not as 20.
    store = Store(tmp_path / "store", workers=2)
    counted = CountedLoads(store.ox)
    store.ox = counted  # type: ignore[assignment]
    pieces = [statements(16, f"p{n}") for n in range(20)]
    assert store.sync_graph(GRAPH, iter(pieces)) == (320, 0)
    store.flush()
    assert counted.bulk_loads == 5
    assert held(store) == set("".join(pieces).splitlines())
    assert not store.dirty()


def test_the_manifest_is_the_record_of_what_the_store_holds(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(GRAPH, statements(50))
    store.flush()
    digest = store.published_digest(GRAPH)
    store.manifest.begin_publish()  # a publish that dies before its state is committed
    del store
    gc.collect()  # RocksDB's lock goes with the store
    again = Store(tmp_path / "store", workers=2)
    assert again.published_digest(GRAPH) == digest  # what the store holds is known...
    assert again.dirty()  # ...but the state may not say the same: compare everything
    again.manifest.end_publish("config", "layout")
    assert not again.dirty()
    assert manifest.read(tmp_path / "published") == {
        "graphs": {GRAPH: digest},
        "config": "config",
        "layout": "layout",
        "publishing": False,
    }


def test_what_an_older_version_left_is_rewritten_whole_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(GRAPH, statements(50))
    store.flush()
    copy = store._file(GRAPH)
    assert copy is not None and store.published is not None
    # versions before the manifest kept a digest file beside each copy, and no manifest
    (store.published / "manifest.json").unlink()
    copy.with_suffix(".sha256").write_text(hashlib.sha256(b"x").hexdigest() + "\n")
    del store
    gc.collect()
    older = Store(tmp_path / "store", workers=2)
    assert older.dirty() and older.published_digest(GRAPH) is None
    assert not copy.with_suffix(".sha256").exists()  # the old digest files are gone
    changed = statements(40) + statements(5, "w")
    assert older.sync_graph(GRAPH, changed) == (45, 50)  # whole: nothing is trusted
    older.flush()
    assert held(older) == set(changed.splitlines())
    assert older.sync_graph(GRAPH, statements(40)) == (0, 5)  # then diffs again


def test_a_digest_without_its_copy_makes_the_next_write_whole(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(GRAPH, statements(50))
    store.flush()
    copy = store._file(GRAPH)
    assert copy is not None
    copy.unlink()  # lost (or never written by a version that kept it elsewhere)
    changed = statements(40) + statements(5, "w")
    assert store.sync_graph(GRAPH, changed) == (45, 50)
    store.flush()
    assert held(store) == set(changed.splitlines())  # no statement of the old text is left
    assert copy.exists()  # kept again: the next write is a diff
    assert store.sync_graph(GRAPH, statements(40)) == (0, 5)


def patched(store: Store, patch: Patch) -> tuple[int, int] | None:
    result = store.patch_graph(GRAPH, patch)
    store.flush()
    return result


@pytest.fixture
def named(tmp_path: Path) -> Store:
    """A store holding 50 statements under the name their builder gave them ("old")."""
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(GRAPH, statements(50), digest="old")
    store.flush()
    return store


def test_a_patch_from_the_text_the_store_holds_is_applied_and_keeps_no_copy(
    named: Store,
) -> None:
    store = named
    assert store.published_digest(GRAPH) == "old"  # the builder's name, not the text's hash
    old, new = set(statements(50).splitlines()), set(statements(45).splitlines())
    added = set(statements(5, "w").splitlines())

    def unread() -> Any:
        raise AssertionError("read")

    patch = Patch("old", "new", lambda: (old - new, added), unread)
    assert patched(store, patch) == (5, 5)
    assert held(store) == new | added
    assert store.published_digest(GRAPH) == "new" and not store.dirty()
    # The copy described the old text; the builder keeps the statements now.
    assert store.published_text(GRAPH) is None
    assert patched(store, Patch("new", "new", unread, unread)) is None


def test_a_patch_from_another_text_rewrites_the_graph_from_its_whole_text(
    named: Store,
) -> None:
    store = named
    whole = statements(20, "w")
    # The store does not hold what the patch starts from (a publish that died, say): the
    # patch's own statements are not trusted, the whole text is loaded.
    stray = {'<https://example.org/r/x> <https://example.org/p> "stray" .'}
    patch = Patch("other", "new", lambda: (set(), stray), lambda: [whole])
    assert patched(store, patch) == (20, 50)
    assert held(store) == set(whole.splitlines())
    assert store.published_digest(GRAPH) == "new"
    # And after a patch (no copy kept), a text compared whole is written whole, piece by
    # piece: not joined to be diffed against a copy.
    gone = set(whole.splitlines()) - set(statements(10, "w").splitlines())
    patched(store, Patch("new", "newer", lambda: (gone, set()), list))

    def no_copy_is_read(graph: str) -> Any:
        raise AssertionError("diffed")

    store._last = no_copy_is_read  # type: ignore[method-assign]
    assert store.sync_graph(GRAPH, iter([statements(3)]), digest="newest") == (3, 10)
    store.flush()
    assert held(store) == set(statements(3).splitlines())


def test_a_named_text_the_store_holds_is_not_even_read(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(GRAPH, statements(5), digest="same")
    store.flush()

    def pieces() -> Iterator[str]:
        raise AssertionError("read")
        yield ""

    assert store.sync_graph(GRAPH, pieces(), digest="same") is None


def graph(n: int) -> str:
    return f"https://algoritmes.example.org/graph/source/g{n}"


def rebuilding(tmp_path: Path) -> tuple[Store, CountedLoads]:
    """A store with a rebuild under way, its bulk loads counted."""
    store = Store(tmp_path / "store", workers=2)
    assert store.begin_rebuild()
    counted = CountedLoads(store.ox)
    store.ox = counted  # type: ignore[assignment]
    return store, counted


def test_a_rebuild_loads_the_small_graphs_together_each_in_its_own_graph(
    tmp_path: Path, small_chunks: None
) -> None:
    # Each load adds a file per index to RocksDB's level 0: during a rebuild the graphs
    # smaller than a chunk go in one load, as N-Quads, and still land in their own graphs.
    store, counted = rebuilding(tmp_path)
    texts = {graph(n): statements(10, f"g{n}") for n in range(5)}
    for name, text in texts.items():
        assert store.sync_graph(name, text) == (10, 0)
    assert all(store.published_digest(name) is None for name in texts)  # none landed yet
    store.wait()
    assert counted.bulk_loads == 1
    for name, text in texts.items():
        assert held(store, name) == set(text.splitlines())
        assert store.published_digest(name) == hashlib.sha256(text.encode()).hexdigest()
    assert not list(store.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    store.flush()
    assert not store.dirty()
    assert {name: held(store, name) for name in texts} == {
        name: set(text.splitlines()) for name, text in texts.items()
    }


def test_a_rebuild_loads_apart_the_texts_it_cannot_turn_into_quads(
    tmp_path: Path, small_chunks: None
) -> None:
    # Blank-node labels are scoped to one load: two graphs' _:b are two nodes. A line that
    # does not end as ``terms`` ends it (no space before the dot) is not rewritten either.
    store, counted = rebuilding(tmp_path)
    blank = "".join(f'_:b <https://example.org/p> "{i}" .\n' for i in range(12))
    tight = "".join(
        f'<https://example.org/t/{i}> <https://example.org/p> "{i}".\n' for i in range(12)
    )
    store.sync_graph(graph(0), blank)
    store.sync_graph(graph(1), blank)
    store.sync_graph(graph(2), tight)
    store.sync_graph(graph(3), statements(12))
    store.wait()
    assert counted.bulk_loads == 4  # three texts on their own, one gathered
    subjects = {q.subject for q in store.ox.quads_for_pattern(None, None, None, None)}
    assert sum(isinstance(s, ox.BlankNode) for s in subjects) == 2
    assert len(held(store, graph(2))) == 12
    assert not list(store.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    store.flush()
    assert not store.dirty()


def test_a_failed_gathered_load_leaves_every_graph_in_it_dirty(
    tmp_path: Path, small_chunks: None
) -> None:
    store = Store(tmp_path / "store", workers=2)
    store.sync_graph(graph(0), statements(10, "old"))
    store.flush()
    assert store.begin_rebuild()
    store.sync_graph(graph(0), statements(10, "new"))
    store.sync_graph(graph(1), statements(5) + "<not an iri> <https://example.org/p> 1 .\n")
    with pytest.raises(SyntaxError) as err:
        store.wait()
    # The parser counts lines in the whole load: the error says whose line it is.
    assert str(err.value).startswith(f"graph <{graph(1)}>, line 6 of its part: ")
    assert store.published_digest(graph(0)) is None
    assert store.published_digest(graph(1)) is None
    store.discard_pending()  # the publish failed: the store stays as it was
    assert held(store, graph(0)) == set(statements(10, "old").splitlines())
    assert store.dirty()


@pytest.mark.parametrize("held_by_a_cycle", [False, True])
def test_a_rebuilt_store_is_closed_before_its_swap_even_when_a_cycle_holds_it(
    tmp_path: Path, held_by_a_cycle: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RocksDB closes a store when its last reference goes, and the swap renames both
    folders: the collector runs first only when a reference cycle could still hold one."""
    gc.collect()
    passes: list[int] = []
    collect = gc.collect

    def counted(*args: Any) -> int:
        passes.append(1)
        return collect(*args)

    monkeypatch.setattr(store_module.gc, "collect", counted)
    gc.disable()  # a cycle is freed by the swap, not by a pass in between
    try:
        store = Store(tmp_path / "store")
        store.sync_graph(GRAPH, statements(5, "old"))
        store.flush()
        assert store.begin_rebuild()
        store.sync_graph(GRAPH, statements(5, "new"))
        if held_by_a_cycle:
            cycle: list[Any] = [store.ox, store._previous]
            cycle.append(cycle)
            del cycle
        store.flush()  # the swap
    finally:
        gc.enable()
    assert len(passes) == int(held_by_a_cycle)
    assert held(store) == set(statements(5, "new").splitlines())
    del store
    gc.collect()
    reopened = Store(tmp_path / "store")  # RocksDB's lock: held if a store were still open
    assert held(reopened) == set(statements(5, "new").splitlines())


def test_a_store_let_go_is_closed_without_the_collector(tmp_path: Path) -> None:
    """No reference cycle holds a store, written to or not: the last reference gone, RocksDB
    is closed and its lock free (the command's exit leaves garbage in cycles to the OS,
    ``cli.finish``)."""
    path = tmp_path / "store"
    store = Store(path)
    store.sync_graph("https://example.org/g", ['<https://e.org/s> <https://e.org/p> "1" .\n'])
    store.wait()
    gone = weakref.ref(store)
    gc.disable()  # the collector must have nothing to do with it
    try:
        del store
        # A load's worker thread lets go of its last job a moment after the job ends.
        deadline = time.monotonic() + 2
        while gone() is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gone() is None
        again = ox.Store(str(path))  # RocksDB refuses a second open while the first is open
    finally:
        gc.enable()
    assert len(again) == 1
