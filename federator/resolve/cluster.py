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

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from itertools import islice
from operator import attrgetter, lt

from federator.resolve.candidates import Candidate, Cluster, Clustering, Evidence, RecordKey
from federator.resolve.pairs import similar_in_blocks
from federator.resolve.similarity import lars_in_url, norm_id, norm_url

THRESHOLD = 0.65  # combined similarity from which two records are judged one algorithm
BAND = 0.05  # similarity this close to the threshold, either side, is listed for review
REVIEW = 0.20  # near misses this far below the threshold are listed by ``clusters --uncertain``

_KIND_ORDER = {"pinned": 0, "lars": 1, "source_id": 2, "url": 3, "similarity": 4}

Match = tuple[RecordKey, RecordKey, str, str]  # (record, record after it, kind, detail)


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
    matches: Sequence[Match] | None = None,
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

    ``matches``: the ``identifier_matches`` of these records, or of more, found already (for
    ``cross_links`` too); then ``candidates`` come as ``unique_sorted`` gives them (or a part
    of such a list, in its order).
    """
    limit = THRESHOLD if threshold is None else threshold
    band = BAND if review is None else max(BAND, review)
    cands = unique_sorted(candidates) if matches is None else list(candidates)
    if matches is None:
        matches = identifier_matches(cands)
    same, different = list(same), list(different)
    # Where the records that pins and matches name are (only those are looked up).
    named = {k for pair in [*same, *different] for k in pair}
    named.update(k for a, b, _, _ in matches for k in (a, b))
    index = _positions(cands, named)
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
    explicit, elsewhere = _explicit(cands, index, blocks, matches)
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


def unique_sorted(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates in key order, one per key: a key names one record, so of duplicates
    (say two language copies) the one first in field order is kept, whatever the input order."""
    keys = [c.key for c in candidates]
    if all(map(lt, keys, islice(keys, 1, None))):  # so already (as ``resolve`` passes them on)
        return list(candidates)
    if len(set(keys)) == len(keys):
        # In (source, native id) order; sorting each source's by native id compares
        # strings, not key tuples: a few times quicker.
        by_source: dict[str, list[Candidate]] = defaultdict(list)
        for c in candidates:
            by_source[c.source].append(c)
        return [c for s in sorted(by_source) for c in sorted(by_source[s], key=_native_id)]
    seen: dict[RecordKey, Candidate] = {}
    for c in candidates:
        if (other := seen.get(key := c.key)) is None or _fields(c) < _fields(other):
            seen[key] = c
    return [seen[k] for k in sorted(seen)]


_native_id = attrgetter("native_id")


def _positions(cands: list[Candidate], keys: Iterable[RecordKey]) -> dict[RecordKey, int]:
    """Where each of ``keys`` is in ``cands`` (in key order, one per key), of those there."""
    order = [c.key for c in cands]
    out = {}
    for key in keys:
        i = bisect_left(order, key)
        if i < len(order) and order[i] == key:
            out[key] = i
    return out


def _fields(c: Candidate) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in astuple(c))


def _note(ev: Evidence, text: str) -> Evidence:
    return Evidence(ev.a, ev.b, ev.kind, ev.score, f"{ev.detail}; {text}" if ev.detail else text)


def _blocks(cands: list[Candidate]) -> list[list[int]]:
    """Record indices per organisation, for organisations that more than one source publishes
    (only those can hold pairs); ``cands`` as ``unique_sorted`` gives them."""
    by_org: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        by_org[c.org].append(i)
    # ``cands`` are in key order, so each source's records are together: an organisation's
    # records are of several sources when its first and last are.
    return [
        idx for _, idx in sorted(by_org.items()) if cands[idx[0]].source != cands[idx[-1]].source
    ]


def identifier_matches(cands: Sequence[Candidate]) -> list[Match]:
    """Every pair of records of different sources that a shared lars or a link says is one
    registration, whatever their organisations, in the order found (``cands`` as
    ``unique_sorted`` gives them). A lars and a link are globally unique, so they are
    indexed over all records; a match into another organisation is reported (``_explicit``).

    What is found of a pair depends on its two records' identifiers and sources only, in the
    same order for any part of ``cands``, whatever organisation each is said to be: so the
    matches found once hold for these records re-blocked after organisation aliases, or a
    part of them (``resolve`` finds them once for ``cross_links`` and ``cluster``)."""
    out: list[Match] = []

    def add(i: int, j: int, kind: str, detail: str) -> None:
        if cands[i].source != cands[j].source:
            i, j = min(i, j), max(i, j)
            out.append((cands[i].key, cands[j].key, kind, detail))

    # Each record's lars; per lars, a record with it, and the records of each lars several
    # records have, in order (most have one: no list is made for those).
    lars_of = [c.lars.strip() if c.lars else "" for c in cands]
    at = {lars: i for i, lars in enumerate(lars_of) if lars}
    shared: dict[str, list[int]] = {}
    if len(at) < len(lars_of) - lars_of.count(""):
        several = {lars for lars, n in Counter(lars_of).items() if n > 1 and lars}
        for i, lars in enumerate(lars_of):
            if lars in several:
                shared.setdefault(lars, []).append(i)

    def with_lars(lars: str) -> Sequence[int]:
        return shared.get(lars) or ((at[lars],) if lars in at else ())

    by_link: dict[str, list[int]] = defaultdict(list)
    linked = [i for i, c in enumerate(cands) if c.url or c.website]
    for i in linked:
        for link in {norm_url(cands[i].url), norm_url(cands[i].website)} - {None}:
            by_link[str(link)].append(i)
    for lars, members in shared.items():
        for n, i in enumerate(members):
            for j in members[n + 1 :]:
                add(i, j, "lars", f"same lars {lars}")
    for i in linked:
        c = cands[i]
        for ref in {lars_in_url(c.url), lars_in_url(c.website)} - {None}:
            for j in with_lars(str(ref)):
                add(i, j, "url", f"links to national register entry {ref}")
        if c.lists_many and c.lars and (link := norm_url(c.url)):
            for j in by_link.get(link, ()):
                add(i, j, "url", f"national record links to {c.url}")
    return out


