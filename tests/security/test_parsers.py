"""Parsers fetch nothing (issue 18, item 2): a register's document cannot make federator read
another address or a local file, nor expand entities."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from federator.config import SourceConfig
from federator.errors import SourceError
from federator.harvest import harvest
from federator.harvest.http import HttpClient
from federator.harvest.rawstore import RawStore
from federator.sim import Registers, RegisterServer

ALG = "https://w3id.org/federator/vocab#"


def rdf_source(url: str) -> SourceConfig:
    return SourceConfig(id="s", title="S", level="municipal", format="rdf", url=url)


def client() -> HttpClient:
    return HttpClient(retries=3, backoff=0.01, timeout=5)


def jsonld(context: object) -> bytes:
    return json.dumps(
        {"@context": context, "@id": "https://r.example/a", "name": "Parkeren"}
    ).encode()


@pytest.fixture
def probe() -> Iterator[RegisterServer]:
    with RegisterServer(Registers()) as server:
        server.registers.put("ctx.jsonld", json.dumps({"@context": {"name": ALG + "n"}}).encode())
        yield server


@pytest.mark.parametrize(
    "context",
    [
        "{probe}/files/ctx.jsonld",
        ["{probe}/files/ctx.jsonld"],
        [{"name": ALG + "n"}, "{probe}/files/ctx.jsonld"],
        {"@import": "{probe}/files/ctx.jsonld", "name": ALG + "n"},
        {"name": {"@id": ALG + "n", "@context": "{probe}/files/ctx.jsonld"}},
    ],
)
def test_jsonld_context_elsewhere_is_not_fetched(
    registers: RegisterServer, probe: RegisterServer, tmp_path: Path, context: object
) -> None:
    text = json.dumps(context).replace("{probe}", probe.url)
    # Served as Turtle's neighbour: the Content-Type alone makes it JSON-LD.
    registers.registers.put("reg", jsonld(json.loads(text)), "application/ld+json")
    with pytest.raises(SourceError) as err:
        harvest(rdf_source(registers.file_url("reg")), client(), RawStore(tmp_path))
    assert err.value.code == "remote_context"
    assert probe.registers.requests == []


def test_file_contexts_are_not_read_and_do_not_tell_which_paths_exist(
    registers: RegisterServer, tmp_path: Path
) -> None:
    present = tmp_path / "ctx.jsonld"
    present.write_text(json.dumps({"@context": {"name": ALG + "n"}}))
    messages = []
    for path in (present, tmp_path / "absent.jsonld"):
        registers.registers.put("reg", jsonld(f"file://{path}"), "application/ld+json")
        with pytest.raises(SourceError) as err:
            harvest(rdf_source(registers.file_url("reg")), client(), RawStore(tmp_path))
        assert err.value.code == "remote_context"
        messages.append(err.value.message)
    assert messages[0] == messages[1]
    assert str(tmp_path) not in messages[0]


def test_an_embedded_context_is_read(registers: RegisterServer, tmp_path: Path) -> None:
    registers.registers.put("reg", jsonld({"name": ALG + "n"}), "application/ld+json")
    result = harvest(rdf_source(registers.file_url("reg")), client(), RawStore(tmp_path))
    assert result.graph is not None and len(result.graph) == 1


ENTITIES = b"""<?xml version="1.0"?>
<!DOCTYPE r [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:n="https://w3id.org/federator/vocab#">
  <rdf:Description rdf:about="https://r.example/a"><n:n>&d;&d;&d;&d;</n:n></rdf:Description>
</rdf:RDF>
"""


def test_rdfxml_entities_are_refused_at_once(registers: RegisterServer, tmp_path: Path) -> None:
    registers.registers.put("reg", ENTITIES, "application/rdf+xml")
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        harvest(rdf_source(registers.file_url("reg")), client(), RawStore(tmp_path))
    assert err.value.code == "doctype"
    assert time.monotonic() - started < 2


def test_rdfxml_external_entity_names_no_file(registers: RegisterServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    doc = (
        ENTITIES.split(b"<!DOCTYPE")[0]
        + (
            f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:n="https://w3id.org/federator/vocab#"><rdf:Description '
            'rdf:about="https://r.example/a"><n:n>&x;</n:n></rdf:Description></rdf:RDF>'
        ).encode()
    )
    registers.registers.put("reg", doc, "application/rdf+xml")
    with pytest.raises(SourceError) as err:
        harvest(rdf_source(registers.file_url("reg")), client(), RawStore(tmp_path))
    assert err.value.code == "doctype" and "s3cret" not in err.value.message


def test_plain_rdfxml_is_read(registers: RegisterServer, tmp_path: Path) -> None:
    doc = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:n="https://w3id.org/federator/vocab#"><rdf:Description'
        b' rdf:about="https://r.example/a"><n:n>x</n:n></rdf:Description></rdf:RDF>'
    )
    registers.registers.put("reg", doc, "application/rdf+xml")
    result = harvest(rdf_source(registers.file_url("reg")), client(), RawStore(tmp_path))
    assert result.graph is not None and len(result.graph) == 1
