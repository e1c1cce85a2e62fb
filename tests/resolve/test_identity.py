"""Stable canonical IRIs: kept across runs and restarts, merges keep the oldest, splits the
larger part; and end to end when a source joins and leaves."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import SHARED, serve_scenario, write_config

from federator import config
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator
from federator.query import run_query
from federator.resolve.identity import assign, mint
from federator.sim import Registers, RegisterServer

A, B, C, D = ("nat", "1"), ("gem", "x"), ("prov", "p"), ("gem", "y")


def test_a_rerun_keeps_every_token() -> None:
    first = assign([[A, B], [C]], {}, {})
    canon = {t: {"created": "2026-01-01"} for t in first.created}
    again = assign([[A, B], [C]], first.token_of, canon)
    assert again.token_of == first.token_of and not again.created and not again.replaced


def test_merge_keeps_the_oldest_and_marks_the_other_replaced() -> None:
    previous = {A: "old", B: "new"}
    canon = {"old": {"created": "2026-01-01"}, "new": {"created": "2026-05-01"}}
    result = assign([[A, B]], previous, canon)
    assert result.token_of == {A: "old", B: "old"}
    assert result.replaced == {"new": "old"}


def test_split_leaves_the_token_with_the_larger_part() -> None:
    previous = {A: "t", B: "t", C: "t"}
    canon = {"t": {"created": "2026-01-01"}}
    result = assign([[A, B], [C]], previous, canon)
    assert result.token_of[A] == result.token_of[B] == "t"
    assert result.token_of[C] != "t" and result.token_of[C] in result.created


def test_a_token_nobody_holds_is_retired_and_comes_back_with_its_record() -> None:
    canon = {"t": {"created": "2026-01-01"}, "u": {"created": "2026-01-01"}}
    result = assign([[A]], {A: "t", D: "u"}, canon)
    assert result.retired == ["u"]
    retired = {**canon, "u": {"retired_at": "x", "created": "y"}}
    back = assign([[A], [D]], {A: "t"}, retired, withdrawn={D: "u"})
    assert back.token_of[D] == "u" and not back.created and not back.retired


def test_a_returning_record_takes_no_token_another_record_holds() -> None:
    # B kept the token after A was withdrawn; A comes back as an algorithm of its own.
    canon = {"t": {"created": "2026-01-01"}}
    result = assign([[A], [B]], {B: "t"}, canon, withdrawn={A: "t"})
    assert result.token_of[B] == "t"
    assert result.token_of[A] != "t" and result.token_of[A] in result.created


def test_a_returning_record_takes_no_replaced_token_and_one_cluster_takes_a_token() -> None:
    canon = {
        "t": {"created": "2026-01-01", "retired_at": "x", "replaced_by": "s"},
        "u": {"created": "2026-01-01", "retired_at": "x"},
    }
    result = assign([[A], [C], [D]], {}, canon, withdrawn={A: "t", C: "u", D: "u"})
    assert result.token_of[A] != "t"  # merged away: no redirect is followed
    assert result.token_of[C] == "u" and result.token_of[D] not in ("u", "t")


def test_a_record_returning_into_a_cluster_with_an_iri_redirects_its_old_one() -> None:
    # A was withdrawn (its "t" retired); it comes back as the same algorithm as B's "u".
    canon = {"t": {"created": "2026-01-01", "retired_at": "x"}, "u": {"created": "2026-03-01"}}
    result = assign([[A, B]], {B: "u"}, canon, withdrawn={A: "t"})
    assert result.token_of == {A: "u", B: "u"}  # the IRI in use stays
    assert result.replaced == {"t": "u"} and not result.retired  # 301 for "t", not 410


def test_a_retired_iri_comes_back_to_its_own_record_before_it_redirects() -> None:
    # A and D were one algorithm ("t"); both come back, A as the same algorithm as B ("u").
    canon = {"t": {"created": "2026-01-01", "retired_at": "x"}, "u": {"created": "2026-03-01"}}
    for clusters in ([[A, B], [D]], [[D], [A, B]]):  # whichever cluster comes first
        result = assign(clusters, {B: "u"}, canon, withdrawn={A: "t", D: "t"})
        assert result.token_of == {A: "u", B: "u", D: "t"} and not result.replaced


def test_two_records_returning_together_keep_the_older_iri_and_redirect_the_other() -> None:
    canon = {
        "t": {"created": "2026-01-01", "retired_at": "x"},
        "u": {"created": "2026-02-01", "retired_at": "x"},
    }
    result = assign([[A, C]], {}, canon, withdrawn={A: "u", C: "t"})
    assert result.token_of == {A: "t", C: "t"} and result.replaced == {"u": "t"}
    assert not result.created


def test_kept_algorithms_keep_their_tokens_and_only_the_others_are_assigned() -> None:
    # A scoped run: C's organisation did not change, so C is kept, not clustered again.
    previous = {A: "a", B: "b", C: "c"}
    canon = {t: {"created": "2026-01-01"} for t in ("a", "b", "c", "gone")}
    result = assign([[A, B]], previous, canon, kept={"c": [C]})
    assert result.token_of == {A: "a", B: "a", C: "c"}
    assert result.replaced == {"b": "a"} and result.retired == ["gone"]
    # a token a kept algorithm holds is never taken by a cluster, even one claiming it
    result = assign([[A]], {A: "c", C: "c"}, canon, kept={"c": [C]})
    assert result.token_of[C] == "c" and result.token_of[A] not in canon


def test_minted_tokens_are_unique_even_when_a_key_was_used_before() -> None:
    first = mint(A, set())
    assert mint(A, {first}) != first and len(first) == 20


def algorithms(fed: Federator) -> dict[tuple[str, str], str]:
    return {
        (s["source"].value, s["id"].value): s["algorithm"].value
        for s in run_query(fed.store.ox, CONTRACT_QUERY)
    }


def test_iris_survive_restarts_and_a_source_joining_and_leaving(tmp_path: Path) -> None:
    folder = SHARED / "federation-dev"
    with RegisterServer(Registers()) as server:
        sources = serve_scenario(server, folder)
        national_only = write_config(tmp_path / "a.yaml", sources[:1])
        both = write_config(tmp_path / "b.yaml", sources[:2])  # + gemeente-utrecht
        fed = Federator(config.load(national_only))
        fed.run_once()
        first = algorithms(fed)
        fed.close()
        fed = Federator(config.load(national_only))  # a restart
        fed.run_once()
        assert algorithms(fed) == first
        fed.close()
        fed = Federator(config.load(both))
        fed.run_once()
        joined = algorithms(fed)
        # Every national registration keeps its IRI: Utrecht's records join the older ones.
        assert {k: v for k, v in joined.items() if k[0] == "national"} == first
        shared = {v for k, v in joined.items() if k[0] == "gemeente-utrecht"} & set(first.values())
        gold = [line.split(",") for line in (folder / "gold.csv").read_text().splitlines()[1:]]
        utrecht_pairs = {c for s, _, c in gold if s == "national" and c.startswith("gemeente-u")}
        assert len(shared) == len(utrecht_pairs)
        fed.close()
        fed = Federator(config.load(national_only))  # Utrecht's register leaves again
        fed.run_once()
        assert algorithms(fed) == first
        fed.close()


def test_replaced_iri_is_published_with_its_successor(tmp_path: Path) -> None:
    """A pin that merges two published algorithms keeps the older IRI; the other is replaced."""
    records = [{"name": "Parkeerscan", "source_id": "P-1"}]
    other = [{"name": "Wmo-toewijzing", "source_id": "Q-1"}]
    with RegisterServer(Registers()) as server:
        server.registers.put("p.json", json.dumps(records).encode())
        server.registers.put("q.json", json.dumps(other).encode())
        sources = [
            {
                "id": "p",
                "title": "P",
                "level": "municipal",
                "organisation": "gm0344",
                "format": "algoritmeregister-json",
                "url": server.file_url("p.json"),
            },
            {
                "id": "q",
                "title": "Q",
                "level": "municipal",
                "organisation": "gm0344",
                "format": "algoritmeregister-json",
                "url": server.file_url("q.json"),
            },
        ]
        fed = Federator(config.load(write_config(tmp_path / "f.yaml", sources)))
        fed.run_once()
        before = algorithms(fed)
        fed.close()
        pinned = write_config(
            tmp_path / "f.yaml", sources, resolve={"same": [[["p", "P-1"], ["q", "Q-1"]]]}
        )
        fed = Federator(config.load(pinned))
        fed.run_once()
        after = algorithms(fed)
        assert after[("p", "P-1")] == after[("q", "Q-1")]
        survivor = after[("p", "P-1")]
        loser = next(v for v in before.values() if v != survivor)
        assert survivor in before.values()
        replaced = list(
            run_query(
                fed.store.ox,
                f"""
            SELECT ?new WHERE {{ <{loser}> <http://purl.org/dc/terms/isReplacedBy> ?new }}""",
            )
        )
        assert [r["new"].value for r in replaced] == [survivor]
