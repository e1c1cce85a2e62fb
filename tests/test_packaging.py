"""The built wheel stands alone: it ships its mappings and data, and runs the demo elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_FILES = ("shapes.ttl", "vocabulary.ttl", "organisations.csv")


def _run(
    args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline from a copy of the sources (the build writes beside them)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for name in ("federator", "mappings"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "dist"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--quiet", "--wheel-dir", str(out), str(src)]
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = out.glob("federator-*.whl")
    return path


def test_the_wheel_ships_mappings_shapes_vocabulary_and_organisations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    mappings = sorted(p.name for p in (REPO / "mappings").glob("*.yaml"))
    assert "algoritmeregister-json.yaml" in mappings
    for name in mappings:
        assert f"federator/mappings/{name}" in names
    for name in DATA_FILES:
        assert f"federator/data/{name}" in names
    for path in (REPO / "federator" / "data" / "demo").iterdir():
        assert f"federator/data/demo/{path.name}" in names
    # and every file of the package (its data too: package-data in pyproject.toml)
    shipped = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "federator").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped - names == set(), "files of federator/ that the wheel does not carry"
    assert not {n for n in names if n.startswith(("mappings/", "tests/", "bench/"))}


def test_the_installed_wheel_runs_the_demo_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    target, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    installed = _run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"]
        + ["--target", str(target), str(wheel)]
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEDERATOR_", "PYTHON"))}
    env["PYTHONPATH"] = str(target)  # the dependencies come from this interpreter's environment
    where = _run(
        [
            sys.executable,
            "-c",
            "import federator.map.spec as s; print(s.__file__); print(s.BUILTIN)",
        ],
        cwd=elsewhere,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    module, builtin = where.stdout.splitlines()
    assert Path(module).is_relative_to(target) and Path(builtin) == target / "federator/mappings"

    demo = _run([str(target / "bin" / "federator"), "demo"], cwd=elsewhere, env=env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert demo.stdout.count(" synced ") == 3, demo.stdout
    assert "(10 rows)" in demo.stdout, demo.stdout  # the first rows of the contract query
    assert (elsewhere / "var" / "demo" / "federator.yaml").is_file()
