"""Record clustering (entity resolution): which harvested records describe one algorithm.

Records are blocked on ``org``. Inside a block, records of different sources are paired by
explicit evidence (a shared lars; a national record naming the other's source id or link; a
link into the national register) and by similarity (``similarity.Block``). Pairs are then
accepted best-first — operator pins, explicit evidence, similarity by descending score —
each only when the two clusters it would join hold no common source and no ``different``
pin between them. So a record goes with its best match even when near-identical siblings
compete for it, the result does not depend on input order, and the cost grows with the
number of pairs inside blocks, never with the square of all records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass

from federator.resolve.candidates import Candidate, Cluster, Clustering, Evidence, RecordKey
from federator.resolve.pairs import similar_in_blocks
from federator.resolve.similarity import lars_in_url, norm_id, norm_url

THRESHOLD = 0.65  # combined similarity from which two records are judged one algorithm
BAND = 0.05  # similarity this close to the threshold, either side, is listed for review
REVIEW = 0.20  # near misses this far below the threshold are listed by ``clusters --uncertain``

_KIND_ORDER = {"pinned": 0, "lars": 1, "source_id": 2, "url": 3, "similarity": 4}


@dataclass(frozen=True, slots=True)
class _Pair:
    i: int
    j: int
    evidence: Evidence

    def order(self) -> tuple[int, float, RecordKey, RecordKey]:
        ev = self.evidence
        return (_KIND_ORDER.get(ev.kind, 9), -ev.score, ev.a, ev.b)


def cluster(
    candidates: Sequence[Candidate],
    *,
    same: Iterable[tuple[RecordKey, RecordKey]] = (),
    different: Iterable[tuple[RecordKey, RecordKey]] = (),
    threshold: float | None = None,
    review: float | None = None,
) -> Clustering:
    """Partition ``candidates`` into clusters of records that describe the same algorithm.

    ``same`` pins are always joined, unless that would put two records of one source (or a
    ``different`` pin) in one cluster, or join two organisations (the contract: algorithms of
    different organisations are never merged; such a pin is reported, not applied);
    ``different`` pins never end up in one cluster, not even through other records. Pins
    naming unknown records are ignored. ``threshold`` overrides ``THRESHOLD``. Borderline and
    conflicting pairs are returned in ``Clustering.uncertain`` for review: with ``review``,
    every pair of records of different sources in one organisation scoring that far below the
    threshold that did not end up together (a near miss), with why.
    """
    limit = THRESHOLD if threshold is None else threshold
    band = BAND if review is None else max(BAND, review)
    cands = _unique_sorted(candidates)
    index = {c.key: i for i, c in enumerate(cands)}
    merger = _Merger(cands)
    for a, b in different:
        if a in index and b in index and a != b:
            merger.forbid(index[a], index[b])
    uncertain: list[Evidence] = []

    pins = sorted({(min(a, b), max(a, b)) for a, b in same if a in index and b in index})
    for a, b in pins:
        if a != b and cands[index[a]].org != cands[index[b]].org:
            uncertain.append(
                Evidence(
                    a, b, "pinned", 1.0, "pin not applied: the records name different organisations"
                )
            )
        elif a != b:
            reason = merger.join(index[a], index[b], Evidence(a, b, "pinned", 1.0, "operator pin"))
            if reason and reason != "already joined":
                uncertain.append(Evidence(a, b, "pinned", 1.0, f"pin not applied: {reason}"))

    blocks = _blocks(cands)
    explicit, elsewhere = _explicit(cands, blocks)
    uncertain.extend(elsewhere)
    for pair in sorted(explicit, key=_Pair.order):
        reason = merger.join(pair.i, pair.j, pair.evidence)
        if reason and reason != "already joined":
            uncertain.append(_note(pair.evidence, f"not followed: {reason}"))

    best: dict[int, float] = {}  # best similarity each record was joined by
    for pair in sorted(_similar(cands, blocks, floor=limit - band), key=_Pair.order):
        ev, i, j = pair.evidence, pair.i, pair.j
        if ev.score < limit:
            why = merger.allowed(i, j)
            if why is None:
                uncertain.append(_note(ev, f"not joined: below threshold {limit:.2f}"))
            elif review is not None and why != "already joined":
                uncertain.append(_note(ev, f"not joined: below threshold {limit:.2f}; {why}"))
            continue
        reason = merger.join(i, j, ev)
        if reason is None:
            best[i] = max(best.get(i, 0.0), ev.score)
            best[j] = max(best.get(j, 0.0), ev.score)
            if ev.score < limit + BAND:
                uncertain.append(_note(ev, "joined: near threshold"))
        elif reason.startswith("both clusters"):
            # A close runner-up for a record that went elsewhere: worth a second look.
            rival = max(best.get(i, 0.0), best.get(j, 0.0))
            if rival - ev.score < BAND:
                uncertain.append(_note(ev, f"not joined: {reason}; the winner scored {rival:.2f}"))

    uncertain.sort(key=lambda e: (e.a, e.b, e.kind, e.detail))
    return Clustering(merger.clusters(), uncertain)


def _unique_sorted(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates in key order, one per key: a key names one record, so of duplicates
    (say two language copies) the one first in field order is kept, whatever the input order."""
    seen: dict[RecordKey, Candidate] = {}
    for c in candidates:
        if c.key not in seen or _fields(c) < _fields(seen[c.key]):
            seen[c.key] = c
    return [seen[k] for k in sorted(seen)]


