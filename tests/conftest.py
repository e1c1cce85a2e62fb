"""Shared fixtures: real loopback register servers, structured logs kept quiet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from federator import log
from federator.sim import Registers, RegisterServer


def pytest_configure() -> None:
    log.configure(json=True, level="warning")


@pytest.fixture
def registers() -> Iterator[RegisterServer]:
    """An empty loopback register server; tests fill ``.registers``."""
    with RegisterServer(Registers()) as server:
        yield server
