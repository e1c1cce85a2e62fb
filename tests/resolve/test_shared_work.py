"""Work resolution does once and shares, and its quicker ways: each gives what the plain way
gives (the identifier matches found once for the aliases and the clusters, records sorted
once, shared items counted two ways, tokens minted without a UUID, the collector off)."""

from __future__ import annotations

import gc
import random
import uuid
from dataclasses import fields, replace
from typing import Any

import pytest

from federator.collector import paused as collector_paused
from federator.config import ResolveSettings
from federator.resolve import resolve
from federator.resolve import similarity as sim
from federator.resolve.candidates import Candidate, made
from federator.resolve.cluster import (
    _fields,
    cluster,
    cross_links,
    identifier_matches,
    unique_sorted,
)
from federator.resolve.identity import NAMESPACE, _uuid5_hex20, mint
from federator.resolve.pairs import _groups
from federator.resolve.similarity import Block, profile

TOOI = "https://identifier.overheid.nl/tooi/id/gemeente/gm"
MINTED = "https://example.org/id/organisation/"
NATIONAL_PAGE = "https://algoritmes.overheid.nl/nl/algoritme/{}"


def rec(source: str, native_id: str, org: str, **kw: Any) -> Candidate:
    level = "national" if source == "national" else "municipal"
    fields_: dict[str, Any] = {"level": level, "priority": 10, "org": org, "org_name": org}
    fields_.update(kw)
    return Candidate(source=source, native_id=native_id, name=f"Algoritme {native_id}", **fields_)


def tangle() -> list[Candidate]:
    """Records that identifiers tie every way: a lars several records share (one of them in a
    second organisation), links into the national register, national records naming a
    decentral page that many records link to, in three organisations (one minted)."""
    a, b, m = TOOI + "0001", TOOI + "0002", MINTED + "dienst"
    page = "https://www.gemeente.nl/algoritmes"  # an overview page many records name
    out = [
        rec("national", "10000001", a, lars="10000001", url="https://a.nl/x/1"),
        rec("national", "10000002", a, lars="10000002", url=page),
        rec("national", "10000003", b, lars="10000003", url=page),
        rec("national", "10000004", m, lars="10000004", url=page, source_id="D-4"),
        rec("gem-a", "A-1", a, website="a.nl/x/1/", lars=" 10000001 "),
        rec("gem-a", "A-2", a, website=page, url=NATIONAL_PAGE.format("10000002")),
        rec("gem-b", "B-3", b, website=page + "?x=1", url=NATIONAL_PAGE.format("10000004")),
        rec("dienst", "D-4", m, website=page, lars="10000003"),
        rec("dienst", "D-5", m, url=NATIONAL_PAGE.format("10000001"), lars="10000001"),
        rec("prov", "P-1", b, lars="10000001", website="https://a.nl/x/1"),
    ]
    out += [rec("gem-b", f"B-{n}", b, website=page) for n in range(10, 40)]
    return out


def scenario_and_tangle(scenario: Any) -> list[Candidate]:
    return list(scenario.candidates) + tangle()


def test_matches_found_once_serve_the_aliases_and_every_clustering(scenario: Any) -> None:
    """``resolve`` finds the identifier matches once, on every record, and clusters with them
    after organisations were re-blocked (aliases) and on a part (a scoped run): each time
    what finding them anew gives, evidence and order of elsewhere-evidence too."""
    everything = scenario_and_tangle(scenario)
    unique = unique_sorted(everything)
    matches = identifier_matches(unique)
    assert matches, "the records must hold matches for this to say anything"
    assert cross_links(unique, matches) == cross_links(everything)
    orgs = sorted({c.org for c in unique})
    aliased = {o: orgs[0] for o in orgs[1::3]}  # some organisations known by another
    reblocked = [replace(c, org=aliased.get(c.org, c.org)) for c in unique]
    part = [c for c in reblocked if c.org in set(orgs[::2])]
    for cands in (unique, reblocked, part, [c for c in unique if c.source != "national"]):
        assert cluster(cands, matches=matches) == cluster(cands)
        assert cross_links(cands, matches) == cross_links(cands)


def test_the_matches_are_the_explicit_evidence_of_the_tangle() -> None:
    cands = unique_sorted(tangle())
    found = {(a, b, kind) for a, b, kind, _ in identifier_matches(cands)}
    assert (("gem-a", "A-1"), ("national", "10000001"), "lars") in found
    assert (("gem-a", "A-2"), ("national", "10000002"), "url") in found
    assert (("national", "10000001"), ("prov", "P-1"), "url") in found
    # A national record naming the overview page matches every record linking it; records
    # of one source never match.
    assert sum(1 for a, b, kind in found if ("national", "10000002") in (a, b)) == 32
    assert not [m for m in found if m[0][0] == m[1][0]]
    links = cross_links(cands)
    assert (MINTED + "dienst", TOOI + "0001", "same lars 10000001") in links
    # Of a pair's matches into another organisation, the first found is reported.
    national, prov = ("national", "10000001"), ("prov", "P-1")
    assert [
        (a, b, k) for a, b, k, _ in identifier_matches(cands) if (a, b) == (national, prov)
    ] == [
        (national, prov, "lars"),
        (national, prov, "url"),
    ]
    reported = [e for e in cluster(cands).uncertain if (e.a, e.b) == (national, prov)]
    assert [(e.kind, e.detail.split(";")[0]) for e in reported] == [("lars", "same lars 10000001")]
    assert (TOOI + "0001", TOOI + "0002", "same lars 10000001") in links


