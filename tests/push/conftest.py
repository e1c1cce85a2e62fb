"""Fixtures for the push tests: registers on loopback, quiet logs afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from federator import log
from federator.demo import demo_registers
from federator.sim import RegisterServer


@pytest.fixture(autouse=True)
def quiet_logs() -> Iterator[None]:
    """Tests may turn logging up (or the CLI may); leave it as the suite configured it."""
    yield
    log.configure(json=True, level="warning")


@pytest.fixture
def demo() -> Iterator[RegisterServer]:
    """The bundled demo registers (three small sources) on loopback."""
    with RegisterServer(demo_registers()) as server:
        yield server
