"""Screenshots of each kind of page of the public site, at 375 and 1280 px wide.

    .venv/bin/python docs/make_screenshots.py [OUTDIR]

Federates the bundled demo registers (as ``federator demo`` does) into a temporary directory,
starts ``federator serve`` over it, and has Debian's Chromium (``/usr/bin/chromium``, through
Playwright) save ``OUTDIR/{page}-{width}.png`` (default ``docs/screenshots``), each the top
of the page, at most ``MAX_HEIGHT`` pixels. Needs the dev extra (playwright) and Chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.sync_api import sync_playwright

from federator import config
from federator.demo import demo_registers, write_config
from federator.pipeline import Federator
from federator.sim import RegisterServer

ROOT = Path(__file__).resolve().parents[1]
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
    "--hide-scrollbars",
]
WIDTHS = (375, 1280)
MAX_HEIGHT = 2200
QUERY = """PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?algorithm (SAMPLE(?t) AS ?title) (COUNT(?record) AS ?registers) WHERE {
  ?record foaf:primaryTopic ?algorithm .
  OPTIONAL { ?algorithm dcterms:title ?t }
} GROUP BY ?algorithm HAVING (COUNT(?record) > 1) ORDER BY DESC(?registers) LIMIT 10"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def publish(data_dir: Path) -> Path:
    with RegisterServer(demo_registers()) as registers:
        path = write_config(data_dir, registers, port=free_port())
        fed = Federator(config.load(path))
        try:
            fed.run_once()
        finally:
            fed.close()
    return path


def pages(client: httpx.Client) -> dict[str, str]:
    """One path of each kind of page."""
    several = client.get("/algorithms", params={"registers": "2", "q": "parkeer"}).json()
    if not several["results"]:
        several = client.get("/algorithms", params={"registers": "2"}).json()
    algorithm = several["results"][0]["url"]
    run = client.get("/sources/national/runs").json()["runs"][0]["run_id"]
    return {
        "front": "/",
        "search": "/algorithms?q=parkeer",
        "algorithm": algorithm,
        "organisations": "/organisations",
        "organisation": "/organisations/gm0344",
        "harvest-log": f"/sources/national/runs/{run}",
        "sparql": "/sparql?query=" + quote(QUERY),
        "void": "/void",
    }


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = publish(Path(tmp))
        url = f"http://127.0.0.1:{config.load(path).server.port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "federator", "serve", "--config", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                for _ in range(100):
                    try:
                        client.get("/health")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                paths = pages(client)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for width in WIDTHS:
                    context = browser.new_context(
                        viewport={"width": width, "height": 900}, locale="nl-NL"
                    )
                    page = context.new_page()
                    for name, target in paths.items():
                        page.goto(url + target)
                        height = min(MAX_HEIGHT, page.evaluate("document.body.scrollHeight"))
                        file = out / f"{name}-{width}.png"
                        page.screenshot(
                            path=str(file),
                            full_page=True,
                            clip={"x": 0, "y": 0, "width": width, "height": height},
                        )
                        print(file.relative_to(ROOT) if file.is_relative_to(ROOT) else file)
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
