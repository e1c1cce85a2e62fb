"""A register that misbehaves on purpose, served on loopback: each test gives it a handler."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[BaseHTTPRequestHandler, int], None]  # (handler, number of the request)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.requests.append((self.command, self.path, dict(self.headers.items())))
            n = len(self.server.requests)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.server.answer(self, n)

    do_GET = do_POST = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    answer: Answer
    requests: list[tuple[str, str, dict[str, str]]]
    lock: threading.Lock

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class Hostile:
    """``with Hostile(answer) as h: h.url``; ``h.requests`` lists what was asked."""

    def __init__(self, answer: Answer) -> None:
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.answer = answer
        self.httpd.requests = []
        self.httpd.lock = threading.Lock()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        return self.httpd.requests

    def __enter__(self) -> Hostile:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    ctype: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)