def _fields(c: Candidate) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in astuple(c))


def _note(ev: Evidence, text: str) -> Evidence:
    return Evidence(ev.a, ev.b, ev.kind, ev.score, f"{ev.detail}; {text}" if ev.detail else text)


def _blocks(cands: list[Candidate]) -> list[list[int]]:
    """Record indices per organisation, for organisations that more than one source publishes
    (only those can hold pairs)."""
    by_org: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        by_org[c.org].append(i)
    return [idx for _, idx in sorted(by_org.items()) if len({cands[i].source for i in idx}) > 1]


def _explicit(
    cands: list[Candidate], blocks: list[list[int]]
) -> tuple[list[_Pair], list[Evidence]]:
    """Pairs that identifiers say are one registration, within each block; and, for review,
    identifier matches that cross organisations (which are never joined)."""
    pairs: dict[tuple[int, int], _Pair] = {}
    elsewhere: dict[tuple[int, int], Evidence] = {}

    def add(i: int, j: int, kind: str, detail: str) -> None:
        if cands[i].source == cands[j].source:
            return
        i, j = min(i, j), max(i, j)
        ev = Evidence(cands[i].key, cands[j].key, kind, 1.0, detail)
        if cands[i].org != cands[j].org:
            why = f"not joined: different organisations ({cands[i].org}, {cands[j].org})"
            elsewhere.setdefault((i, j), _note(ev, why))
            return
        pair = _Pair(i, j, ev)
        if (i, j) not in pairs or pair.order() < pairs[(i, j)].order():
            pairs[(i, j)] = pair

    # A lars and a link are globally unique, so they are indexed over all records: a match
    # into another organisation is reported. Source ids are only unique per publisher.
    by_lars: dict[str, list[int]] = defaultdict(list)
    by_link: dict[str, list[int]] = defaultdict(list)
    linked = [i for i, c in enumerate(cands) if c.url or c.website]
    for i, c in enumerate(cands):
        if c.lars and c.lars.strip():
            by_lars[c.lars.strip()].append(i)
    for i in linked:
        for link in {norm_url(cands[i].url), norm_url(cands[i].website)} - {None}:
            by_link[str(link)].append(i)
    for lars, members in by_lars.items():
        for n, i in enumerate(members):
            for j in members[n + 1 :]:
                add(i, j, "lars", f"same lars {lars}")
    for i in linked:
        c = cands[i]
        for ref in {lars_in_url(c.url), lars_in_url(c.website)} - {None}:
            for j in by_lars.get(str(ref), ()):
                add(i, j, "url", f"links to national register entry {ref}")
        if c.lists_many and c.lars and (link := norm_url(c.url)):
            for j in by_link.get(link, ()):
                add(i, j, "url", f"national record links to {c.url}")

    for idx in blocks:
        by_id: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            for value in {norm_id(cands[i].source_id), norm_id(cands[i].native_id)} - {None}:
                by_id[str(value)].append(i)
        for i in idx:
            c = cands[i]
            if c.lists_many and c.lars and (sid := norm_id(c.source_id)):
                for j in by_id.get(sid, ()):
                    add(i, j, "source_id", f"national record names source id {c.source_id}")
    return list(pairs.values()), list(elsewhere.values())


