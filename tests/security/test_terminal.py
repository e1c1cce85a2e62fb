"""Terminal output shows register data, never obeys it (issue 18, item 7): control
characters and bidirectional overrides are written as escapes by ``federator log`` and
``federator query --format table``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from helpers import federator_command as federator

from federator.sim import RegisterServer

ESC = "\x1b"
RLO = "\u202e"  # right-to-left override: reorders what the terminal shows
AMSTERDAM = {"id": "g", "organisation": "gm0363"}  # a register of Gemeente Amsterdam


def test_log_and_table_escape_control_characters(
    registers: RegisterServer, register_config: Callable[..., Path]
) -> None:
    record = {
        "source_id": "G-1",
        "name": f"Parkeren {RLO}gnineerap",
        "organization": "Gemeente Amsterdam",
        "description_short": "Niets mis mee.",
        "status": f"In gebruik{RLO}kiurbeg ni",
    }
    registers.registers.put("reg.json", json.dumps([record]).encode())
    path = register_config(registers.file_url("reg.json"), AMSTERDAM)
    assert federator("run", "--once", "--config", str(path)).returncode == 0
    logged = federator("log", "g", "--config", str(path))
    assert logged.returncode == 0
    assert RLO not in logged.stdout and "\\u202e" in logged.stdout
    query = (
        'SELECT ?x ?t WHERE { BIND("red\\u001b[31m \\u001b]0;owned\\u0007" AS ?x) '
        "?r <http://purl.org/dc/terms/title> ?t }"
    )
    table = federator("query", query, "--format", "table", "--config", str(path))
    assert table.returncode == 0, table.stderr
    assert ESC not in table.stdout and "\x07" not in table.stdout and RLO not in table.stdout
    assert "\\x1b[31m" in table.stdout and "\\u202e" in table.stdout
