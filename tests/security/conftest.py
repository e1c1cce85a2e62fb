"""Fixtures of the security tests: a configuration of one register."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import write_config


@pytest.fixture
def register_config(tmp_path: Path) -> Callable[..., Path]:
    """Writes ``federator.yaml`` in the test's folder for one register at ``url``: a municipal
    JSON file with id ``s``, unless ``source`` says otherwise or more; ``top`` are the other
    settings (``harvest``, ``history``, ...). Returns the file's path."""

    def write(url: str, source: dict[str, Any] | None = None, **top: Any) -> Path:
        entry = {"id": "s", "level": "municipal", "format": "algoritmeregister-json", "url": url}
        return write_config(tmp_path / "federator.yaml", [{**entry, **(source or {})}], **top)

    return write