def cross_links(candidates: Sequence[Candidate]) -> list[tuple[str, str, str]]:
    """(organisation, organisation, what) of every pair of records of different sources and
    organisations that identifiers (a shared lars, a link) say are one registration."""
    cands = _unique_sorted(candidates)
    org = {c.key: c.org for c in cands}
    _, elsewhere = _explicit(cands, [])
    return [(org[ev.a], org[ev.b], ev.detail.split(";")[0]) for ev in elsewhere]


def _similar(cands: list[Candidate], blocks: list[list[int]], floor: float) -> list[_Pair]:
    """Similarity pairs scoring at least ``floor``, across sources within each block."""
    found = similar_in_blocks([[cands[i] for i in idx] for idx in blocks], floor)
    out: list[_Pair] = []
    for idx, pairs in zip(blocks, found, strict=True):
        for x, y, score, detail in pairs:
            i, j = sorted((idx[x], idx[y]))
            ev = Evidence(cands[i].key, cands[j].key, "similarity", score, detail)
            out.append(_Pair(i, j, ev))
    return out


class _Merger:
    """Union-find over records that keeps every cluster free of source clashes and pins."""

    def __init__(self, cands: list[Candidate]) -> None:
        self._cands = cands
        self._parent = list(range(len(cands)))
        self._sources: dict[int, set[str]] = {i: {c.source} for i, c in enumerate(cands)}
        self._forbidden: dict[int, set[int]] = {}  # root -> records it must never hold
        self._evidence: dict[int, list[Evidence]] = {}

    def find(self, i: int) -> int:
        root = i
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[i] != root:  # path compression
            self._parent[i], i = root, self._parent[i]
        return root

    def forbid(self, i: int, j: int) -> None:
        self._forbidden.setdefault(i, set()).add(j)
        self._forbidden.setdefault(j, set()).add(i)

    def allowed(self, i: int, j: int) -> str | None:
        """Why the clusters of i and j may not be joined, or None when they may."""
        ra, rb = self.find(i), self.find(j)
        if ra == rb:
            return "already joined"
        if clash := self._sources[ra] & self._sources[rb]:
            return f"both clusters hold a record of {', '.join(sorted(clash))}"
        if any(self.find(x) == rb for x in self._forbidden.get(ra, ())):
            return "pinned as different"
        return None

    def join(self, i: int, j: int, ev: Evidence) -> str | None:
        """Join the clusters of i and j, or say why that is not allowed."""
        if reason := self.allowed(i, j):
            return reason
        ra, rb = self.find(i), self.find(j)
        if len(self._sources[ra]) < len(self._sources[rb]):
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._sources[ra] |= self._sources.pop(rb)
        if rb in self._forbidden:
            self._forbidden.setdefault(ra, set()).update(self._forbidden.pop(rb))
        self._evidence.setdefault(ra, []).extend(self._evidence.pop(rb, []))
        self._evidence[ra].append(ev)
        return None

    def clusters(self) -> list[Cluster]:
        members: dict[int, list[RecordKey]] = defaultdict(list)
        for i, c in enumerate(self._cands):
            members[self.find(i)].append(c.key)
        out = []
        for root, keys in members.items():
            evidence = sorted(self._evidence.get(root, []), key=lambda e: (e.a, e.b, e.kind))
            out.append(Cluster(sorted(keys), evidence))
        out.sort(key=lambda cl: cl.members[0])
        return out
