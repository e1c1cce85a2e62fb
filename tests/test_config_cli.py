"""A configuration mistake anywhere stops every command with exit status 2, naming file, line
and key, before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TEXT = """data_dir: {var}
guard: {{max_withdrawn_shar: 0.5}}
sources:
  - id: a
    level: national
    format: algoritmeregister-json
    url: https://example.org/a.json
"""


@pytest.mark.parametrize("command", [["run", "--once"], ["status"]])
def test_a_misspelt_key_exits_2_naming_file_line_and_key(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(TEXT.format(var=tmp_path / "var"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "federator", *command, "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert f"{path}:2: guard.max_withdrawn_shar: unknown key" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "var").exists()
