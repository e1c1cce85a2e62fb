"""Stable canonical IRIs for clusters, kept in state so they survive re-runs and restarts.

Rules: an IRI, once minted, stays with its algorithm. When clusters merge, the oldest IRI
survives and the others are marked replaced (``dcterms:isReplacedBy``, HTTP 301). When a
cluster splits, the larger part keeps the IRI and the rest gets a new one. A withdrawn
registration that comes back gets its old IRI again while that IRI is retired (no current
record holds it, none replaced it). When no record takes its old IRI back (it came back as the
same algorithm as a record with an IRI, or with another returning record whose older IRI came
back), the old one is marked replaced by its cluster's (301, not 410). Tokens are UUIDv5
of the first member's key (so a rebuilt state mints the same IRIs), made unique when taken.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from federator.resolve.candidates import RecordKey
from federator.state import now

NAMESPACE = uuid.UUID("5b0e1c1e-6f1a-4c38-9a7e-2f3d8c1a9b40")


@dataclass
class Assignment:
    token_of: dict[RecordKey, str]  # record -> canonical token
    created: dict[str, str] = field(default_factory=dict)  # new token -> created time
    replaced: dict[str, str] = field(default_factory=dict)  # old token -> surviving token
    retired: list[str] = field(default_factory=list)  # tokens no record points at any more


def mint(key: RecordKey, taken: set[str] | dict[str, object]) -> str:
    token, n = _uuid5_hex20(f"{key[0]}\x1f{key[1]}"), 1
    while token in taken:
        n += 1
        token = _uuid5_hex20(f"{key[0]}\x1f{key[1]}\x1f{n}")
    return token


_NAMESPACE_BYTES = NAMESPACE.bytes


def _uuid5_hex20(name: str) -> str:
    """``uuid.uuid5(NAMESPACE, name).hex[:20]``, without making the UUID: the name's SHA-1
    after the namespace, its version (5) and variant (RFC 4122) bits set."""
    head = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:10])
    head[6] = (head[6] & 0x0F) | 0x50
    head[8] = (head[8] & 0x3F) | 0x80
    return head.hex()


def assign(
    clusters: Sequence[Sequence[RecordKey]],
    previous: dict[RecordKey, str],
    canonicals: dict[str, dict[str, object]],
    withdrawn: dict[RecordKey, str] | None = None,
    kept: dict[str, list[RecordKey]] | None = None,
) -> Assignment:
    """Give every cluster a token, keeping earlier tokens wherever the rules allow.
    ``withdrawn``: the tokens withdrawn records held, for those that come back. ``kept``:
    tokens that stay with these records whatever the clusters claim (a scoped run's
    algorithms outside its organisations; ``resolve``)."""
    kept = kept or {}
    result = Assignment(token_of={})
    # Which clusters claim each existing token, and with how many members.
    claims: dict[str, list[tuple[int, int]]] = {}
    for i, members in enumerate(clusters if previous else ()):
        counts: dict[str, int] = {}
        for key in members:
            tok = previous.get(key)
            if tok and tok not in kept and not canonicals.get(tok, {}).get("replaced_by"):
                counts[tok] = counts.get(tok, 0) + 1
        for tok, n in counts.items():
            claims.setdefault(tok, []).append((n, i))
    # A token stays with the cluster holding most of its records (ties: the lower index,
    # which is deterministic because clusters come sorted).
    held: dict[int, list[str]] = {}
    for tok, cl in claims.items():
        held.setdefault(max(cl, key=lambda c: (c[0], -c[1]))[1], []).append(tok)
    taken: set[str] = set(canonicals)
    now_ = now()

    def oldest_first(tok: str) -> tuple[str, str]:
        return str(canonicals.get(tok, {}).get("created") or ""), tok

    tokens: list[str] = []
    withdrawn = withdrawn or {}
    for i, members in enumerate(clusters):
        mine = sorted(held[i], key=oldest_first) if i in held else None
        if mine:
            token = mine[0]  # the oldest survives a merge
            for other in mine[1:]:
                result.replaced[other] = token
        elif withdrawn and (back := _retired_tokens(members, withdrawn, canonicals, claims)):
            token = min(back, key=oldest_first)
            claims[token] = [(0, i)]  # no later cluster takes it too
        else:
            token = mint(min(members), taken)
            taken.add(token)
            result.created[token] = now_
        tokens.append(token)
        for key in members:
            result.token_of[key] = token
    # Then, once every cluster that could take a retired IRI back has: a returning record's
    # old IRI that no cluster took back leads to the one its record came back to.
    back_in = (i for i, members in enumerate(clusters) if not withdrawn.keys().isdisjoint(members))
    for i in back_in if withdrawn else ():
        for old in _retired_tokens(clusters[i], withdrawn, canonicals, claims):
            claims[old] = [(0, i)]
            result.replaced[old] = tokens[i]
    for tok, keys in kept.items():
        for key in keys:
            result.token_of[key] = tok
    live = set(result.token_of.values()) | set(result.replaced)
    result.retired = sorted(
        tok
        for tok, row in canonicals.items()
        if tok not in live and not row.get("replaced_by") and not row.get("retired_at")
    )
    return result


def _retired_tokens(
    members: Sequence[RecordKey],
    withdrawn: dict[RecordKey, str],
    canonicals: dict[str, dict[str, object]],
    claims: dict[str, list[tuple[int, int]]],
) -> set[str]:
    """The retired tokens returning members held, that no cluster claims."""
    return {
        tok
        for key in members
        if (tok := withdrawn.get(key))
        and tok not in claims
        and canonicals.get(tok, {}).get("retired_at")
        and not canonicals.get(tok, {}).get("replaced_by")
    }
