"""Fixtures for the browser tests: a small published federation, the real server over it,
and one headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright.

Without Chromium these tests are skipped, with a message that says how to enable them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from server.serverkit import (  # tests/server/serverkit.py (tests/ is on the path)
    RunningServer,
    agency_registers,
    configure,
    run_once,
    start_server,
    stop,
)

from federator.sim import RegisterServer

CHROMIUM = os.environ.get("FEDERATOR_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW = (
    f"no Chromium at {CHROMIUM}: the browser tests need it "
    "(apt-get install chromium; .ci/run installs it when missing)"
)


@dataclass
class Site:
    url: str
    data_dir: Path
    server: RunningServer


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(HOW)
    data_dir = tmp_path_factory.mktemp("site")
    with RegisterServer(agency_registers()) as registers:
        path = configure(data_dir, registers)
        run_once(path)
    running = start_server(path, data_dir / "serve.log")
    try:
        yield Site(running.url, data_dir, running)
    finally:
        stop(running.process)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (the dev extra has it)"
    )
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page at 1280 px, Dutch like most readers."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    context.set_default_timeout(5000)
    try:
        yield context.new_page()
    finally:
        context.close()
