"""Which registrations a source's record work maps again (``mapvalidate.run``): those whose
content digest is not the one in state; with ``same_input``, every registration in state is
taken as unchanged without working its digest out, and the rest are mapped as always."""

from __future__ import annotations

import json

import pytest
from helpers import DATA

from federator import mapvalidate, parallel
from federator.config import SourceConfig
from federator.harvest import Harvested
from federator.map import spec
from federator.vocab import Minter

SOURCE = SourceConfig(
    id="g",
    title="G",
    level="municipal",
    format="algoritmeregister-json",
    url="g.json",
    organisation="gm0363",
)


def records() -> list[dict[str, object]]:
    body = json.loads((DATA / "records" / "standard-1.0-full.json").read_text("utf-8"))
    found = body if isinstance(body, list) else body["algoritme_versions"]
    rows = [dict(r) for r in found]
    nameless = {**rows[0], "name": "", "source_id": "nameless-1", "lars": ""}
    return [*rows, nameless]  # the last is rejected (missing_name)


def work(digests: dict[str, str], same_input: bool = False) -> mapvalidate.Batch:
    mapping = spec.load(spec.builtin_path(SOURCE.format))
    harvested = Harvested(SOURCE.id, [], records=records())
    minter = Minter("https://example.org/")
    return mapvalidate.run(SOURCE, harvested, mapping, minter, digests, same_input=same_input)


def test_same_input_reuses_what_state_has_and_maps_the_rest() -> None:
    first = work({})
    assert first.bodies and first.rejected == 1 and not first.reused
    digests = {b["native_id"]: b["digest"] for b in first.bodies}
    by_digest = work(digests)
    trusted = work(digests, same_input=True)
    for batch in (by_digest, trusted):
        assert sorted(batch.reused) == sorted(digests)
        assert batch.bodies == [] and batch.rejected == 1  # the rejected one, again
        assert [i["code"] for i in batch.issues if i["severity"] == "error"] == [
            i["code"] for i in first.issues if i["severity"] == "error"
        ]
    # A registration whose digest in state differs is mapped again when the digests are
    # worked out; with same_input the caller vouches that none differs.
    changed = dict(digests)
    one = next(iter(changed))
    changed[one] = "0" * 64
    assert [b["native_id"] for b in work(changed).bodies] == [one]
    assert work(changed, same_input=True).bodies == []


@pytest.mark.parametrize(
    "copy_at", [None, 11, 12], ids=["fed", "copy-in-a-later-part", "copy-in-the-rest"]
)
def test_records_fed_to_workers_as_paged_map_as_a_whole_harvest(
    monkeypatch: pytest.MonkeyPatch, copy_at: int | None
) -> None:
    """A harvest fed to the workers page by page (``Feed``) gives the records, verdicts and
    places a whole harvest gives; a registration met again in a later part stops the feed,
    and the harvest is mapped whole."""
    if parallel.WORKERS < 2:
        pytest.skip("one core: the workers are never started")
    monkeypatch.setattr(mapvalidate, "PART", 3)
    first, nameless = records()
    paged = [
        {**first, "lars": f"{first['lars']}{i}", "source_id": f"g-{i}", "name": f"Algoritme {i}"}
        for i in range(10)
    ]
    paged.insert(4, nameless)
    if copy_at == 12:  # one registration more: the copy comes after the last full part
        paged.append({**paged[0], "lars": f"{first['lars']}10", "source_id": "g-10"})
    if copy_at is not None:
        paged.append({**paged[1], "name": "Algorithm 1"})  # its copy, pages later
        assert paged.index(paged[-1]) == copy_at
    mapping = spec.load(spec.builtin_path(SOURCE.format))
    minter = Minter("https://example.org/")
    whole = mapvalidate.run(
        SOURCE, Harvested(SOURCE.id, [], records=list(paged)), mapping, minter, {}
    )
    parallel.warm("federator.mapvalidate")
    try:
        with mapvalidate.Feed(SOURCE, mapping, minter) as feed:
            read: list[dict[str, object]] = []
            for record in paged:  # a page a record
                read.append(record)
                feed.take(read)
            sent_while_paged = feed.sent
            fed = mapvalidate.run(
                SOURCE, Harvested(SOURCE.id, [], records=read), mapping, minter, {}, feed=feed
            )
    finally:
        parallel.cool()
    # Parts of 3 while paging: 9 of 11 records, the 12th a copy of the 2nd (the feed stops),
    # or 12 of 13 (the copy is in the rest, found when it is handed out).
    assert sent_while_paged == (12 if copy_at == 12 else 9)
    assert feed.broken == (copy_at is not None)
    assert len(whole.bodies) == (11 if copy_at == 12 else 10) and whole.rejected == 1
    assert bool(whole.duplicates) == (copy_at is not None)
    assert fed.bodies == whole.bodies and fed.packed == whole.packed
    assert fed.issues == whole.issues and fed.duplicates == whole.duplicates
    assert (fed.rejected, fed.reused) == (whole.rejected, whole.reused)


def test_a_fed_harvest_compared_with_state_is_mapped_the_usual_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A feed given a harvest whose registrations are in state stops (only the changed ones
    are mapped, and not as fed): the result is what the harvest gives unfed."""
    if parallel.WORKERS < 2:
        pytest.skip("one core: the workers are never started")
    monkeypatch.setattr(mapvalidate, "PART", 1)
    mapping = spec.load(spec.builtin_path(SOURCE.format))
    minter = Minter("https://example.org/")
    first = work({})
    digests = {b["native_id"]: b["digest"] for b in first.bodies}
    parallel.warm("federator.mapvalidate")
    try:
        with mapvalidate.Feed(SOURCE, mapping, minter) as feed:
            read = records()
            feed.take(read)
            assert feed.sent == len(read)  # handed out while "paged"
            again = mapvalidate.run(
                SOURCE, Harvested(SOURCE.id, [], records=read), mapping, minter, digests, feed=feed
            )
    finally:
        parallel.cool()
    assert feed.broken
    assert sorted(again.reused) == sorted(digests) and again.bodies == []
    assert again.rejected == 1
