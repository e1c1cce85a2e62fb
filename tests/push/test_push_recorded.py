"""What federator sends to a Graph Store, recorded on loopback: only changes, and credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from federator import config, log
from federator.config import TargetConfig
from federator.push.gsp import GraphStore, TargetError
from federator.push.report import status_table
from federator.sim import RegisterServer
from federator.state import State

from .pushkit import Recorder, basic, demo_config, rename_amsterdam_record, run, target

BASE = "https://algoritmes.example.org/"
SOURCES = ("national", "gemeente-utrecht", "gemeente-amsterdam")
EVERY_GRAPH = {f"{BASE}graph/source/{s}" for s in SOURCES} | {
    f"{BASE}graph/{name}"
    for name in ("unified", "links", "federation", "vocabulary", "quality", "provenance", "void")
}
PASSWORD = "correct-horse-battery-staple-7"


def test_unchanged_graphs_are_not_sent_again_and_removed_ones_are_deleted(
    tmp_path: Path, demo: RegisterServer
) -> None:
    with Recorder() as recorder:
        path = demo_config(tmp_path, demo, {"targets": [target("recorder", recorder.store)]})
        assert run(path).exit_code == 0
        assert sorted(recorder.puts()) == sorted(EVERY_GRAPH)  # each graph once
        first = {r.graph: r for r in recorder.requests}
        for r in first.values():
            assert r.headers["Content-Type"] == "application/n-triples"
        assert first[f"{BASE}graph/source/national"].body.count(b" .\n") > 100

        recorder.requests.clear()
        assert run(path).exit_code == 0
        # Nothing was harvested anew: only the provenance log and the description moved on.
        assert sorted(recorder.puts()) == [f"{BASE}graph/provenance", f"{BASE}graph/void"]

        recorder.requests.clear()
        rename_amsterdam_record(demo, "A-0033", "Een nieuwe naam")
        assert run(path).exit_code == 0
        sent = set(recorder.puts())
        assert f"{BASE}graph/source/gemeente-amsterdam" in sent
        assert f"{BASE}graph/unified" in sent
        assert f"{BASE}graph/source/national" not in sent
        assert f"{BASE}graph/vocabulary" not in sent
        assert len(recorder.puts()) == len(sent)

        recorder.requests.clear()
        text = path.read_text(encoding="utf-8")
        start = text.index("  - id: gemeente-amsterdam")
        end = text.index("publish:")
        path.write_text(text[:start] + text[end:], encoding="utf-8")
        assert run(path).exit_code == 0
        assert recorder.deletes() == [f"{BASE}graph/source/gemeente-amsterdam"]
        assert f"{BASE}graph/source/gemeente-amsterdam" not in recorder.puts()


def test_a_failing_target_does_not_fail_the_run_and_is_caught_up(
    tmp_path: Path, demo: RegisterServer
) -> None:
    with Recorder(status=503) as recorder:
        spec = target("recorder", recorder.store)
        path = demo_config(tmp_path, demo, {"targets": [spec]})
        report = run(path)
        assert report.exit_code == 0
        assert len(recorder.puts()) == 2  # the first graph, retried once; then it gave up
        cfg = config.load(path)
        state = State(cfg.data_dir)
        try:
            row = state.db.execute("SELECT * FROM push_runs").fetchone()
            assert row["lag_graphs"] == len(EVERY_GRAPH) and "HTTP 503" in row["error"]
            assert row["run_id"] == report.run_id
        finally:
            state.close()
        recorder.status = 204
        recorder.requests.clear()
        assert run(path).exit_code == 0
        assert sorted(recorder.puts()) == sorted(EVERY_GRAPH)


def test_the_password_is_sent_from_the_environment_and_never_shown(
    tmp_path: Path,
    demo: RegisterServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FEDERATOR_TEST_USER", "replica")
    monkeypatch.setenv("FEDERATOR_TEST_PASSWORD", PASSWORD)
    log.configure(json=True, level="debug")
    with Recorder() as recorder:
        spec = target(
            "recorder",
            recorder.store,
            username_env="FEDERATOR_TEST_USER",
            password_env="FEDERATOR_TEST_PASSWORD",
        )
        path = demo_config(tmp_path, demo, {"targets": [spec]})
        assert PASSWORD not in path.read_text(encoding="utf-8")
        assert run(path).exit_code == 0
        assert recorder.requests
        for r in recorder.requests:
            assert r.headers["Authorization"] == basic("replica", PASSWORD)
        recorder.status = 401  # the replica's password was changed
        assert run(path).exit_code == 0
    secret = basic("replica", PASSWORD).split()[1]
    out, err = capfd.readouterr()
    assert "push.behind" in err and "HTTP 401" in err
    assert PASSWORD not in out + err and secret not in out + err
    cfg = config.load(path)
    state = State(cfg.data_dir)
    try:
        dumped = "\n".join(state.db.iterdump())
        table = status_table(cfg, state)
    finally:
        state.close()
    assert "check the credentials" in dumped
    assert PASSWORD not in dumped and secret not in dumped
    assert table is not None and "HTTP 401" in table and PASSWORD not in table


def test_a_bearer_token_and_a_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = TargetConfig(name="t", store="http://127.0.0.1:9/store", token_env="FED_TEST_TOKEN")
    monkeypatch.delenv("FED_TEST_TOKEN", raising=False)
    with pytest.raises(TargetError, match="FED_TEST_TOKEN \\(token_env\\) is not set"):
        GraphStore(spec)
    monkeypatch.setenv("FED_TEST_TOKEN", "t0ken")
    with (
        Recorder() as recorder,
        GraphStore(
            TargetConfig(name="t", store=recorder.store, token_env="FED_TEST_TOKEN")
        ) as store,
    ):
        store.put("urn:g", b"<urn:a> <urn:b> <urn:c> .\n")
        store.delete("urn:g")
    assert [r.headers["Authorization"] for r in recorder.requests] == ["Bearer t0ken"] * 2
    assert [(r.method, r.graph) for r in recorder.requests] == [
        ("PUT", "urn:g"),
        ("DELETE", "urn:g"),
    ]


def test_a_missing_variable_is_reported_as_lag_naming_it(
    tmp_path: Path, demo: RegisterServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEDERATOR_TEST_TOKEN", raising=False)
    with Recorder() as recorder:
        spec = target("recorder", recorder.store, token_env="FEDERATOR_TEST_TOKEN")
        path = demo_config(tmp_path, demo, {"targets": [spec]})
        assert run(path).exit_code == 0
        assert recorder.requests == []
    state = State(config.load(path).data_dir)
    try:
        row = dict(state.db.execute("SELECT * FROM push_targets").fetchone())
    finally:
        state.close()
    assert row["lag_graphs"] == len(EVERY_GRAPH)
    assert row["error"] == "environment variable FEDERATOR_TEST_TOKEN (token_env) is not set"
    assert json.dumps(row)  # plain values, ready for status and metrics
