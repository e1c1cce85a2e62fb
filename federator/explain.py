"""``federator clusters``: resolution explained, from the records currently published."""

from __future__ import annotations

from federator.config import Config
from federator.resolve import candidate, resolve
from federator.state import State
from federator.vocab import Minter


def explain(cfg: Config, *, source: str | None = None, uncertain: bool = False) -> str:
    state = State(cfg.data_dir)
    minter = Minter(cfg.base_iri)
    bodies = {}
    cands = []
    for src in cfg.sources:
        for native, row in state.records(src.id).items():
            bodies[(src.id, native)] = row["body"]
            cands.append(candidate(row["body"], src.level, src.priority))
    res = resolve(
        cands,
        cfg.resolve,
        state.identities(),
        state.canonicals(),
        withdrawn=state.withdrawn_identities(),
    )
    titles = {k: b["values"].get("name") or "" for k, b in bodies.items()}
    lines: list[str] = []
    if uncertain:
        lines.append(
            f"Borderline pairs ({len(res.clustering.uncertain)}): review and pin them "
            "in the config (resolve.same / resolve.different)"
        )
        for ev in res.clustering.uncertain:
            if source and source not in (ev.a[0], ev.b[0]):
                continue
            lines.append(
                f"  {ev.score:.3f}  {ev.a[0]}:{ev.a[1]} ({titles.get(ev.a, '')!s})"
                f"  ~  {ev.b[0]}:{ev.b[1]} ({titles.get(ev.b, '')!s})  [{ev.detail}]"
            )
        return "\n".join(lines)
    shown = 0
    for cl in res.clustering.clusters:
        if len(cl.members) < 2 and not source:
            continue
        if source and all(m[0] != source for m in cl.members):
            continue
        token = res.assignment.token_of[cl.members[0]]
        lines.append(minter.algorithm(token))
        for m in sorted(cl.members):
            lines.append(f"    {m[0]}:{m[1]}  {titles.get(m, '')}")
        for ev in cl.evidence:
            lines.append(
                f"      {ev.kind} {ev.score:.3f} {ev.a[0]}:{ev.a[1]} ~ {ev.b[0]}:{ev.b[1]}"
                + (f" ({ev.detail})" if ev.detail else "")
            )
        shown += 1
    total = len(res.clustering.clusters)
    multi = sum(1 for c in res.clustering.clusters if len(c.members) > 1)
    lines.append(
        f"{shown} clusters shown; {total} algorithms, {multi} described by more than "
        f"one register, {len(res.clustering.uncertain)} borderline pairs "
        "(--uncertain)"
    )
    return "\n".join(lines)
