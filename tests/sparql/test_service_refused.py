"""No query reaches another address: SERVICE is refused on a real parse, and workers are offline.

A loopback probe server stands for the address a query would make the server fetch. Every
payload goes through the read-only check, ``federator query``'s function (over a store with
data) and the HTTP endpoint; the probe must see nothing. That the probe would see a SERVICE
call is shown first, by giving one to Oxigraph directly.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
from differential_data import Published
from server.serverkit import RunningServer

from federator import query as cli
from federator.publish import snapshot
from federator.sparql import Refused, check_read_only


class Probe(http.server.ThreadingHTTPServer):
    """Counts every connection made to it, whatever is sent."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.seen: list[tuple[str, int]] = []

    def process_request(self, request: object, client_address: tuple[str, int]) -> None:
        self.seen.append(client_address)
        super().process_request(request, client_address)  # type: ignore[arg-type]


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[]}}')

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    server = Probe()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


PAYLOADS = [
    # The two of issue 18: a comment Oxigraph ends at CR, a less-than taken for an IRI.
    ("cr-comment", "SELECT * WHERE { #x\rSERVICE <{url}> { ?s ?p ?o } }", 400),
    ("less-than", "SELECT * WHERE { FILTER(1<2)SERVICE#>\n<{url}> { ?s ?p ?o } }", 400),
    ("plain", "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }", 400),
    ("lower-case", "select * where { service <{url}> { ?s ?p ?o } }", 400),
    ("mixed-case", "SeLeCt * WhErE { SeRvIcE <{url}> { ?s ?p ?o } }", 400),
    ("silent", "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }", 400),
    ("no-space", "SELECT * WHERE { ?s ?p ?o .SERVICE<{url}>{ ?s ?p ?o } }", 400),
    ("after-filter", "SELECT * WHERE { ?s ?p ?o FILTER(?o<3)SERVICE <{url}> { ?s ?p ?o } }", 400),
    ("two-crs", "SELECT * WHERE { #a\r#b\rSERVICE <{url}> { ?s ?p ?o } }", 400),
    ("cr-then-crlf", "SELECT * WHERE { #a\rSERVICE <{url}> { ?s ?p ?o } }\r\n", 400),
    (
        "cr-after-string-hash",
        'SELECT * WHERE { BIND("#" AS ?h) #\rSERVICE <{url}> { ?s ?p ?o } }',
        400,
    ),
    (
        "hash-in-iri-before",
        "SELECT * WHERE { ?s <http://x/#p> ?o . SERVICE <{url}> { ?s ?p ?o } }",
        400,
    ),
    ("hash-in-service-iri", "SELECT * WHERE { SERVICE <{url}#frag> { ?s ?p ?o } }", 400),
    ("iri-with-hash-and-lt", "SELECT * WHERE { FILTER(?a<<http://x/#>) SERVICE <{url}> { } }", 400),
    ("escape-in-iri", "SELECT * WHERE { SERVICE <{url}\\u0078> { ?s ?p ?o } }", 400),
    ("escape-in-comment", "SELECT * WHERE { # \\u000A\nSERVICE <{url}> { ?s ?p ?o } }", 400),
    (
        "escape-quote-string",
        'SELECT * WHERE { BIND("\\u0022" AS ?q) SERVICE <{url}> { ?s ?p ?o } }',
        400,
    ),
    ("escaped-keyword", "SELECT * WHERE { SERVIC\\u0045 <{url}> { ?s ?p ?o } }", 400),
    (
        "escaped-local-name",
        "PREFIX ex: <urn:x#> SELECT * WHERE { ?s ex:a\\#b ?o . SERVICE <{url}> { } }",
        400,
    ),
    ("prefixed-iri", "PREFIX p: <{url}> SELECT * WHERE { SERVICE p:x { ?s ?p ?o } }", 400),
    ("base-relative", "BASE <{url}> SELECT * WHERE { SERVICE <x> { ?s ?p ?o } }", 400),
    (
        "prefix-named-service",
        "PREFIX service: <{url}> SELECT * WHERE { SERVICE service:x { } }",
        400,
    ),
    (
        "variable-named-service",
        "SELECT ?service WHERE { ?service ?p ?o . SERVICE <{url}> { } }",
        400,
    ),
    ("variable-address", "SELECT * WHERE { VALUES ?u { <{url}> } SERVICE ?u { ?s ?p ?o } }", 400),
    ("bound-address", "SELECT * WHERE { BIND(<{url}> AS ?u) SERVICE ?u { ?s ?p ?o } }", 400),
    ("sub-select", "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } } } }", 400),
    (
        "nested-sub-selects",
        "SELECT * { { SELECT ?s { { SELECT ?s { SERVICE <{url}> { ?s ?p ?o } } LIMIT 1 } } } }",
        400,
    ),
    ("optional", "SELECT * WHERE { ?a ?b ?c OPTIONAL { SERVICE <{url}> { ?s ?p ?o } } }", 400),
    ("union", "SELECT * WHERE { { ?a ?b ?c } UNION { SERVICE <{url}> { ?s ?p ?o } } }", 400),
    ("minus", "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{url}> { ?s ?p ?o } } }", 400),
    ("exists", "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }", 400),
    ("graph", "SELECT * WHERE { GRAPH ?g { SERVICE <{url}> { ?s ?p ?o } } }", 400),
    ("ask", "ASK { SERVICE <{url}> { ?s ?p ?o } }", 400),
    ("construct", "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }", 400),
    ("describe", "DESCRIBE ?s WHERE { SERVICE <{url}> { ?s ?p ?o } }", 400),
    ("tab-and-newlines", "SELECT * WHERE {\n\tSERVICE\n\t<{url}>\n\t{ ?s ?p ?o } }", 400),
    ("after-long-string", 'SELECT * WHERE { BIND("""}\r""" AS ?x) SERVICE <{url}> { } }', 400),
    ("long-s", "SELECT * WHERE { \u017fERVICE <{url}> { ?s ?p ?o } }", 400),
    (
        "update-with-service",
        "INSERT { <urn:a> <urn:b> ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
        403,
    ),
    ("update-cr-comment", "#x\rINSERT { <urn:a> <urn:b> ?o } WHERE { SERVICE <{url}> { } }", 403),
    ("load", "LOAD <{url}data.ttl>", 403),
    # A prefix named as the check defaces the keyword, and SPARQL 1.2's optional reifier.
    (
        "prefix-named-as-defaced",
        "PREFIX : <{url}x> PREFIX SQQQQQQ: <http://example.org/> "
        "SELECT * WHERE { ?s ?p ?o ~ SERVICE:y { } }",
        400,
    ),
    (
        "prefix-named-as-defaced-lower",
        "PREFIX : <{url}x> PREFIX sqqqqqq: <http://example.org/> "
        "SELECT * WHERE { ?s ?p ?o ~ service:y { } }",
        400,
    ),
]


