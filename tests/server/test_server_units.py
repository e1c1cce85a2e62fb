"""The server's small parts without a server: content negotiation, the read-only check,
the stop signal."""

from __future__ import annotations

import signal
import threading

import pytest
import structlog
import uvicorn

from federator import log
from federator.server.negotiate import choose, prefers_html
from federator.server.serve import Server
from federator.server.sparql import Refused, check_read_only

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "offered", "chosen"),
    [
        (None, ["a/x", "b/y"], "a/x"),
        ("*/*", ["a/x", "b/y"], "a/x"),
        ("b/y", ["a/x", "b/y"], "b/y"),
        ("b/*", ["a/x", "b/y"], "b/y"),
        ("a/x;q=0.2, b/y;q=0.8", ["a/x", "b/y"], "b/y"),
        ("b/y, */*", ["a/x", "b/y"], "b/y"),  # named beats wildcard at equal quality
        ("a/x;q=0, */*", ["a/x", "b/y"], "b/y"),  # q=0: not acceptable
        ("c/z", ["a/x", "b/y"], None),
        ("text/turtle; charset=utf-8", ["text/turtle"], "text/turtle"),
        ("garbage;q=x", ["a/x"], None),
    ],
)
def test_choose(accept: str | None, offered: list[str], chosen: str | None) -> None:
    assert choose(accept, offered) == chosen


def test_browsers_get_html_and_clients_json() -> None:
    assert prefers_html(BROWSER)
    assert not prefers_html("*/*")
    assert not prefers_html(None)
    assert not prefers_html("application/json")


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "insert data { <urn:a> <urn:b> 'x' }",
        "PREFIX ex: <http://example.org/> BASE <http://e/> DELETE WHERE { ?s ex:p ?o }",
        "# SELECT in a comment\nLOAD <http://example.org/data.ttl>",
        "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "DROP GRAPH <urn:g>",
        "COPY <urn:a> TO <urn:b>",
        "MOVE DEFAULT TO <urn:b>",
        "ADD <urn:a> TO <urn:b>",
        "CREATE GRAPH <urn:g>",
    ],
)
def test_updates_are_recognised_without_running_them(update: str) -> None:
    with pytest.raises(Refused) as refused:
        check_read_only(update)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o }",
        "PREFIX insert: <urn:x#> SELECT ?delete WHERE { ?delete insert:load 'DROP ALL' }",
        'ASK { ?s ?p "INSERT DATA" }',
        "DESCRIBE <urn:delete>",
        "# DELETE WHERE {}\nCONSTRUCT WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<?p&&?p>?s) }",
    ],
)
def test_queries_pass(query: str) -> None:
    check_read_only(query)


def test_federated_query_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        check_read_only("SELECT * { service <http://example.org/sparql> { ?s ?p ?o } }")
    assert refused.value.status == 400
    check_read_only("SELECT ?service WHERE { ?service a <urn:Service> }")
    # An escaped hash or quote in a local name starts no comment or string to hide behind.
    for escape in ("\\#", "\\'"):
        hidden = (
            f"SELECT * {{ ?s ex:a{escape}b ?o . SERVICE <http://127.0.0.1:9/> {{ ?s ?p ?o }} }}"
        )
        with pytest.raises(Refused):
            check_read_only(hidden)


def test_a_stop_signal_inside_a_log_call_does_not_wait_for_the_log() -> None:
    """A signal handler runs between two steps of the main thread, a log call's too: one that
    logged would wait for ever on the lock the log writes under (structlog's, not reentrant;
    ``serve`` hung on SIGTERM so). The stop is logged from the event loop instead."""
    log.configure(json=True)
    writer = structlog.get_config()["logger_factory"]()
    server = Server(uvicorn.Config(app=_no_app))
    stopped = threading.Event()

    def stop_inside_a_log_call() -> None:
        with writer._lock:  # what the main thread holds while it writes a log line
            server._stop(signal.SIGTERM, None)
        stopped.set()

    threading.Thread(target=stop_inside_a_log_call, daemon=True).start()
    assert stopped.wait(5)
    assert server.should_exit and server.stopped_by == "SIGTERM"


async def _no_app(scope: object, receive: object, send: object) -> None:
    return None
