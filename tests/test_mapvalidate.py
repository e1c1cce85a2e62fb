"""Which registrations a source's record work maps again (``mapvalidate.run``): those whose
content digest is not the one in state; with ``same_input``, every registration in state is
taken as unchanged without working its digest out, and the rest are mapped as always."""

from __future__ import annotations

import json

from helpers import DATA

from federator import mapvalidate
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