def payload(text: str, probe: Probe) -> str:
    return text.replace("{url}", f"http://127.0.0.1:{probe.server_port}/")


def test_the_probe_sees_what_oxigraph_calls(probe: Probe) -> None:
    # The harness is live: given a SERVICE, Oxigraph calls the probe (before a row is read).
    before = len(probe.seen)
    ox.Store().query(payload("SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }", probe))
    assert len(probe.seen) > before
    probe.seen.clear()


@pytest.fixture(scope="module")
def store(published: Published) -> ox.Store:
    current = snapshot.open_current(published.data_dir)
    assert current is not None
    return current


@pytest.mark.parametrize(
    ("text", "status"), [p[1:] for p in PAYLOADS], ids=[p[0] for p in PAYLOADS]
)
def test_service_and_updates_reach_nothing(
    probe: Probe, store: ox.Store, http: httpx.Client, text: str, status: int
) -> None:
    sparql = payload(text, probe)
    with pytest.raises(Refused) as refused:
        check_read_only(sparql)
    assert refused.value.status == status
    with pytest.raises(cli.QueryError):
        cli.run_query(store, sparql)
    r = http.post("/sparql", data={"query": sparql})
    assert r.status_code == status, r.text
    assert probe.seen == []


def test_service_refusals_say_so(probe: Probe, http: httpx.Client) -> None:
    for name, text, _ in PAYLOADS[:6]:
        r = http.get("/sparql", params={"query": payload(text, probe)})
        assert "SERVICE" in r.text, name
    assert probe.seen == []


OFFLINE = """
import socket, sys
from federator.server.worker import cut_off_network
refused = cut_off_network()
if refused is not None:
    print("not isolated", refused, sep="\\t")
    sys.exit()
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
    print("connected", "", sep="\\t")
except OSError as exc:
    print("unreachable", exc, sep="\\t")
"""


@pytest.fixture(scope="module")
def offline(probe: Probe) -> tuple[str, str]:
    """What a process that cut itself off the network saw connecting to the probe."""
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE, str(probe.server_port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    outcome, _, detail = done.stdout.strip().partition("\t")
    return outcome, detail


def test_a_worker_cut_off_the_network_reaches_nothing(
    probe: Probe, offline: tuple[str, str]
) -> None:
    outcome, detail = offline
    if outcome == "not isolated":
        pytest.skip(f"this kernel lets no process leave the network ({detail}): see SECURITY.md")
    assert outcome == "unreachable", detail
    assert probe.seen == []


def test_query_workers_run_in_a_network_of_their_own(
    server: RunningServer, offline: tuple[str, str]
) -> None:
    if offline[0] == "not isolated":
        pytest.skip(f"this kernel lets no process leave the network ({offline[1]})")
    workers = server.children()
    assert workers
    own = os.readlink(f"/proc/{server.process.pid}/ns/net")
    assert own not in {os.readlink(f"/proc/{pid}/ns/net") for pid in workers}
