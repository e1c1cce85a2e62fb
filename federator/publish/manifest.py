"""What the store holds, graph by graph: the one record of what is published.

``data_dir/published/manifest.json`` names every graph the publisher writes whole with the
digest of its text, and says whether a publish is under way. The store updates it as writes
begin and land (a graph whose write began and did not land has no digest: it is rewritten
whole next time); while a rebuild loads a fresh store, it says every graph is unknown until
the fresh store is in place (``begin_rebuild``). The publisher marks a publish begun before
its first write and done only after the state's commit. A publish that died in between
leaves ``publishing`` set: the next one trusts nothing it would skip or scope on, and
compares every graph again.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

FILE = "manifest.json"


class Manifest:
    def __init__(self, folder: Path | None) -> None:
        """The manifest under ``folder``; None keeps it in memory (an in-memory store)."""
        self.folder = folder
        self._lock = threading.Lock()
        data: dict[str, Any] | None = read(folder) if folder is not None else None
        older = data is None and folder is not None and _older_copies(folder)
        if data is None:  # none yet, or what an older version left: nothing is known
            data = {"graphs": {}, "publishing": older}
        self.graphs: dict[str, str | None] = data["graphs"]
        self.config: str | None = data.get("config")
        self.layout: str | None = data.get("layout")  # what every statement's text depends on
        self.publishing: bool = bool(data.get("publishing"))
        self.replaced: dict[str, str] = {}  # the digests known before a rebuild began
        self._held = False  # a rebuild is loading: graph marks are kept in memory (``_set``)
        if older and folder is not None:
            self._save()  # first, so that the digest files can go
            for name in ("*.sha256", "*.dirty", "*.gz"):
                for path in folder.glob(name):
                    path.unlink(missing_ok=True)

    # -- read ----------------------------------------------------------------------------
    def digest(self, graph: str) -> str | None:
        """The digest of the text the store holds for ``graph``; None when unknown."""
        return self.graphs.get(graph)

    def published(self) -> dict[str, str]:
        """Every graph whose text is known, with its digest."""
        with self._lock:  # loader threads record their graphs meanwhile
            return {g: d for g, d in self.graphs.items() if d is not None}

    def names(self) -> list[str]:
        """Every graph recorded, whether its text is known or its write was cut short."""
        with self._lock:
            return list(self.graphs)

    def dirty(self) -> bool:
        """True when a write or a publish began and did not end."""
        with self._lock:
            return self.publishing or any(d is None for d in self.graphs.values())

    # -- the store's writes ----------------------------------------------------------------
    def begin_write(self, graph: str) -> None:
        self._set(graph, None)

    def end_write(self, graph: str, digest: str) -> None:
        self._set(graph, digest)

    def begin_rebuild(self) -> None:
        """Every graph is being written anew into a fresh store: none is known until it lands
        (the names stay, so that a graph no longer published is still dropped).

        Until ``end_rebuild`` the file says just that, whatever lands: a crash before the
        swap leaves the old store, and one after it a store the file calls unknown, and
        either way the next publish rebuilds. Saving the file at every graph's start and
        landing was 73 writes in a cold run at 20,000 (0.3 s of the main thread)."""
        with self._lock:
            self.replaced = {g: d for g, d in self.graphs.items() if d is not None}
            self.graphs = dict.fromkeys(self.graphs)
            self._save()
            self._held = True

    def end_rebuild(self, landed: bool) -> None:
        """The fresh store is in place (``landed``), or dropped: then the graphs are unknown
        again, as in the store kept (its statements are the old ones)."""
        with self._lock:
            self._held = False
            if not landed:
                self.graphs = dict.fromkeys(self.graphs)
            self._save()

    def forget(self, graph: str) -> None:
        """A graph no longer published (emptied)."""
        with self._lock:
            self.graphs.pop(graph, None)
            self._save()

    # -- the publisher's run -----------------------------------------------------------------
    def begin_publish(self) -> None:
        with self._lock:
            self.publishing = True
            self._save()

    def end_publish(self, config: str, layout: str | None = None) -> None:
        """The state is committed: what the store holds is what was published, under the
        configuration whose digest is ``config`` (and the layout whose digest is ``layout``)."""
        with self._lock:
            self.publishing, self.config, self.layout = False, config, layout
            self._save()

    def _set(self, graph: str, digest: str | None) -> None:
        with self._lock:
            self.graphs[graph] = digest
            if not self._held:
                self._save()

    def _save(self) -> None:
        if self.folder is None:
            return
        data = {
            # While a rebuild loads (``begin_rebuild``) the file calls every graph unknown.
            "graphs": dict.fromkeys(self.graphs) if self._held else self.graphs,
            "config": self.config,
            "layout": self.layout,
            "publishing": self.publishing,
        }
        tmp = self.folder / (FILE + ".tmp")
        tmp.write_text(json.dumps(data, sort_keys=True, indent=0), encoding="utf-8")
        os.replace(tmp, self.folder / FILE)


def read(folder: Path) -> dict[str, Any] | None:
    """The manifest as last written (for readers in other processes), or None."""
    try:
        data = json.loads((folder / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("graphs"), dict) else None


def _older_copies(folder: Path) -> bool:
    """Whether an older version published here (it kept digest files beside its copies)."""
    return any(folder.glob("*.sha256")) or any(folder.glob("*.dirty")) or any(folder.glob("*.gz"))
