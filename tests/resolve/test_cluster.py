"""Record clustering: accuracy on the development scenarios, and the hard rules."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import pytest

from federator.resolve.candidates import Candidate, Clustering, RecordKey
from federator.resolve.cluster import THRESHOLD, cluster
from federator.resolve.similarity import (
    compare,
    fold,
    lars_in_url,
    norm_url,
    profile,
    replacement,
)

ORG = "https://identifier.overheid.nl/tooi/id/gemeente/gm0001"
OTHER_ORG = "https://identifier.overheid.nl/tooi/id/gemeente/gm0002"

MILIEU = (
    "Het gerichter inzetten van inspecteurs op het naleven van milieuwetten door "
    "ondernemingen. Het algoritme selecteert bedrijven met een verhoogd risico op "
    "overtredingen van de vergunning."
)
VUURWERK = (
    "Het gerichter inzetten van handhavers op het naleven van het vuurwerkverbod rond de "
    "jaarwisseling. Het algoritme voorspelt op welke plekken overlast door vuurwerk "
    "waarschijnlijk is."
)
WEESFIETSEN = (
    "Het gerichter inzetten van handhavers op het verwijderen van weesfietsen uit de "
    "openbare ruimte. Het algoritme herkent fietsen die langer dan vier weken op dezelfde "
    "plek staan."
)
TEMPLATE_GOAL = (
    "Toezicht en handhaving wil met beperkte capaciteit de meeste overlast voorkomen. Het "
    "algoritme geeft een advies, een handhaver beslist altijd zelf."
)


def cand(source: str, native_id: str, name: str, **kw: Any) -> Candidate:
    level = kw.pop("level", "national" if source == "national" else "municipal")
    fields: dict[str, Any] = {
        "source": source,
        "native_id": native_id,
        "level": level,
        "priority": 10 if level == "national" else 20,
        "org": ORG,
        "org_name": "Gemeente Een",
        "name": name,
    }
    if source == "national":
        fields["lars"] = native_id
    fields.update(kw)
    return Candidate(**fields)


def groups(result: Clustering) -> list[set[RecordKey]]:
    return [set(c.members) for c in result.clusters]


def together(result: Clustering, a: RecordKey, b: RecordKey) -> bool:
    return any(a in g and b in g for g in groups(result))


def check_invariants(candidates: Iterable[Candidate], result: Clustering) -> None:
    by_key = {c.key: c for c in candidates}
    seen = [key for cl in result.clusters for key in cl.members]
    assert sorted(seen) == sorted(by_key), "every candidate in exactly one cluster"
    for cl in result.clusters:
        sources = [by_key[k].source for k in cl.members]
        assert len(sources) == len(set(sources)), f"two records of one source: {cl.members}"


def pairs(clusters: Iterable[Iterable[RecordKey]]) -> set[tuple[RecordKey, RecordKey]]:
    return {pair for members in clusters for pair in combinations(sorted(members), 2)}


# -- accuracy on the development scenarios ----------------------------------------------------


def test_pairwise_accuracy_on_dev_scenario(scenario: Any, record_property: Any) -> None:
    """``scenario``: a ``conftest.Scenario`` (not imported: conftest modules are not packages)."""
    result = cluster(scenario.candidates)
    check_invariants(scenario.candidates, result)
    keys = {c.key for c in scenario.candidates}
    gold_groups: dict[str, list[RecordKey]] = defaultdict(list)
    for key, gold_cluster in scenario.gold.items():
        if key in keys:
            gold_groups[gold_cluster].append(key)
    gold = pairs(gold_groups.values())
    predicted = pairs(cl.members for cl in result.clusters)
    hits = len(gold & predicted)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    summary = (
        f"{scenario.name}: precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f} "
        f"({hits} of {len(predicted)} predicted pairs right, {len(gold)} gold pairs; "
        f"{len(result.uncertain)} uncertain)"
    )
    print(summary)
    record_property("precision", round(precision, 4))
    record_property("recall", round(recall, 4))
    record_property("f1", round(f1, 4))
    wrong = sorted(predicted - gold)[:5]
    missed = sorted(gold - predicted)[:5]
    assert precision >= 0.995 and f1 >= 0.99, f"{summary}; wrong {wrong}; missed {missed}"


def test_output_does_not_depend_on_input_order(scenario: Any) -> None:
    first = cluster(scenario.candidates)
    shuffled = list(scenario.candidates)
    random.Random(7).shuffle(shuffled)
    second = cluster(shuffled)
    assert first == second


# -- hard rules -------------------------------------------------------------------------------


def test_never_two_records_of_one_source_in_a_cluster() -> None:
    cands = [
        cand("national", "10000001", "Parkeerscan", description=MILIEU),
        cand("gemeente", "G-1", "Parkeerscan", description=MILIEU),
        cand("gemeente", "G-2", "Parkeerscan", description=MILIEU),
    ]
    result = cluster(cands, same=[(("gemeente", "G-1"), ("gemeente", "G-2"))])
    check_invariants(cands, result)
    assert not together(result, ("gemeente", "G-1"), ("gemeente", "G-2"))
    assert len(result.clusters) == 2
    # The pin that could not be applied is reported, not silently dropped.
    assert any(e.kind == "pinned" and "not applied" in e.detail for e in result.uncertain)


def test_never_across_organisations() -> None:
    text = "Het anonimiseren van documenten voor publicatie onder de Woo."
    cands = [
        cand("national", "10000001", "Anonimiseren", description=text, org=ORG),
        cand("national", "10000002", "Anonimiseren", description=text, org=OTHER_ORG),
        cand("gemeente", "G-1", "Anonimiseren", description=text, org=OTHER_ORG),
    ]
    result = cluster(cands)
    check_invariants(cands, result)
    assert together(result, ("national", "10000002"), ("gemeente", "G-1"))
    assert not together(result, ("national", "10000001"), ("gemeente", "G-1"))


def test_explicit_lars() -> None:
    cands = [
        cand("national", "12345678", "Risicomodel bijstand", description=MILIEU),
        cand("gemeente", "G-1", "Iets heel anders", lars="12345678", description=VUURWERK),
    ]
    result = cluster(cands)
    (joined,) = [c for c in result.clusters if len(c.members) == 2]
    assert [e.kind for e in joined.evidence] == ["lars"]


def test_explicit_source_id_ignores_case_and_spaces() -> None:
    cands = [
        cand("national", "12345678", "Risicomodel", source_id=" a-0004 ", description=MILIEU),
        cand("gemeente", "A-0004", "Geheel andere titel", description=VUURWERK),
        cand("gemeente", "A-0005", "Risicomodel", description=MILIEU),
    ]
    result = cluster(cands)
    assert together(result, ("national", "12345678"), ("gemeente", "A-0004"))
    cl = next(c for c in result.clusters if ("gemeente", "A-0004") in c.members)
    assert [e.kind for e in cl.evidence] == ["source_id"]


def test_explicit_url_of_national_record_matches_website() -> None:
    cands = [
        cand("national", "12345678", "Risicomodel", url="http://WWW.Gemeente.nl/reg/a-7/#top"),
        cand("gemeente", "A-7", "Andere titel", website="https://gemeente.nl/reg/a-7"),
    ]
    result = cluster(cands)
    cl = next(c for c in result.clusters if len(c.members) == 2)
    assert [e.kind for e in cl.evidence] == ["url"]


def test_explicit_link_to_national_register() -> None:
    cands = [
        cand("national", "12345678", "Risicomodel", description=MILIEU),
        cand("national", "87654321", "Parkeerdruk", description=VUURWERK),
        cand(
            "gemeente",
            "U-1",
            "Parkeerdruk",
            description=VUURWERK,
            url="https://algoritmes.overheid.nl/nl/algoritme/12345678/",
        ),
    ]
    result = cluster(cands)
    assert together(result, ("national", "12345678"), ("gemeente", "U-1"))
    assert not together(result, ("national", "87654321"), ("gemeente", "U-1"))


def test_explicit_evidence_into_another_organisation_is_only_reported() -> None:
    cands = [
        cand("national", "12345678", "Risicomodel", org=OTHER_ORG),
        cand("national", "11111111", "Iets anders"),
        cand("gemeente", "U-1", "X", url="https://algoritmes.overheid.nl/nl/algoritme/12345678"),
    ]
    result = cluster(cands)
    assert all(len(c.members) == 1 for c in result.clusters)
    assert any("different organisations" in e.detail for e in result.uncertain)


def test_similar_records_are_joined_with_readable_evidence() -> None:
    cands = [
        cand("national", "10000001", "Toezicht en Handhaving Milieu", description=MILIEU),
        cand("gemeente", "U-1", "Algoritme Toezicht en Handhavnig Milieu (pilot)", goal=MILIEU),
    ]
    result = cluster(cands)
    cl = next(c for c in result.clusters if len(c.members) == 2)
    (ev,) = cl.evidence
    assert ev.kind == "similarity" and THRESHOLD <= ev.score <= 1.0
    assert "title" in ev.detail and "text" in ev.detail


def test_pin_same_joins_dissimilar_records() -> None:
    cands = [
        cand("national", "10000001", "Risicomodel", description=MILIEU),
        cand("gemeente", "U-1", "Weesfietsen", description=WEESFIETSEN),
    ]
    a, b = ("gemeente", "U-1"), ("national", "10000001")
    assert not together(cluster(cands), a, b)
    result = cluster(cands, same=[(a, b)])
    cl = next(c for c in result.clusters if len(c.members) == 2)
    assert [e.kind for e in cl.evidence] == ["pinned"]


def test_pin_same_never_joins_two_organisations() -> None:
    cands = [
        cand("national", "10000001", "Risicomodel"),
        cand("gemeente", "U-1", "Risicomodel", org="https://example.org/id/organisation/twee"),
    ]
    a, b = ("gemeente", "U-1"), ("national", "10000001")
    result = cluster(cands, same=[(a, b)])
    assert not together(result, a, b)
    assert any("different organisations" in e.detail for e in result.uncertain)


def test_pin_different_holds_even_transitively() -> None:
    text = MILIEU + " " + TEMPLATE_GOAL
    n, u, g = ("national", "10000001"), ("utrecht", "U-1"), ("groningen", "G-1")
    cands = [
        cand("national", "10000001", "Milieuscan", description=text),
        cand("utrecht", "U-1", "Milieuscan", description=text),
        cand("groningen", "G-1", "Milieuscan", description=text),
    ]
    assert len(cluster(cands).clusters) == 1
    result = cluster(cands, different=[(u, g)])
    check_invariants(cands, result)
    assert not together(result, u, g)
    assert together(result, n, u) != together(result, n, g)  # n goes with exactly one
    result = cluster(cands, different=[(n, u)], same=[(n, u)])
    assert not together(result, n, u)


def test_family_member_goes_to_its_best_match() -> None:
    def national(lars: str, topic: str, text: str) -> Candidate:
        return cand(
            "national",
            lars,
            f"Toezicht en Handhaving {topic}",
            description=text,
            goal=TEMPLATE_GOAL,
        )

    cands = [
        national("10000001", "Milieu", MILIEU),
        national("10000002", "Vuurwerk", VUURWERK),
        national("10000003", "Weesfietsen", WEESFIETSEN),
        cand(
            "gemeente",
            "U-1",
            "Algoritme Toezicht en Handhaving Vuurwerk (pilot)",
            description=VUURWERK.split(". ")[0] + ".",
            goal=TEMPLATE_GOAL,
        ),
        cand(
            "gemeente",
            "U-2",
            "Toepassing Toezicht en Handhaving Weesfietsen (NL)",
            description=WEESFIETSEN,
            goal=TEMPLATE_GOAL,
        ),
        # A sibling whose own national record is missing stays alone.
        cand(
            "gemeente",
            "U-3",
            "Toezicht en Handhaving Corona",
            description="Het gerichter inzetten van handhavers op het naleven van de "
            "coronamaatregelen in winkelstraten.",
            goal=TEMPLATE_GOAL,
        ),
    ]
    result = cluster(cands)
    check_invariants(cands, result)
    assert together(result, ("gemeente", "U-1"), ("national", "10000002"))
    assert together(result, ("gemeente", "U-2"), ("national", "10000003"))
    assert [("gemeente", "U-3")] in [c.members for c in result.clusters]
    assert [("national", "10000001")] in [c.members for c in result.clusters]


def test_near_tie_is_listed_for_review() -> None:
    # Two copies in one register of the same national record; only the status tells them
    # apart. The better one wins, the runner-up is listed for an operator.
    text = MILIEU + " " + TEMPLATE_GOAL
    cands = [
        cand("national", "10000001", "Zivver", description=text, status="in-gebruik"),
        cand("gemeente", "G-1", "Zivver", description=text, status="in-gebruik"),
        cand("gemeente", "G-2", "Zivver", description=text, status="buiten-gebruik"),
    ]
    result = cluster(cands)
    assert together(result, ("gemeente", "G-1"), ("national", "10000001"))
    (review,) = result.uncertain
    assert review.a == ("gemeente", "G-2") and "winner" in review.detail


def test_singletons_and_empty_input() -> None:
    assert cluster([]).clusters == []
    result = cluster([cand("national", "10000001", "Alleen")])
    assert [c.members for c in result.clusters] == [[("national", "10000001")]]


# -- similarity helpers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://www.Example.nl/reg/a-1/", "https://example.nl/reg/a-1"),
        ("https://example.nl/reg/a-1#fragment", "example.nl/reg/a-1"),
    ],
)
def test_norm_url(a: str, b: str) -> None:
    assert norm_url(a) == norm_url(b)


def test_lars_in_url() -> None:
    assert lars_in_url("https://algoritmes.overheid.nl/nl/algoritme/17643694") == "17643694"
    assert lars_in_url("https://www.algoritmes.overheid.nl/en/algoritme/x-17643694/12345678/")
    assert lars_in_url("https://example.nl/algoritme/17643694") is None


def test_fold() -> None:
    assert fold("Scanauto’s  Parkeerhandhaving (NL)") == "scanautos parkeerhandhaving nl"
    assert fold("Coördinatie") == "coordinatie"


@pytest.mark.parametrize(
    ("a", "b", "is_replacement"),
    [
        ("Zivver", "Algoritme Zivver - gemeente", False),  # words added on one side
        ("Scanauto", "Scanuato", False),  # typo
        ("Lokaliseren van lantaarnpalen", "Lokaliseren va nlantaarnpalen", False),  # shifted space
        ("Maai algoritme", "Oogst algoritme", True),
        ("Toezicht en Handhaving Milieu", "Toezicht en Handhaving Vuurwerk", True),
        ("Profiel Herinschrijvingen A", "Profiel Herinschrijvingen B", True),
    ],
)
def test_replacement(a: str, b: str, is_replacement: bool) -> None:
    factor = replacement(fold(a).split(), fold(b).split())
    assert (factor < 0.5) == is_replacement, factor


def test_shared_template_text_does_not_outweigh_a_replaced_title() -> None:
    text = MILIEU + " " + TEMPLATE_GOAL
    a = profile(cand("national", "10000001", "Maai algoritme", description=text))
    b = profile(cand("gemeente", "U-1", "Oogst algoritme", description=text))
    assert compare(a, b).score < THRESHOLD
