"""Rewordings of one registration are one algorithm; siblings on one template stay apart.

The issue's cases: a title reworded inside a compound ('Scanauto's parkeercontrole' /
'... parkeerhandhaving'), a typo across a word boundary ('Attenderen UHT' / 'Attendere nUHT'),
a prefix or suffix, a dropped or generic word; and an organisation's family of titles on one
template text, whose members must not be joined when the twin of one is missing.
"""

from __future__ import annotations

from typing import Any

import pytest

from federator.resolve.candidates import Candidate
from federator.resolve.cluster import cluster

ORG = "https://identifier.overheid.nl/tooi/id/oorg/oorg12368"
SCANAUTO = (
    "De scanauto rijdt door de stad en leest kentekens van geparkeerde auto's. Het systeem "
    "controleert of voor het kenteken parkeergeld is betaald of een vergunning geldt. Bij "
    "twijfel beoordeelt een handhaver de situatie ter plekke voordat een naheffing volgt."
)
UHT = (
    "Ouders die gedupeerd zijn door de toeslagenaffaire krijgen een brief over hun rechten. "
    "Het algoritme selecteert de ouders die nog geen aanvraag hebben ingediend bij de "
    "Uitvoeringsorganisatie Herstel Toeslagen. Een medewerker neemt daarna contact op."
)
TEMPLATE = (
    "De Belastingdienst controleert inhoudingsplichtigen op een juiste en volledige aangifte "
    "en betaling van de loonheffingen. Loonheffingen bestaan uit loonbelasting, premie "
    "volksverzekeringen, werknemersverzekeringen en de inkomensafhankelijke bijdrage "
    "Zorgverzekeringswet."
)
SPECIFIC = {
    "Meerverzuim": "Het algoritme zoekt werkgevers die hun aangifte herhaaldelijk te laat doen "
    "en stelt een lijst op voor de behandelaar van de verzuimboetes.",
    "Overschrijvers": "Het algoritme vergelijkt de betaalde bedragen met de aangegeven "
    "bedragen en signaleert werkgevers die structureel meer betalen dan zij aangeven.",
    "Nihilaangevers": "Het algoritme selecteert werkgevers die maandenlang een aangifte van "
    "nul euro doen terwijl zij wel personeel in dienst hebben volgens de polisadministratie.",
    "Afdrachtsverschillen": "Het algoritme berekent het verschil tussen de afdracht en de "
    "som van de loonstroken en legt grote verschillen voor aan een medewerker.",
}


def cand(source: str, native: str, name: str, text: str, **kw: Any) -> Candidate:
    national = source == "national"
    return Candidate(
        source=source,
        native_id=native,
        level="national",
        priority=10 if national else 20,
        org=ORG,
        org_name="Belastingdienst",
        name=name,
        description=text,
        lars=native if national else None,
        many=national,
        **kw,
    )


def family(extra: list[Candidate]) -> list[Candidate]:
    """The national register's 'Algoritme ...' family on the shared template text, plus
    some other registrations of the organisation."""
    out = [
        cand("national", f"1000000{k}", f"Algoritme {topic}", f"{TEMPLATE} {text}")
        for k, (topic, text) in enumerate(SPECIFIC.items())
    ]
    out += [
        cand("national", "20000001", "Scanauto's parkeercontrole", SCANAUTO),
        cand("national", "20000002", "Attenderen UHT", UHT),
    ]
    return out + extra


@pytest.mark.parametrize(
    ("national", "title", "text"),
    [
        ("20000001", "Scanauto's parkeerhandhaving", SCANAUTO),  # a compound reworded
        ("20000002", "Attendere nUHT", UHT),  # a space moved across a word boundary
        ("20000002", "Attenderen UHT (pilot)", UHT[:120]),  # a suffix; text cut short
        ("10000000", "Model Meerverzuim", f"{TEMPLATE} {SPECIFIC['Meerverzuim']}"),  # generic
        ("10000001", "Overschrijvers", f"{SPECIFIC['Overschrijvers']} {TEMPLATE}"),  # reordered
    ],
)
def test_a_rewording_is_the_same_algorithm(national: str, title: str, text: str) -> None:
    cands = family([cand("own", "OWN-1", title, text)])
    result = cluster(cands)
    joined = next(c.members for c in result.clusters if ("own", "OWN-1") in c.members)
    assert ("national", national) in joined, result.uncertain


def test_a_sibling_without_its_twin_stays_alone() -> None:
    """The own register lists 'Algoritme Polisverschillen' on the family's template; the
    national register lacks it. It must not join a sibling, however alike the text."""
    text = (
        f"{TEMPLATE} Het algoritme vergelijkt de polisadministratie met de aangifte en "
        "signaleert werknemers die in de ene wel en in de andere niet voorkomen."
    )
    cands = family([cand("own", "OWN-1", "Algoritme Polisverschillen", text)])
    result = cluster(cands)
    assert [("own", "OWN-1")] in [c.members for c in result.clusters]