def _explicit(
    cands: list[Candidate],
    index: dict[RecordKey, int],
    blocks: list[list[int]],
    matches: Iterable[Match],
) -> tuple[list[_Pair], list[Evidence]]:
    """Pairs that identifiers say are one registration, within each block; and, for review,
    identifier matches that cross organisations (which are never joined). ``matches``: the
    ``identifier_matches`` of ``cands`` (or of more records: the others are passed over)."""
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

    for a, b, kind, detail in matches:
        if (i := index.get(a)) is not None and (j := index.get(b)) is not None:
            add(i, j, kind, detail)
    # Source ids are only unique per publisher: matched within each block.
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


def cross_links(
    candidates: Sequence[Candidate], matches: Sequence[Match] | None = None
) -> list[tuple[str, str, str]]:
    """(organisation, organisation, what) of every pair of records of different sources and
    organisations that identifiers (a shared lars, a link) say are one registration.
    ``matches``: their ``identifier_matches``, found already; then ``candidates`` come as
    ``unique_sorted`` gives them."""
    cands = unique_sorted(candidates) if matches is None else list(candidates)
    if matches is None:
        matches = identifier_matches(cands)
    index = _positions(cands, {k for a, b, _, _ in matches for k in (a, b)})
    org = {key: cands[i].org for key, i in index.items()}
    out: dict[tuple[RecordKey, RecordKey], tuple[str, str, str]] = {}
    for a, b, _, detail in matches:
        if (a, b) not in out and a in org and b in org and org[a] != org[b]:
            out[(a, b)] = (org[a], org[b], detail.split(";")[0])
    return list(out.values())


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
    """Union-find over records that keeps every cluster free of source clashes and pins.
    ``cands`` come in key order, one per key (``unique_sorted``)."""

    def __init__(self, cands: list[Candidate]) -> None:
        self._cands = cands
        self._parent = list(range(len(cands)))
        # root -> the sources its cluster holds; a record never joined holds its own only
        self._sources: dict[int, set[str]] = {}
        self._forbidden: dict[int, set[int]] = {}  # root -> records it must never hold
        self._evidence: dict[int, list[Evidence]] = {}

    def find(self, i: int) -> int:
        root = i
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[i] != root:  # path compression
            self._parent[i], i = root, self._parent[i]
        return root

    def _sources_of(self, root: int) -> set[str]:
        if (sources := self._sources.get(root)) is None:
            sources = self._sources[root] = {self._cands[root].source}
        return sources

    def forbid(self, i: int, j: int) -> None:
        self._forbidden.setdefault(i, set()).add(j)
        self._forbidden.setdefault(j, set()).add(i)

    def allowed(self, i: int, j: int) -> str | None:
        """Why the clusters of i and j may not be joined, or None when they may."""
        ra, rb = self.find(i), self.find(j)
        if ra == rb:
            return "already joined"
        if clash := self._sources_of(ra) & self._sources_of(rb):
            return f"both clusters hold a record of {', '.join(sorted(clash))}"
        if any(self.find(x) == rb for x in self._forbidden.get(ra, ())):
            return "pinned as different"
        return None

    def join(self, i: int, j: int, ev: Evidence) -> str | None:
        """Join the clusters of i and j, or say why that is not allowed."""
        if reason := self.allowed(i, j):
            return reason
        ra, rb = self.find(i), self.find(j)
        if len(self._sources_of(ra)) < len(self._sources_of(rb)):
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._sources[ra] |= self._sources.pop(rb)
        if rb in self._forbidden:
            self._forbidden.setdefault(ra, set()).update(self._forbidden.pop(rb))
        self._evidence.setdefault(ra, []).extend(self._evidence.pop(rb, []))
        self._evidence[ra].append(ev)
        return None

    def clusters(self) -> list[Cluster]:
        """Every cluster, its records in key order, by its first record. Records are visited
        in key order, so each cluster's list is sorted as it is made, and clusters come in
        the order of their first records."""
        members: dict[int, list[RecordKey]] = {}
        parent, evidence = self._parent, self._evidence
        for i, c in enumerate(self._cands):
            root = i if parent[i] == i else self.find(i)
            if (keys := members.get(root)) is None:
                members[root] = [c.key]
            else:
                keys.append(c.key)
        out = []
        for root, keys in members.items():
            found = evidence.get(root)
            out.append(Cluster(keys, sorted(found, key=_evidence_order) if found else []))
        return out


def _evidence_order(e: Evidence) -> tuple[RecordKey, RecordKey, str]:
    return (e.a, e.b, e.kind)
