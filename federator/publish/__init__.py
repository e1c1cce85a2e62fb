"""Publish stage: resolve across all sources, write the graphs, then commit the state.

Entry point: ``Publisher.publish(run_id, runs, fresh)``. Only graphs whose content changed
are rewritten; all rewrites go in one store transaction; state is committed after it.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from federator import log
from federator.config import Config
from federator.map.mapper import source_organisation
from federator.publish import graphs, snapshot
from federator.publish.graphs import SourceView, Unified
from federator.resolve import candidate, resolve
from federator.state import SourceRun, State, now
from federator.vocab import Minter

if TYPE_CHECKING:
    from federator.pipeline import Fresh
    from federator.publish.store import Store

FIXED_GRAPHS = ("unified", "links", "federation", "vocabulary")


class Publisher:
    def __init__(self, config: Config, minter: Minter, state: State, store: Store) -> None:
        self.config, self.minter, self.state, self.store = config, minter, state, store
        self.log = log.get("federator.publish")

    def views(self, fresh: dict[str, Fresh], stamp: str) -> tuple[list[SourceView], dict[str, Any]]:
        """Every configured source's current records: fresh ones, else the last good ones."""
        views, previous_all = [], {}
        for src in self.config.sources:
            previous = self.state.records(src.id)
            previous_all[src.id] = previous
            if src.id in fresh:
                f = fresh[src.id]
                for body in f.bodies:
                    old = previous.get(body["native_id"])
                    same = old is not None and old["digest"] == body["digest"]
                    body["first_seen"] = old["first_seen"] if old else stamp
                    body["changed_at"] = old["changed_at"] if same and old else stamp
                views.append(SourceView(src, f.organisation, f.organisation_name, f.bodies))
            else:
                bodies = []
                for row in previous.values():
                    body = row["body"]
                    body["first_seen"], body["changed_at"] = row["first_seen"], row["changed_at"]
                    bodies.append(body)
                org, name = source_organisation(src, self.minter)
                views.append(SourceView(src, org, name, bodies))
        return views, previous_all

    def publish(self, run_id: str, runs: dict[str, SourceRun], fresh: dict[str, Fresh]) -> None:
        stamp = now()
        views, previous = self.views(fresh, stamp)
        by_key = {(b["source"], b["native_id"]): b for v in views for b in v.records}
        cands = [candidate(b, v.config.level, v.config.priority) for v in views for b in v.records]
        canonicals = self.state.canonicals()
        started = time.perf_counter()
        resolution = resolve(cands, self.config.resolve, self.state.identities(), canonicals)
        resolve_seconds = time.perf_counter() - started
        started = time.perf_counter()
        assignment = resolution.assignment
        canonical = {k: self.minter.algorithm(tok) for k, tok in assignment.token_of.items()}
        replaced = {
            self.minter.algorithm(old): self.minter.algorithm(new)
            for old, new in {
                **{t: r["replaced_by"] for t, r in canonicals.items() if r.get("replaced_by")},
                **assignment.replaced,
            }.items()
        }
        unified = Unified(canonical, replaced)
        clusters = [[by_key[k] for k in sorted(c.members)] for c in resolution.clustering.clusters]
        priorities = {s.id: s.priority for s in self.config.sources}
        multi = {
            f.name for s in self.config.sources for f in _mapping_fields(s)
        }  # union per field name

        texts: dict[str, str] = {}
        for view in views:
            texts[self.minter.source_graph(view.config.id)] = graphs.source_graph(
                view, self.minter, unified
            )
        organisations: dict[str, str] = {}
        for view in views:
            organisations.setdefault(view.organisation, view.organisation_name)
            for b in view.records:
                organisations.setdefault(b["organisation"], b["organisation_name"])
        texts[self.minter.graph("unified")] = graphs.unified_graph(
            clusters, unified, priorities, multi
        )
        texts[self.minter.graph("links")] = graphs.links_graph(
            [c for c in clusters if len(c) > 1], self.minter
        )
        texts[self.minter.graph("federation")] = graphs.federation_graph(
            views, organisations, self.minter
        )
        texts[self.minter.graph("vocabulary")] = graphs.vocabulary_graph()

        old_hashes = self.state.graph_hashes()
        new_hashes = {g: graphs.digest(text) for g, text in texts.items()}
        changed = {g: text for g, text in texts.items() if old_hashes.get(g) != new_hashes[g]}
        configured = set(texts)
        gone = [g for g in old_hashes if g not in configured and "/graph/source/" in g]
        changed.update({g: "" for g in gone})

        prov = self._provenance(run_id, runs, fresh, previous, stamp)
        for graph, text in changed.items():
            added, removed = self.store.sync_graph(graph, text)
            self.log.debug("publish.graph", graph=graph, added=added, removed=removed)
        self.store.append(self.minter.graph("provenance"), prov)
        self.store.flush()
        if self.store.path is not None:
            snapshot.take(self.store.ox, self.config.data_dir)
        publish_seconds = time.perf_counter() - started
        for sr in runs.values():
            sr.durations["resolve"] = round(resolve_seconds, 4)
            sr.durations["publish"] = round(publish_seconds, 4)
            sr.stats["graphs_rewritten"] = sum(
                1 for g in changed if g == self.minter.source_graph(sr.source)
            )
        self.log.info(
            "publish.done",
            graphs_rewritten=len(changed),
            records=len(by_key),
            clusters=len(clusters),
        )
        self._commit(run_id, runs, fresh, assignment, new_hashes, gone, stamp)

    def _provenance(
        self,
        run_id: str,
        runs: dict[str, SourceRun],
        fresh: dict[str, Fresh],
        previous: dict[str, Any],
        stamp: str,
    ) -> str:
        out = []
        for sid, sr in runs.items():
            src = self.config.source(sid)
            activity = self.minter.activity(run_id, sid)
            out.append(
                graphs.provenance(
                    activity,
                    self.minter.agent(),
                    src,
                    self.minter.source_graph(sid),
                    sr.started,
                    stamp,
                    sr.outcome,
                    run_id,
                )
            )
            if sid in fresh:
                seen = {b["native_id"] for b in fresh[sid].bodies}
                for native, row in previous[sid].items():
                    if native not in seen:
                        d = graphs.iri(row["body"]["subject"])
                        out.append(
                            graphs.t(
                                d,
                                graphs.iri(graphs.PROV + "invalidatedAtTime"),
                                graphs.lit(stamp, dtype=graphs.XSD + "dateTime"),
                            )
                        )
                        out.append(
                            graphs.t(
                                d,
                                graphs.iri(graphs.PROV + "wasInvalidatedBy"),
                                graphs.iri(activity),
                            )
                        )
        return "".join(out)

    def _commit(
        self,
        run_id: str,
        runs: dict[str, SourceRun],
        fresh: dict[str, Fresh],
        assignment: Any,
        hashes: dict[str, str],
        gone: list[str],
        stamp: str,
    ) -> None:
        with self.state.transaction() as db:
            for sid, f in fresh.items():
                db.execute("DELETE FROM records WHERE source = ?", (sid,))
                db.executemany(
                    "INSERT INTO records VALUES (?,?,?,?,?,?)",
                    [
                        (
                            sid,
                            b["native_id"],
                            b["digest"],
                            b["first_seen"],
                            b["changed_at"],
                            json.dumps(
                                {
                                    k: v
                                    for k, v in b.items()
                                    if k not in ("first_seen", "changed_at")
                                }
                            ),
                        )
                        for b in f.bodies
                    ],
                )
                for url, v in f.validators.items():
                    db.execute(
                        "INSERT OR REPLACE INTO validators VALUES (?,?,?)",
                        (url, v.get("etag"), v.get("last_modified")),
                    )
            configured = {s.id for s in self.config.sources}
            for (sid,) in db.execute("SELECT DISTINCT source FROM records").fetchall():
                if sid not in configured:
                    db.execute("DELETE FROM records WHERE source = ?", (sid,))
            db.execute("DELETE FROM identities")
            db.executemany(
                "INSERT INTO identities VALUES (?,?,?,?)",
                [(k[0], k[1], tok, stamp) for k, tok in assignment.token_of.items()],
            )
            for tok, created in assignment.created.items():
                db.execute(
                    "INSERT OR IGNORE INTO canonicals (token, created) VALUES (?, ?)",
                    (tok, created),
                )
            for old, new in assignment.replaced.items():
                db.execute(
                    "UPDATE canonicals SET replaced_by = ?, replaced_at = ? WHERE token = ?",
                    (new, stamp, old),
                )
            for tok in assignment.retired:
                db.execute("UPDATE canonicals SET retired_at = ? WHERE token = ?", (stamp, tok))
            live = set(assignment.token_of.values())
            db.executemany(
                "UPDATE canonicals SET retired_at = NULL WHERE token = ?", [(t,) for t in live]
            )
            for g in gone:
                db.execute("DELETE FROM graph_hashes WHERE graph = ?", (g,))
            db.executemany("INSERT OR REPLACE INTO graph_hashes VALUES (?, ?)", hashes.items())
            for sr in runs.values():
                sr.ended = now()
                self.state.write_source_run(db, sr)
            outcome = "synced" if all(r.outcome == "synced" for r in runs.values()) else "failed"
            self.state.end_run(db, run_id, outcome)


def _mapping_fields(source: Any) -> list[Any]:
    from federator.map import spec

    mapping = spec.load(source.mapping or spec.builtin_path(source.format))
    return [f for f in mapping.fields if f.multi]


__all__ = ["Publisher"]
