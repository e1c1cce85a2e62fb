"""``federator clusters``: resolution explained, from the records currently published."""

from __future__ import annotations

from federator.config import Config
from federator.map.mapper import source_organisation
from federator.resolve import candidate, federation_organisations, resolve
from federator.resolve.cluster import REVIEW
from federator.resolve.organisations import register_of
from federator.state import State
from federator.vocab import Minter


def explain(
    cfg: Config,
    *,
    source: str | None = None,
    uncertain: bool = False,
    limit: int | None = None,
) -> str:
    """Clusters with their members and evidence; with ``uncertain``, the pairs worth a look:
    borderline joins, explicit evidence not followed (across organisations, say), and every
    near miss (a pair of records of different registers in one organisation scoring up to
    ``cluster.REVIEW`` below the threshold), each with why. ``source``: only pairs or clusters
    with a record of it; ``limit``: at most that many lines of pairs or clusters."""
    with State(cfg.data_dir) as state:
        minter = Minter(cfg.base_iri)
        bodies = {}
        cands = []
        registers = []
        for src in cfg.sources:
            registers.append(register_of(src, *source_organisation(src, minter)))
            for native, row in state.records(src.id).items():
                bodies[(src.id, native)] = row["body"]
                cands.append(candidate(row["body"], src.level, src.priority, not src.own_register))
        found = federation_organisations(state, registers, ())
        res = resolve(
            cands,
            cfg.resolve,
            state.identities(),
            state.canonicals(),
            withdrawn=state.withdrawn_identities(),
            organisations=found,
            review=REVIEW if uncertain else None,
        )
    titles = {k: b["values"].get("name") or "" for k, b in bodies.items()}
    lines: list[str] = []
    if uncertain:
        pairs = [
            ev for ev in res.clustering.uncertain if not source or source in (ev.a[0], ev.b[0])
        ]
        # Closest to the threshold first: the likeliest to be worth a pin.
        pairs.sort(key=lambda e: (-e.score, e.a, e.b))
        shown = pairs if limit is None else pairs[:limit]
        lines.append(
            f"Borderline pairs and near misses ({len(pairs)}"
            + (f", {len(shown)} shown" if len(shown) < len(pairs) else "")
            + "): review and pin them in the config (resolve.same / resolve.different)"
        )
        for ev in shown:
            lines.append(
                f"  {ev.score:.3f}  {ev.a[0]}:{ev.a[1]} ({titles.get(ev.a, '')!s})"
                f"  ~  {ev.b[0]}:{ev.b[1]} ({titles.get(ev.b, '')!s})  [{ev.kind}: {ev.detail}]"
            )
        return "\n".join(lines)
    shown_ = 0
    for cl in res.clustering.clusters:
        if len(cl.members) < 2 and not source:
            continue
        if source and all(m[0] != source for m in cl.members):
            continue
        if limit is not None and shown_ >= limit:
            break
        token = res.assignment.token_of[cl.members[0]]
        lines.append(minter.algorithm(token))
        for m in sorted(cl.members):
            lines.append(f"    {m[0]}:{m[1]}  {titles.get(m, '')}")
        for ev in cl.evidence:
            lines.append(
                f"      {ev.kind} {ev.score:.3f} {ev.a[0]}:{ev.a[1]} ~ {ev.b[0]}:{ev.b[1]}"
                + (f" ({ev.detail})" if ev.detail else "")
            )
        shown_ += 1
    for iri, target in sorted(found.canonical().items()):
        why = found.aliases[iri][1]
        lines.append(f"organisation {iri} is {target} ({why})")
    total = len(res.clustering.clusters)
    multi = sum(1 for c in res.clustering.clusters if len(c.members) > 1)
    lines.append(
        f"{shown_} clusters shown; {total} algorithms, {multi} described by more than "
        f"one register, {len(res.clustering.uncertain)} borderline pairs "
        "(--uncertain)"
    )
    return "\n".join(lines)
