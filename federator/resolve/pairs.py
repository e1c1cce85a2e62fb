"""Similarity pairs inside blocks, on every core when the blocks hold many pairs.

Blocks (one organisation's records) are independent, so large runs split them over worker
processes: at 100,000 registrations the pairwise comparison is most of resolution.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from federator import collector, parallel
from federator.resolve.candidates import Candidate
from federator.resolve.similarity import Block, SentenceCache, profile

PARALLEL_PAIRS = 500_000  # pairs to compare from which starting workers pays off
Found = list[tuple[int, int, float, str]]  # (local i, local j, score, detail) per block


def block_pairs(records: Sequence[Candidate], floor: float) -> Found:
    """Pairs of records of different sources in one block that score at least ``floor``."""
    groups = _groups(records)
    cache: SentenceCache = {}  # per block: copies live in one organisation
    block = Block([profile(c, cache) for c in records], groups)
    out: Found = []
    for g, left in enumerate(groups):
        for right in groups[g + 1 :]:
            for x, y, f in block.matches(left, right, floor):
                if (score := f.score) >= floor:
                    out.append((x, y, round(score, 4), f.detail()))
    return out


def similar_in_blocks(blocks: list[list[Candidate]], floor: float) -> list[Found]:
    """``block_pairs`` of every block, in order."""
    sizes = [_pair_count(_groups(b)) for b in blocks]
    if parallel.WORKERS < 2 or sum(sizes) < PARALLEL_PAIRS:
        return [block_pairs(b, floor) for b in blocks]
    # Several parts per worker, biggest blocks first, so that the workers finish together.
    parts: list[list[int]] = [[] for _ in range(4 * parallel.WORKERS)]
    load = [0] * len(parts)
    for k in sorted(range(len(blocks)), key=lambda k: -sizes[k]):
        lightest = load.index(min(load))
        parts[lightest].append(k)
        load[lightest] += sizes[k]
    found: list[Found] = [[] for _ in blocks]
    parts = [part for part in parts if part]
    with parallel.workers() as pool:  # the run's warm ones, when it has them
        jobs = [pool.submit(_part, [blocks[k] for k in part], floor) for part in parts]
        try:
            for part, job in zip(parts, jobs, strict=True):
                for k, pairs in zip(part, job.result(), strict=True):
                    found[k] = pairs
        except BaseException:
            parallel.stop(pool, jobs)  # fail now, not after every part
            raise
    return found


@collector.paused()
def _part(blocks: list[list[Candidate]], floor: float) -> list[Found]:
    """A worker's part, the collector paused as in the main process: what comparing makes
    lives until the part is done."""
    return [block_pairs(b, floor) for b in blocks]


def _groups(records: Sequence[Candidate]) -> list[list[int]]:
    by_source: dict[str, list[int]] = defaultdict(list)
    for local, c in enumerate(records):
        by_source[c.source].append(local)
    return [by_source[s] for s in sorted(by_source)]


def _pair_count(groups: list[list[int]]) -> int:
    total = seen = 0
    for g in groups:
        total += seen * len(g)
        seen += len(g)
    return total
