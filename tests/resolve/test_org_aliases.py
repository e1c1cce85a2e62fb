"""Organisation reconciliation on its own: which minted IRIs become another's."""

from __future__ import annotations

from federator.resolve.organisations import Organisations, Register, explicit_aliases, reconcile

TOOI = "https://identifier.overheid.nl/tooi/id/"
MINTED = "https://example.org/id/organisation/"
NATIONAL = Register("national", MINTED + "algoritmeregister", "Algoritmeregister", own=False)


def test_a_name_with_a_code_in_any_record_gives_the_minted_iri_its_tooi_iri() -> None:
    found = reconcile(
        [NATIONAL, Register("douane", MINTED + "douane", "Douane", own=True)],
        [
            ("national", TOOI + "oorg/oorg99999", "Douane"),  # a national record with org_id
            ("douane", MINTED + "douane", "Douane"),
        ],
    )
    assert found.of(MINTED + "douane") == TOOI + "oorg/oorg99999"
    assert "Douane" in found.labels[TOOI + "oorg/oorg99999"]


def test_an_own_register_configured_by_code_ties_the_name_its_records_say() -> None:
    found = reconcile(
        [NATIONAL, Register("douane", TOOI + "oorg/oorg99999", "oorg99999", own=True)],
        [
            ("douane", TOOI + "oorg/oorg99999", "Douane"),
            ("national", MINTED + "douane", "Douane"),  # no org_id in the national records
        ],
    )
    assert found.of(MINTED + "douane") == TOOI + "oorg/oorg99999"


def test_a_shared_service_named_in_a_municipal_register_stays_its_own() -> None:
    """Rotterdam's register lists a regional body's algorithm under that body's name: the
    name is not Rotterdam's (the list names Rotterdam), so the body's minted IRI stays."""
    rotterdam = TOOI + "gemeente/gm0599"
    found = reconcile(
        [NATIONAL, Register("rotterdam", rotterdam, "Gemeente Rotterdam", own=True)],
        [
            ("rotterdam", rotterdam, "Gemeente Rotterdam"),
            ("rotterdam", rotterdam, "Belastingsamenwerking West-Brabant"),
            (
                "national",
                MINTED + "belastingsamenwerking-west-brabant",
                "Belastingsamenwerking West-Brabant",
            ),
        ],
    )
    assert not found.aliases


def test_conflicting_codes_reconcile_nothing_and_known_aliases_stay() -> None:
    labels = [
        ("a", TOOI + "oorg/oorg1", "Dienst X"),
        ("b", TOOI + "oorg/oorg2", "Dienst X"),
        ("c", MINTED + "dienst-x", "Dienst X"),
    ]
    assert not reconcile([], labels).aliases
    known = {MINTED + "dienst-x": (TOOI + "oorg/oorg1", "earlier")}
    found = reconcile([], labels, known)
    assert found.of(MINTED + "dienst-x") == TOOI + "oorg/oorg1" and not found.new


def test_explicit_evidence_ties_a_minted_organisation_to_the_other_side() -> None:
    found = Organisations()
    explicit_aliases(found, [(MINTED + "douane-nederland", TOOI + "oorg/oorg9", "same lars 1")])
    assert found.of(MINTED + "douane-nederland") == TOOI + "oorg/oorg9"
    # Two TOOI IRIs are never reconciled; evidence pointing two ways proves nothing.
    found = Organisations()
    explicit_aliases(found, [(TOOI + "gemeente/gm0599", TOOI + "gemeente/gm0363", "lars")])
    explicit_aliases(
        found, [(MINTED + "x", TOOI + "oorg/oorg1", "a"), (MINTED + "x", TOOI + "oorg/oorg2", "b")]
    )
    assert not found.aliases
    # Both minted: the later IRI becomes the earlier's, once.
    explicit_aliases(found, [(MINTED + "douane-nederland", MINTED + "douane", "url")])
    assert found.of(MINTED + "douane-nederland") == MINTED + "douane"
    assert found.of(MINTED + "douane") == MINTED + "douane"


def test_scoped_runs_reconcile_only_what_they_see() -> None:
    found = Organisations()
    explicit_aliases(found, [(MINTED + "x", TOOI + "oorg/oorg1", "a")], allowed={MINTED + "x"})
    assert not found.aliases
