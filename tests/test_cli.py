"""The command line as operators use it: exit codes, stdout for results, stderr for logs."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import demo_sources, write_config

from federator.demo import CONTRACT_QUERY, demo_registers
from federator.sim import RegisterServer


def federator(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "federator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config over the bundled demo registers, served on loopback, run once."""
    tmp = tmp_path_factory.mktemp("cli")
    with RegisterServer(demo_registers()) as server:
        path = write_config(
            tmp / "federator.yaml",
            demo_sources(server),
        )
        done = federator("run", "--once", "--config", str(path))
        assert done.returncode == 0, done.stderr
        assert "national: synced" in done.stdout
        yield path


def test_bad_config_exits_2_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        f"data_dir: {tmp_path / 'var'}\nsources:\n  - id: a\n    level: national\n"
        "    format: xls\n    url: https://example.org/a.xls\n"
    )
    done = federator("run", "--once", "--config", str(path))
    assert done.returncode == 2
    assert f"{path}:5: sources[0].format: unknown format 'xls'" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "var").exists()


def test_commands_close_the_state_before_the_process_exits(tmp_path: Path) -> None:
    """The exit leaves garbage in reference cycles to the operating system
    (``cli.finish``): the commands close what they opened, and SQLite's log is folded back
    into the state file, not left beside it."""
    with RegisterServer(demo_registers()) as server:
        path = write_config(tmp_path / "federator.yaml", demo_sources(server))
        for command in ("run --once", "remap", "status", "log national", "clusters"):
            done = federator(*command.split(), "--config", str(path))
            assert done.returncode == 0, (command, done.stderr)
            left = sorted(p.name for p in (tmp_path / "var").glob("*.sqlite-*"))
            assert left == [], command


def test_config_option_after_or_before_the_command(demo_config: Path) -> None:
    before = federator("--config", str(demo_config), "status")
    after = federator("status", "--config", str(demo_config))
    assert before.returncode == after.returncode == 0
    assert "national" in before.stdout and "synced" in after.stdout


def test_query_formats_are_the_w3c_result_formats(demo_config: Path) -> None:
    csv_ = federator("query", CONTRACT_QUERY, "--format", "csv", "--config", str(demo_config))
    assert csv_.returncode == 0
    lines = csv_.stdout.splitlines()
    assert lines[0] == "source,id,algorithm" and len(lines) == 125 + 20 + 1
    tsv = federator("query", CONTRACT_QUERY, "--format", "tsv", "--config", str(demo_config))
    assert tsv.stdout.splitlines()[0] == "?source\t?id\t?algorithm"
    js = json.loads(
        federator("query", CONTRACT_QUERY, "--format", "json", "--config", str(demo_config)).stdout
    )
    assert js["head"]["vars"] == ["source", "id", "algorithm"]
    assert len(js["results"]["bindings"]) == 145
    assert csv_.stderr == ""  # nothing but results on stdout, and no noise


def test_malformed_query_exits_2_with_the_parser_message(demo_config: Path) -> None:
    done = federator("query", "SELEC ?x WHERE {}", "--config", str(demo_config))
    assert done.returncode == 2
    assert "malformed query" in done.stderr and "1:" in done.stderr


def test_update_is_refused(demo_config: Path) -> None:
    done = federator("query", "DROP ALL", "--config", str(demo_config))
    assert done.returncode == 2 and "read-only" in done.stderr
    count = federator(
        "query",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "--format",
        "csv",
        "--config",
        str(demo_config),
    )
    assert int(count.stdout.splitlines()[1]) > 1000


def test_export_gzip_with_checksum(demo_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "dump.nq.gz"
    done = federator("export", "--output", str(out), "--config", str(demo_config))
    assert done.returncode == 0
    data = out.read_bytes()
    assert gzip.decompress(data).count(b"\n") > 1000
    assert (tmp_path / "dump.nq.gz.sha256").read_text().split()[0] == hashlib.sha256(
        data
    ).hexdigest()


@pytest.mark.parametrize("fmt", ["trig", "turtle", "jsonld"])
def test_export_formats(demo_config: Path, fmt: str) -> None:
    done = federator("export", "--format", fmt, "--config", str(demo_config))
    assert done.returncode == 0 and len(done.stdout) > 10000


def test_log_names_the_run_in_full(demo_config: Path) -> None:
    done = federator("log", "gemeente-utrecht", "--config", str(demo_config))
    assert done.returncode == 0
    assert "Harvest log of gemeente-utrecht" in done.stdout and "fetched 20" in done.stdout


def test_clusters_explains(demo_config: Path) -> None:
    done = federator("clusters", "--config", str(demo_config))
    assert done.returncode == 0
    assert "algorithms" in done.stdout


def test_demo_runs_offline_and_prints_the_contract_rows(tmp_path: Path) -> None:
    done = federator("demo", "--data-dir", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert "The contract query" in done.stdout
    assert "gemeente-amsterdam | A-" in done.stdout
    assert "(10 rows)" in done.stdout
    assert list((tmp_path / "demo").glob("*.sqlite-*")) == []  # closed, not left (cli.finish)


def test_clusters_by_source_and_uncertain(demo_config: Path) -> None:
    by_source = federator("clusters", "--source", "gemeente-utrecht", "--config", str(demo_config))
    assert by_source.returncode == 0
    assert "gemeente-utrecht:U-" in by_source.stdout and "national:" in by_source.stdout
    uncertain = federator("clusters", "--uncertain", "--config", str(demo_config))
    assert uncertain.returncode == 0 and "Borderline pairs" in uncertain.stdout
