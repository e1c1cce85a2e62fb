"""Run the HTTP server with uvicorn in the calling thread until SIGTERM/SIGINT; then return 0."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator
from types import FrameType

import uvicorn

from federator import log
from federator.config import Config
from federator.server.app import create_app
from federator.server.context import Planner

GRACEFUL_SHUTDOWN = 5  # seconds open connections get to finish when the server stops


class _ToStructlog(logging.Handler):
    """Forwards uvicorn's and APScheduler's stdlib log records to our structured log."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = log.get(record.name)
        method = logger.error if record.levelno >= logging.ERROR else logger.warning
        if record.exc_info:
            method(record.getMessage(), exc_info=record.exc_info)
        else:
            method(record.getMessage())


def route_library_logs() -> None:
    """Library warnings and errors as JSON lines too (not plain text amid the JSON)."""
    for name in ("uvicorn", "apscheduler"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, _ToStructlog) for h in logger.handlers):
            logger.addHandler(_ToStructlog(logging.WARNING))
        logger.propagate = False
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)


class Server(uvicorn.Server):
    """uvicorn, with our own signal handling: a stop is a clean exit, not a re-raised signal."""

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_stop = on_stop
        self.stopped_by: str | None = None  # the signal's name, once one came

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._stop) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        # A handler runs between two steps of the main thread, which may be inside a log
        # call holding structlog's lock (not reentrant): logging here could wait for ever.
        # It only sets flags; the stop is logged from the event loop (``shutdown``).
        if self.should_exit:
            self.force_exit = True  # a second signal: do not wait for open connections
        self.should_exit = True
        self.stopped_by = signal.Signals(sig).name
        if self.on_stop is not None:
            self.on_stop()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        log.get("federator.server").info("server.stopping", signal=self.stopped_by)
        await super().shutdown(sockets)


def make_server(
    cfg: Config, planner: Planner | None = None, on_stop: Callable[[], None] | None = None
) -> Server:
    """A uvicorn server for ``cfg``'s host and port (access log is ours: no query strings)."""
    route_library_logs()
    config = uvicorn.Config(
        create_app(cfg, planner),
        host=cfg.server.host,
        port=cfg.server.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        server_header=False,
        lifespan="on",
    )
    return Server(config, on_stop)


def run_server(server: Server) -> int:
    """Serve until stopped; 0 after a clean stop, 1 when the server could not start."""
    host, port = server.config.host, server.config.port
    log.get("federator.server").info("server.start", url=f"http://{host}:{port}/")
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits when it cannot bind or start up
        log.get("federator.server").error("server.failed", host=host, port=port, code=exc.code)
        return 1
    if not server.started:
        log.get("federator.server").error("server.failed", host=host, port=port)
        return 1
    return 0


def serve_forever(cfg: Config) -> int:
    """``federator serve``: the HTTP server alone, over what is published."""
    code = run_server(make_server(cfg))
    sys.stderr.flush()
    return code


__all__ = ["create_app", "make_server", "run_server", "serve_forever", "Server"]
