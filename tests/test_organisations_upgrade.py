"""Upgrading a data directory from main before organisations were reconciled: every canonical
algorithm IRI published then is still published, or answers 301 to its successor.

``tests/data/orgs-upgrade`` holds the state that federator at ``a54ce20`` left after one run
over the registers beside it (``bench/orgs_upgrade_fixture.py``). Then, Belastingdienst's own
register (configured by TOOI IRI at level national) met none of the national records; now its
records join them, so some algorithms merge: the older IRI survives, the other is replaced.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
from helpers import DATA, write_config

from federator import config
from federator.demo import CONTRACT_QUERY
from federator.pipeline import Federator
from federator.publish import snapshot
from federator.query import run_query
from federator.sim import Registers, RegisterServer
from federator.state import State

FIXTURE = DATA / "orgs-upgrade"
BASE = "https://algoritmes.example.org/"
# The own registers beside the national one, as bench/orgs_upgrade_fixture.py configured them.
OWN_REGISTERS = json.loads((FIXTURE / "sources.json").read_text())


def test_published_algorithm_iris_survive_the_upgrade(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(FIXTURE / "state.sqlite", var / "state.sqlite")
    before = _live_before_from(var)
    with RegisterServer(Registers()) as server:
        server.registers.api_records = json.loads((FIXTURE / "national.json").read_text())
        sources = [
            {
                "id": "national",
                "title": "national",
                "level": "national",
                "format": "algoritmeregister-api",
                "url": server.api_url,
            }
        ]
        for own in OWN_REGISTERS:
            server.registers.put(own["file"], (FIXTURE / own["file"]).read_bytes())
            sources.append(
                {
                    "id": own["id"],
                    "title": own["id"],
                    "level": own["level"],
                    "format": "algoritmeregister-json",
                    "url": server.file_url(own["file"]),
                    "organisation": own["organisation"],
                }
            )
        cfg = config.load(write_config(tmp_path / "federator.yaml", sources))
        for _ in range(2):  # the upgrade, then a run with nothing new
            fed = Federator(cfg)
            try:
                assert not fed.run_once().failed
            finally:
                fed.close()
    store = snapshot.open_current(cfg.data_dir)
    assert store is not None
    published = {r["algorithm"].value for r in run_query(store, CONTRACT_QUERY)}
    state = State(cfg.data_dir)
    try:
        canonicals = state.canonicals()
        identities = state.identities()
    finally:
        state.close()
    merged = 0
    for token in before:
        iri = f"{BASE}id/algorithm/{token}"
        if iri in published:
            continue
        successor = canonicals[token].get("replaced_by")
        assert successor, f"{iri} neither published nor redirected"
        assert f"{BASE}id/algorithm/{successor}" in published
        replaced = {
            str(getattr(q.object, "value", q.object))
            for q in store.quads_for_pattern(
                ox.NamedNode(iri), ox.NamedNode("http://purl.org/dc/terms/isReplacedBy"), None
            )
        }
        assert replaced == {f"{BASE}id/algorithm/{successor}"}  # the server's 301
        merged += 1
    # The upgrade did join Belastingdienst's register to the national one.
    assert merged > 0
    own = json.loads((FIXTURE / "belastingdienst.json").read_text())
    national = json.loads((FIXTURE / "national.json").read_text())
    for row in own:
        lars = next(r["lars"] for r in national if r["name"] == row["name"])
        assert identities[("belastingdienst", row["source_id"])] == identities[("national", lars)]


def _live_before_from(var: Path) -> dict[str, set[tuple[str, str]]]:
    state = State(var)
    try:
        live = {
            t
            for t, row in state.canonicals().items()
            if not row.get("replaced_by") and not row.get("retired_at")
        }
        out: dict[str, set[tuple[str, str]]] = {}
        for key, token in state.identities().items():
            if token in live:
                out.setdefault(token, set()).add(key)
        return out
    finally:
        state.close()
