"""Publisher: write the graphs, then commit the state.

Two steps around the resolve stage: ``Publisher.plan(runs, fresh)`` works out what must be
published; the pipeline resolves what the plan says; ``Publisher.publish(run_id, runs, plan,
resolution)`` writes it. When no record changed and the configuration that shapes the graph
did not either, nothing is resolved or rewritten: only the run's provenance is added. When
some records changed, only their organisations are resolved again and only graphs whose text
changed are written, as diffs.
State (records, identities, validators, change log, run log) is written in one transaction
while the store's last loads land, and committed only after the store holds every graph.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from federator import collector, log, versions
from federator.config import Config
from federator.faults import pause_point
from federator.map import spec
from federator.map.mapper import source_organisation
from federator.publish import graphs, snapshot
from federator.publish.blocks import Blocks, graph_digest
from federator.publish.graphs import SourceView, Unified
from federator.publish.quality import quality_graph
from federator.publish.store import GraphStream, Patch
from federator.records import Fresh
from federator.resolve import Resolution, federation_organisations
from federator.resolve.candidates import RecordKey
from federator.resolve.organisations import Organisations, register_of, widen
from federator.state import SourceRun, State, now
from federator.timeline import Timeline
from federator.vocab import Minter

if TYPE_CHECKING:
    from federator.publish.store import Store


@dataclass
class Plan:
    """What a publish must do, worked out before resolution (``Publisher.plan``)."""

    stamp: str
    validators: dict[str, dict[str, str | None]]
    fresh: dict[str, Fresh]  # the sources whose records changed
    old_hashes: dict[str, str]
    config_digest: str
    unchanged: bool = False  # only the provenance (and quality) graphs are written
    rebuild: bool = False  # every graph is written anew, into a fresh store
    scope: set[str] | None = None  # organisations to resolve again; None: all
    previous: dict[tuple[str, str], str] = field(default_factory=dict)  # identities before
    views: list[SourceView] = field(default_factory=list)
    canonicals: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Rest:
    """The last part of a graph whose text went to the store as it was built (a source's
    records since ``preload``, the unified graph's blocks), and the text's name (``digest``)
    when its builder gives one."""

    text: str
    digest: str | None = None


class Publisher:
    def __init__(
        self,
        config: Config,
        minter: Minter,
        state: State,
        store: Store,
        timeline: Timeline | None = None,
    ) -> None:
        self.config, self.minter, self.state, self.store = config, minter, state, store
        self.timeline = timeline or Timeline()
        self.log = log.get("federator.publish")
        self._streams: dict[str, GraphStream] = {}  # source graphs loading since ``preload``
        self._loading: float | None = None  # when the first load of this publish began
        self._feeder: ThreadPoolExecutor | None = None  # builds preloaded texts (``preload``)
        self._feeding: list[Future[str | None]] = []

    def wants_rebuild(self) -> bool:
        """Whether the next publish writes every graph anew whatever the records say: nothing
        is published yet, the store is not trusted, or the graphs' layout changed. Known
        before any source is harvested, so that a run can load records as they come."""
        manifest = self.store.manifest
        return self.store.rebuilds and (
            not manifest.published() or manifest.dirty() or manifest.layout != self.layout_digest()
        )

    def begin_rebuild(self) -> None:
        """Begin the fresh store (once); the provenance log, which only grows, is carried."""
        self.store.begin_rebuild(carry=[self.minter.graph("provenance")])

    def preload(self, source: Any, f: Fresh, stamp: str) -> None:
        """During a rebuild, send a freshly mapped source's records to the store now, while
        the run goes on: a thread of its own builds the text (the loads release the
        interpreter, and wait when too much is in flight: the run does not). What resolution
        decides follows at publish (``Rest``). A failure here only leaves the whole graph to
        the publish."""
        graph = self.minter.source_graph(source.id)
        if not self.store.rebuilding() or not f.changed or graph in self._streams:
            return
        for body in f.bodies:
            _date(body, f, stamp)
        view = SourceView(source, f.organisation, f.organisation_name, f.bodies)
        self._loading = self._loading or time.perf_counter()
        stream = self._streams[graph] = self.store.stream(graph)
        if self._feeder is None:
            self._feeder = ThreadPoolExecutor(1, thread_name_prefix="publish-preload")
        self._feeding.append(self._feeder.submit(self._feed, graph, view, stream))

    def _feed(self, graph: str, view: SourceView, stream: GraphStream) -> str | None:
        """Build and send a preloaded source's records; the graph's name when that failed."""
        try:
            for piece in graphs.source_records(view, self.minter):
                stream.add(piece)
        except Exception as exc:
            stream.abort()
            self.log.error("publish.preload.failed", source=view.config.id, error=repr(exc))
            return graph
        return None

    def finish_preloads(self) -> None:
        """Wait until every preload has sent its text (before anything else writes, and
        before a failed publish lets the store go back); one that failed leaves its graph to
        be written whole."""
        feeding, self._feeding = self._feeding, []
        for future in feeding:
            failed = future.result()
            if failed is not None:
                self._streams.pop(failed, None)
        if self._feeder is not None:
            self._feeder.shutdown()
            self._feeder = None

    def config_digest(self) -> str:
        """Everything in the configuration that changes the graphs, and nothing else."""
        shape = {
            "layout": versions.graphs_key(),  # an upgrade that changes the graphs rebuilds them
            "base": self.config.base_iri,
            "resolve": vars(self.config.resolve),
            "sources": [
                (
                    s.id,
                    s.title,
                    s.level,
                    s.format,
                    s.organisation,
                    s.own_register,
                    s.language,
                    s.priority,
                    s.url if s.is_remote else "",
                )
                for s in self.config.sources
            ],
        }
        return graphs.digest(json.dumps(shape, sort_keys=True, default=str))

    def layout_digest(self) -> str:
        """What changes every statement's text: the graphs' layout and the base IRI."""
        return graphs.digest(f"{versions.graphs_key()}\n{self.config.base_iri}")

    def views(
        self, fresh: dict[str, Fresh], stamp: str, organisations: set[str] | None = None
    ) -> list[SourceView]:
        """Every configured source's current records: fresh ones, else the last good ones
        (with ``organisations``, only those organisations' records of sources not fresh)."""
        views = []
        for src in self.config.sources:
            if src.id in fresh:
                f = fresh[src.id]
                for body in f.bodies:
                    _date(body, f, stamp)
                views.append(SourceView(src, f.organisation, f.organisation_name, f.bodies))
            else:
                views.append(self._stored_view(src, organisations))
        return views

    def _stored_view(self, src: Any, organisations: set[str] | None = None) -> SourceView:
        bodies = []
        for row in self.state.records(src.id, organisations).values():
            body = row["body"]
            body["first_seen"], body["changed_at"] = row["first_seen"], row["changed_at"]
            bodies.append(body)
        org, name = source_organisation(src, self.minter)
        return SourceView(src, org, name, bodies)

    def plan(
        self, runs: dict[str, SourceRun], fresh: dict[str, Fresh], stamp: str | None = None
    ) -> Plan:
        """What this publish must do, before anything is resolved or written: nothing but the
        run's provenance (no record and no graph-shaping setting changed), the organisations
        whose records changed (a run in scope), or everything. ``stamp``: when this run saw
        what it saw (records first seen or changed are dated so); now by default."""
        stamp = stamp or now()
        validators = {u: v for f in fresh.values() for u, v in f.validators.items()}
        # A source whose records are all as before is published as it stands in state.
        fresh = {sid: f for sid, f in fresh.items() if f.changed}
        old_hashes = self.store.manifest.published()
        config_digest = self.config_digest()
        changed_records = sum(
            sr.stats.get(k, 0)
            for sid, sr in runs.items()
            if sid in fresh
            for k in ("added", "changed", "removed")
        )
        # The store may hold what the state does not (a publish that died before its commit,
        # see ``manifest``): nothing is skipped or scoped then, every graph is compared again.
        agree = not self.store.dirty()
        same_config = self.store.manifest.config == config_digest
        plan = Plan(stamp, validators, fresh, old_hashes, config_digest)
        plan.unchanged = (
            changed_records == 0 and same_config and agree and self.store.path is not None
        )
        # Every graph is written anew when nothing is published yet, when every statement's
        # text changes, or when the store is not trusted: into a fresh store, at the speed
        # of its bulk loader, rather than as a diff against what goes anyway.
        plan.rebuild = self.store.rebuilding() or (not plan.unchanged and self.wants_rebuild())
        if not plan.unchanged:
            # A run in scope rebuilds only what the organisations with changed records touch:
            # records never cross organisations, so everything else stands as published.
            # A rebuild loads an empty store: nothing may stand as published.
            full = (
                plan.rebuild or not same_config or not agree or not self.state.has_unified_blocks()
            )
            plan.previous = self.state.identities()
            # Every IRI of the organisations in scope (``resolve.organisations``).
            plan.scope = (
                None if full else widen(_dirty_orgs(fresh, plan.previous), self._orgs(fresh))
            )
            plan.views = self.views(fresh, stamp, plan.scope)
            plan.canonicals = self.state.canonicals()  # read once: resolution and texts use it
        return plan

    def _orgs(self, fresh: dict[str, Fresh]) -> Organisations:
        """The federation's organisation aliases, as the resolve stage will work them out."""
        registers = [
            register_of(s, *source_organisation(s, self.minter)) for s in self.config.sources
        ]
        bodies = (b for f in fresh.values() for b in f.bodies)
        return federation_organisations(self.state, registers, bodies)

    # What it makes lives until it ends, and the cycles among it do not grow with the
    # records (the rdflib graphs of the vocabulary and the quality measures, a few objects
    # per graph written): the collector's passes found next to nothing to free, 0.32-0.34 s
    # of a cold run at 20,000 on the main thread, 438 passes (two runs with the pause taken
    # out; ``tests/publish/test_collector``).
    @collector.paused()
    def publish(
        self,
        run_id: str,
        runs: dict[str, SourceRun],
        plan: Plan,
        resolution: Resolution | None,
        while_loading: Callable[[dict[str, list[dict[str, Any]]] | None], object] | None = None,
    ) -> None:
        """Write what ``plan`` says (with ``resolution``, the resolve stage's answer to it,
        unless the plan is unchanged), then commit the state: the store first, the state
        only once the store holds every graph. ``while_loading`` is called once the state's
        writes are in the (uncommitted) transaction and before the store's last loads are
        waited for: work that reads the new state (the search index) goes there; it is given
        every algorithm's record bodies when this publish wrote all of them (``_at_hand``)."""
        fresh, stamp = plan.fresh, plan.stamp
        self.finish_preloads()
        started = time.perf_counter()
        self._loading = self._loading or started
        blocks: Blocks | None = None
        self.store.manifest.begin_publish()  # ended only once the state is committed
        if plan.rebuild:  # unless the run began it already
            self.begin_rebuild()
        written: set[str] = set()
        if resolution is not None:
            # The store compares each text with what it last wrote: only changed graphs are
            # touched, and a graph left half-written by a crash is always rewritten.
            graphs_now: set[str] = set()
            blocks = Blocks()
            texts = self._texts(plan, resolution, runs, blocks)
            for graph, text in texts:
                graphs_now.add(graph)
                if text is not None and self._sync(graph, text):
                    written.add(graph)
            # Every source graph the store has a record of, known or interrupted: the graph of a
            # source no longer configured goes even when its last write did not land.
            for graph in self.store.manifest.names():
                if graph not in graphs_now and "/graph/source/" in graph:
                    self.store.forget(graph)
        else:
            for sr in runs.values():
                sr.stats["graphs_rewritten"] = 0
            # No record says anything new, but the quality graph may: a mapping that gained a
            # field no record fills changes every source's completeness.
            self._sync(self.minter.graph("quality"), self._quality(runs))
        self.store.append(
            self.minter.graph("provenance"), self._provenance(run_id, runs, fresh, stamp)
        )
        with self.state.transaction() as db:
            # The state's big writes go into the transaction while the last loads land;
            # nothing is committed before the store holds every graph, and a crash or an
            # error before the commit rolls all of it back.
            stored = self._write_records(db, run_id, fresh, plan.validators, stamp, blocks)
            if resolution is not None:
                a = resolution.assignment
                self.state.put_identities(
                    db, a.token_of, plan.previous, a.created, a.replaced, a.retired, stamp
                )
                self.state.put_organisation_aliases(db, resolution.organisations.new, stamp)
            if while_loading is not None:
                while_loading(_at_hand(plan, resolution, stored))
            self.store.flush()
            self.timeline.mark("store", self._loading, time.perf_counter())
            if resolution is not None:  # after the loads: a rebuild's count reads their digests
                self._count_rewritten(runs, written, plan)
            if self.store.path is not None:
                snapshot.take(self.store.ox, self.config.data_dir)
            pause_point("publish.before_commit")
            publish_seconds = time.perf_counter() - started
            self.timeline.mark("publish", started, time.perf_counter())
            for sr in runs.values():
                sr.durations["publish"] = round(publish_seconds, 4)
                sr.durations["run"] = round(self.timeline.wall(), 4)  # stages overlap
            self.log.info(
                "publish.done", unchanged=plan.unchanged, seconds=round(publish_seconds, 3)
            )
            self._write_run(db, run_id, runs)
        self.store.manifest.end_publish(plan.config_digest, self.layout_digest())

    def _count_rewritten(self, runs: dict[str, SourceRun], written: set[str], plan: Plan) -> None:
        """Per source, whether its graph now says something else. A rebuild writes every
        graph: then the digests before and after tell (known once the loads have landed)."""
        for sr in runs.values():
            graph = self.minter.source_graph(sr.source)
            if plan.rebuild:
                before = self.store.manifest.replaced.get(graph)
                changed = self.store.published_digest(graph) != before
            else:
                changed = graph in written
            sr.stats["graphs_rewritten"] = int(changed)

    def _sync(self, graph: str, text: str | Iterable[str] | Patch | Rest) -> bool:
        if isinstance(text, Rest):
            stream = self._streams.pop(graph)
            stream.add(text.text)
            stream.close(text.digest)
            return True
        if isinstance(text, Patch):
            result = self.store.patch_graph(graph, text)
        else:
            result = self.store.sync_graph(graph, text)
        if result is None:
            return False
        pause_point("publish.between_graphs")
        self.log.debug("publish.graph", graph=graph, added=result[0], removed=result[1])
        return True

    def _quality(self, runs: dict[str, SourceRun]) -> str:
        """Per source: completeness, rejections and warnings of its last good run."""
        standard = spec.load(spec.builtin_path("algoritmeregister-json"))
        fields = {f.name for f in standard.fields}
        per_source = {}
        for src in self.config.sources:
            run = runs.get(src.id)
            if run is not None and run.outcome == "synced" and "completeness" in run.stats:
                stats = run.stats
            else:  # not in this run, or failed: the counts of its last synced run
                stats = (self.state.last_synced_run(src.id) or {}).get("stats") or {}
            per_source[src.id] = {
                "completeness": {
                    k: v for k, v in stats.get("completeness", {}).items() if k in fields
                },
                "rejected": stats.get("rejected", 0),
                "warnings": stats.get("warnings", 0),
            }
        return quality_graph(per_source, standard, self.minter)

    def _texts(
        self, plan: Plan, resolution: Resolution, runs: dict[str, SourceRun], blocks: Blocks
    ) -> Iterator[tuple[str, Iterable[str] | Patch | Rest | None]]:
        """(graph, N-Triples text) of every graph but the provenance log, one at a time (at
        100,000 registrations a graph's text is hundreds of megabytes); the text is None for
        a graph that a run in ``scope`` leaves as it stands, and the unified graph comes as a
        ``Patch`` worked out from its blocks."""
        views, fresh, scope, previous = plan.views, plan.fresh, plan.scope, plan.previous
        canonicals, old_hashes = plan.canonicals, plan.old_hashes
        assignment = resolution.assignment
        replaced_before = {
            t: r["replaced_by"] for t, r in canonicals.items() if r.get("replaced_by")
        }
        replaced = {**replaced_before, **assignment.replaced}
        unified = Unified(
            {k: self.minter.algorithm(tok) for k, tok in assignment.token_of.items()},
            {self.minter.algorithm(o): self.minter.algorithm(n) for o, n in replaced.items()},
            resolution.organisations.canonical(),
        )
        by_key = {(b["source"], b["native_id"]): b for v in views for b in v.records}
        for v in views:
            graph = self.minter.source_graph(v.config.id)
            if scope is not None and v.config.id not in fresh:
                moved = any(
                    assignment.token_of.get(k) != previous.get(k)
                    for k in ((b["source"], b["native_id"]) for b in v.records)
                )
                # A run is scoped only when the store and the state agree on every graph.
                if not moved and graph in old_hashes:
                    yield graph, None
                    continue
                v = self._stored_view(v.config)
            if graph in self._streams:  # its records are in the store already
                yield graph, Rest(graphs.source_links(v, self.minter, unified))
            else:
                yield graph, graphs.source_graph(v, self.minter, unified)
        graph = self.minter.graph("unified")
        emit = self._stream_blocks(graph) if plan.rebuild else None
        blocks.build(resolution, by_key, scope, self.state, self._block_builder(unified), emit)
        before = {
            self.minter.algorithm(o): self.minter.algorithm(n) for o, n in replaced_before.items()
        }
        replaced_now = graphs.replaced_statements(unified.replaced)
        if emit is not None:
            emit(b"")  # the last blocks
            yield graph, Rest(replaced_now, graph_digest(blocks.digests, replaced_now))
        else:
            patch = blocks.patch(self.state, graphs.replaced_statements(before), replaced_now)
            yield graph, patch
        yield (
            self.minter.graph("links"),
            graphs.links_graph(resolution.linked(), self.minter),
        )
        yield (
            self.minter.graph("federation"),
            graphs.federation_graph(
                [s.id for s in self.config.sources],
                self._organisations(views, fresh),
                self.minter,
                unified.organisations,
                resolution.organisations.labels,
            ),
        )
        yield self.minter.graph("vocabulary"), graphs.vocabulary_graph()
        yield self.minter.graph("quality"), self._quality(runs)

    def _stream_blocks(self, graph: str) -> Callable[[bytes], None]:
        """A rebuild loads the unified graph as its blocks are built, ``PIECE`` at a time
        (an empty text sends what is gathered); its name comes from the blocks' digests."""
        stream = self._streams[graph] = self.store.stream(graph, named=True)
        gathered: list[bytes] = []

        def emit(block: bytes) -> None:
            if block:
                gathered.append(block)
            if gathered and (not block or len(gathered) >= graphs.PIECE):
                stream.add(b"".join(gathered))
                gathered.clear()

        return emit

    def _block_builder(self, unified: Unified) -> Any:
        priorities = {s.id: s.priority for s in self.config.sources}
        multi = {f.name for s in self.config.sources for f in _multi_fields(s)}

        def build(members: list[dict[str, Any]]) -> str:
            return graphs.unified_block(members, unified, priorities, multi)

        return build

    def _organisations(self, views: list[SourceView], fresh: dict[str, Fresh]) -> dict[str, str]:
        """Every publishing organisation and its name: the sources' own first, then each
        record's (the smallest name where records disagree, so that every run agrees)."""
        organisations: dict[str, str] = {}
        for view in views:
            organisations.setdefault(view.organisation, view.organisation_name)
        names = self.state.organisation_names({s.id for s in self.config.sources} - set(fresh))
        for f in fresh.values():
            for b in f.bodies:
                org, name = b["organisation"], b["organisation_name"]
                if org not in names or name < names[org]:
                    names[org] = name
        for org in sorted(names):
            organisations.setdefault(org, names[org])
        return organisations

    def _provenance(
        self, run_id: str, runs: dict[str, SourceRun], fresh: dict[str, Fresh], stamp: str
    ) -> str:
        out, ended = [], now()  # ``stamp`` may be when the run began (``plan``)
        for sid, sr in runs.items():
            activity = self.minter.activity(run_id, sid)
            out.append(
                graphs.provenance(
                    activity,
                    self.minter.agent(),
                    self.config.source(sid),
                    self.minter.source_graph(sid),
                    sr.started,
                    max(ended, sr.started),
                    sr.outcome,
                    run_id,
                )
            )
            if sid in fresh:
                f = fresh[sid]
                seen = {b["native_id"] for b in f.bodies}
                for native, row in f.previous.items():
                    if native not in seen:
                        out.append(graphs.withdrawal(row["body"]["subject"], activity, stamp))
        return "".join(out)

    def _write_records(
        self,
        db: Any,
        run_id: str,
        fresh: dict[str, Fresh],
        validators: dict[str, dict[str, str | None]],
        stamp: str,
        blocks: Blocks | None,
    ) -> set[RecordKey]:
        """Records, unified blocks and HTTP validators of this run; the records written."""
        if blocks is not None:
            blocks.commit(db)
        self.state.put_validators(db, validators)
        written: set[RecordKey] = set()
        for sid, f in fresh.items():
            written.update(
                (sid, native) for native in self._commit_records(db, run_id, sid, f, stamp)
            )
        self.state.drop_sources_except(db, {s.id for s in self.config.sources})
        return written

    def _write_run(self, db: Any, run_id: str, runs: dict[str, SourceRun]) -> None:
        """The run log, last."""
        for sr in runs.values():
            sr.ended = now()
            self.state.write_source_run(db, sr)
        outcome = "synced" if all(r.outcome == "synced" for r in runs.values()) else "failed"
        self.state.end_run(db, run_id, outcome)

    def _commit_records(self, db: Any, run_id: str, sid: str, f: Fresh, stamp: str) -> list[str]:
        """Write what changed in one source's records, and log it in the change feed; the
        native ids of the records written."""
        current = {b["native_id"]: b for b in f.bodies}
        changes, mapped_again = [], []
        for native, body in current.items():
            old = f.previous.get(native)
            if old is None or old["digest"] != body["digest"]:
                mapped_again.append(native)  # stored anew: its digest is new
                _date(body, f, stamp)  # an unchanged publish did not date it
                if native in f.redescribed:
                    kind = "create" if old is None else "update"
                    changes.append((run_id, stamp, sid, native, kind))

        def rows() -> Iterator[tuple[str | bytes, ...]]:
            # One serialised body at a time: all of them at once were 0.9 GB at 100,000.
            for native in mapped_again:
                body = current[native]
                # Every body mapped in this run was packed where it was mapped (mapvalidate);
                # one missing is a bug, and failing the publish keeps the last state.
                packed = f.packed.pop(native) if f.packed is not None else None
                if packed is None:
                    raise RuntimeError(f"no packed body for record {native!r} of {sid!r}")
                yield (
                    sid,
                    native,
                    body["digest"],
                    body["first_seen"],
                    body["changed_at"],
                    packed,
                    body["organisation"],
                    body["organisation_name"],
                )

        gone = [(sid, native) for native in f.previous if native not in current]
        changes += [(run_id, stamp, sid, native, "delete") for _, native in gone]
        self.state.put_records(db, rows(), gone, changes)
        return mapped_again


def _at_hand(
    plan: Plan, resolution: Resolution | None, written: set[RecordKey]
) -> dict[str, list[dict[str, Any]]] | None:
    """Every algorithm's record bodies (token -> bodies) when this publish resolved and wrote
    every record (a cold run, a remap of everything): then the bodies in hand are what state
    holds, ``changed_at`` included, and the search index need not read them all back (at
    100,000 registrations 2.5 s of the publish). Otherwise None."""
    if resolution is None or plan.scope is not None:
        return None
    token_of = resolution.assignment.token_of
    if written != token_of.keys():
        return None
    by_key = {(b["source"], b["native_id"]): b for v in plan.views for b in v.records}
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, token in token_of.items():
        groups.setdefault(token, []).append(by_key[key])
    return groups


def _date(body: dict[str, Any], f: Fresh, stamp: str) -> None:
    """When a fresh body was first seen and when its description last changed."""
    old = f.previous.get(body["native_id"])
    if old is None:
        body["first_seen"] = body["changed_at"] = stamp
        return
    body["first_seen"] = old["first_seen"]
    body["changed_at"] = stamp if body["native_id"] in f.redescribed else old["changed_at"]


def _dirty_orgs(fresh: dict[str, Fresh], previous: dict[tuple[str, str], str]) -> set[str]:
    """Organisations with a record added, changed or withdrawn in this run (old and new), or
    one that has no identity yet: the scope a run resolves again."""
    dirty: set[str] = set()
    for sid, f in fresh.items():
        current = {b["native_id"]: b for b in f.bodies}
        for native, body in current.items():
            old = f.previous.get(native)
            if native in f.redescribed or (sid, native) not in previous:
                dirty.add(body["organisation"])
                if old is not None:
                    dirty.add(old["body"]["organisation"])
        for native, row in f.previous.items():
            if native not in current:
                dirty.add(row["body"]["organisation"])
    return dirty


def _multi_fields(source: Any) -> list[Any]:
    mapping = spec.load(source.mapping or spec.builtin_path(source.format))
    return [f for f in mapping.fields if f.multi]


__all__ = ["Publisher"]