def test_resolve_gives_what_clustering_on_its_own_gives(scenario: Any) -> None:
    """With one record a key (matches found once) and with a key twice (each step finds its
    own, as before): the clusters are those ``cluster`` makes of the records."""
    settings = ResolveSettings()
    records = scenario_and_tangle(scenario)
    twice = records + [replace(records[3], name="Another copy"), replace(records[-1], lars=None)]
    for cands in (records, twice):
        shuffled = list(cands)
        random.Random(3).shuffle(shuffled)
        got = resolve(shuffled, settings, {}, {})
        assert got.clustering == cluster(cands)
        before = {c.key: "earlier" for c in cands}  # so only the dirty organisation is redone
        scoped = resolve(shuffled, settings, before, {}, dirty_orgs={TOOI + "0002"})
        assert scoped.clustering == cluster([c for c in cands if c.org == TOOI + "0002"])


def test_unique_sorted_keeps_the_first_in_field_order_of_each_key(scenario: Any) -> None:
    cands = scenario_and_tangle(scenario)
    copies = [replace(c, name=c.name + " (EN)") for c in cands[::7]]
    for given in (cands, cands + copies, copies + cands):
        shuffled = list(given)
        random.Random(5).shuffle(shuffled)
        expected: dict[Any, Candidate] = {}
        for c in given:
            if c.key not in expected or _fields(c) < _fields(expected[c.key]):
                expected[c.key] = c
        want = [expected[k] for k in sorted(expected)]
        got = unique_sorted(shuffled)
        assert got == want and all(x is y for x, y in zip(got, want, strict=True))
        assert unique_sorted(got) == want


def test_a_candidate_made_quickly_is_the_candidate_its_class_makes() -> None:
    values: dict[str, Any] = {f.name: f"v-{f.name}" for f in fields(Candidate)}
    values.update(priority=3, many=None)
    quick, plain = made(**values), Candidate(**values)
    assert quick == plain and vars(quick) == vars(plain) and hash(quick) == hash(plain)
    assert list(vars(quick)) == list(vars(plain))  # the fields in their order
    assert quick.key == plain.key == ("v-source", "v-native_id")


@pytest.mark.parametrize("few", [0, 1, 2, 3, 1000])
def test_shared_items_count_alike_by_mask_and_by_holder(
    scenario: Any, few: int, monkeypatch: Any
) -> None:
    """A block counts the items two records share from bit masks (items many records hold)
    and from the items' holders (the others): whatever goes which way, the counts are the
    plain intersections and the pairs found the same."""
    by_org: dict[str, list[Candidate]] = {}
    for c in unique_sorted(scenario.candidates):
        by_org.setdefault(c.org, []).append(c)
    blocks = [b for b in by_org.values() if len({c.source for c in b}) > 1]
    assert blocks
    found = []
    for records in blocks:
        groups = _groups(records)
        profiles = [profile(c) for c in records]
        monkeypatch.setattr(sim, "FEW", few)
        block = Block(profiles, groups)
        for kind, shared in zip(
            ("words", "sentences", "shingles", "law"), block._shared, strict=True
        ):
            sets = [getattr(p, kind) for p in profiles]
            left, right = groups[0], [j for g in groups[1:] for j in g]
            position: dict[int, list[int]] = {}
            for p, j in enumerate(right):
                position.setdefault(j, []).append(p)
            masks = [shared.masks[j] for j in right]
            for i in left:
                assert shared.counts(i, masks, position) == [len(sets[i] & sets[j]) for j in right]
        found.append(
            [
                (x, y, f)
                for g, left in enumerate(groups)
                for right in groups[g + 1 :]
                for x, y, f in block.matches(left, right, 0.2)
            ]
        )
    monkeypatch.setattr(sim, "FEW", 16)
    again = []
    for records in blocks:
        groups = _groups(records)
        block = Block([profile(c) for c in records], groups)
        again.append(
            [
                (x, y, f)
                for g, left in enumerate(groups)
                for right in groups[g + 1 :]
                for x, y, f in block.matches(left, right, 0.2)
            ]
        )
    assert found == again


def test_tokens_are_the_uuid5_they_were() -> None:
    names = ["national\x1f10000001", "gem\x1fé-ü€", "", "x" * 300, "a\x1fb\x1f2"]
    rng = random.Random(11)
    names += [
        "".join(rng.choice("ab€\x1f09-/é") for _ in range(rng.randint(0, 30))) for _ in range(500)
    ]
    for name in names:
        assert _uuid5_hex20(name) == uuid.uuid5(NAMESPACE, name).hex[:20]
    key = ("national", "10000001")
    base = uuid.uuid5(NAMESPACE, "national\x1f10000001").hex[:20]
    second = uuid.uuid5(NAMESPACE, "national\x1f10000001\x1f2").hex[:20]
    assert mint(key, set()) == base and mint(key, {base}) == second


def test_resolution_leaves_nothing_for_the_garbage_collector(scenario: Any) -> None:
    """The collector is off while resolution runs (``collector_paused``): nothing it makes
    may be left that only the collector would free."""
    records = scenario_and_tangle(scenario)
    settings = ResolveSettings()
    gc.collect()
    gc.disable()
    try:
        resolve(records, settings, {}, {})
        resolve(records, settings, {}, {}, dirty_orgs={TOOI + "0001"})
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_paused_collector_is_as_it_was_after_the_pause() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        with pytest.raises(ValueError), collector_paused():
            raise ValueError
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError
    assert gc.isenabled()
