"""Registers served on loopback the way the real ones serve: for the demo, tests and benchmarks.

- ``POST {base}/api/algoritme/NLD`` with ``{"page", "limit"}``: the national register's API,
  newest ``create_dt`` first, ``total_count``, limit at most 100 (else 422);
- ``GET {base}/api/algoritme/NLD/{lars}``: one record, or 404 as the real API answers;
- ``GET {base}/files/{name}``: a decentral register's document, with ``ETag`` and
  ``Last-Modified``, answering conditional requests with 304.

Faults can be queued per path (tests make registers misbehave on purpose, as Scrapy's do).
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTENT_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
}


@dataclass
class Document:
    body: bytes
    content_type: str
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


class Registers:
    """The content served: API records and named documents; change them between runs."""

    def __init__(self) -> None:
        self.api_records: list[dict[str, Any]] = []
        self.documents: dict[str, Document] = {}
        self.faults: dict[str, deque[str]] = defaultdict(deque)
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status)
        self.headers: list[dict[str, str]] = []  # request headers, in order
        # Called after each API page is served: tests publish records mid-crawl with it.
        self.after_page: Callable[[int], None] | None = None
        self.lock = threading.Lock()
        self._sorted: list[dict[str, Any]] = []
        self._sorted_key: tuple[int, int] | None = None

    def in_api_order(self) -> list[dict[str, Any]]:
        """The API records newest ``create_dt`` first, sorted once per change of the list."""
        key = (id(self.api_records), len(self.api_records))
        with self.lock:
            if self._sorted_key != key:
                self._sorted = sorted(
                    self.api_records, key=lambda r: r.get("create_dt") or "", reverse=True
                )
                self._sorted_key = key
            return self._sorted

    def put(self, name: str, body: bytes, content_type: str | None = None) -> None:
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        ctype = content_type or CONTENT_TYPES.get(suffix, "application/octet-stream")
        old = self.documents.get(name)
        if old and old.body == body:
            return
        self.documents[name] = Document(body, ctype)

    def fault(self, path: str, *actions: str) -> None:
        """Queue faults for a path: '503', '429', 'html', 'truncate', 'slow:2', 'redirect:URL'."""
        self.faults[path].extend(actions)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without TCP_NODELAY a kept-alive client
        # waits ~40 ms (delayed ACK) for every small answer, which real servers do not add.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .requests
        pass

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        # Recorded before anything is sent: a client that has its answer finds it logged.
        with self.server.registers.lock:
            self.server.registers.requests.append((self.command, self.path, status))
            self.server.registers.headers.append(dict(self.headers.items()))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _fault(self) -> bool:
        regs = self.server.registers
        with regs.lock:
            queue = regs.faults.get(self.path.split("?")[0])
            action = queue.popleft() if queue else None
        if action is None:
            return False
        if action.startswith("slow:"):
            time.sleep(float(action[5:]))
            return False
        if action == "503":
            self._send(503, b"busy", "text/plain")
        elif action == "429":
            self._send(429, b"slow down", "text/plain", {"Retry-After": "1"})
        elif action == "html":
            self._send(200, b"<!DOCTYPE html><html><body>Onderhoud</body></html>", "text/html")
        elif action == "truncate":
            self._send(200, b'[{"name": "half', "application/json", length=4096)
            self.close_connection = True
        elif action.startswith("redirect:"):
            self._send(302, b"", "text/plain", {"Location": action[9:]})
        elif action.startswith("status:"):
            self._send(int(action[7:]), b"error", "text/plain")
        return True

    def do_GET(self) -> None:
        if self._fault():
            return
        path = self.path.split("?")[0]
        regs = self.server.registers
        if path.startswith("/files/"):
            doc = regs.documents.get(path[len("/files/") :])
            if doc is None:
                self._send(404, b"not found", "text/plain")
                return
            validators = {"ETag": doc.etag, "Last-Modified": formatdate(doc.modified, usegmt=True)}
            inm = self.headers.get("If-None-Match")
            if inm and inm == doc.etag:
                self._send(304, b"", doc.content_type, validators, length=0)
                return
            self._send(200, doc.body, doc.content_type, validators)
            return
        if path.startswith("/api/algoritme/NLD/"):
            lars = path.rsplit("/", 1)[-1]
            for rec in regs.api_records:
                if rec.get("lars") == lars:
                    self._send(200, json.dumps(rec).encode(), "application/json")
                    return
            self._send(404, b'{"detail": "Kan algoritme niet vinden."}', "application/json")
            return
        self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self._fault():
            return
        if self.path.split("?")[0] != "/api/algoritme/NLD":
            self._send(404, b"not found", "text/plain")
            return
        try:
            ask = json.loads(raw or b"{}")
            page, limit = int(ask.get("page", 1)), int(ask.get("limit", 10))
        except (ValueError, TypeError):
            self._send(422, b'{"detail": "invalid body"}', "application/json")
            return
        if limit > 100 or limit < 1 or page < 1:
            self._send(422, b'{"detail": "limit must be 1..100"}', "application/json")
            return
        records = self.server.registers.in_api_order()
        chunk = records[(page - 1) * limit : page * limit]
        body = {
            "results": chunk,
            "total_count": len(records),
            "filter_data": {},
            "selected_filters": [],
        }
        self._send(200, json.dumps(body).encode(), "application/json")
        if self.server.registers.after_page:
            self.server.registers.after_page(page)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    registers: Registers

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that give up on a truncated or slow answer are expected here.
        pass


class RegisterServer:
    """Start with ``with RegisterServer(registers) as srv: srv.url``: loopback, a free port."""

    def __init__(
        self, registers: Registers | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.registers = registers or Registers()
        self.httpd = _Server((host, port), _Handler)
        self.httpd.registers = self.registers
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    def file_url(self, name: str) -> str:
        return f"{self.url}/files/{name}"

    def start(self) -> RegisterServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> RegisterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
