"""Documents that come back byte for byte as the last run read them are not read again: the
harvest says so (``same_as_last``), and reads everything as before as soon as one differs."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_formats import api_record, src

from federator.config import SourceConfig
from federator.errors import SourceError
from federator.harvest import Harvested, harvest
from federator.harvest.http import HttpClient
from federator.harvest.rawstore import RawStore
from federator.sim import RegisterServer


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(retries=3, backoff=0.01, timeout=5)


def digests(result: Harvested) -> list[str | None]:
    return [p.sha256 for p in result.payloads]


def posts(registers: RegisterServer) -> int:
    return sum(1 for method, _, _ in registers.registers.requests if method == "POST")


def harvested_once(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> tuple[SourceConfig, RawStore, list[str | None]]:
    """A register of 250 on three pages, harvested once: the source, its raw store and the
    digests of the pages read."""
    registers.registers.api_records = [api_record(i) for i in range(250)]
    source, raw = src("algoritmeregister-api", registers.api_url), RawStore(tmp_path)
    return source, raw, digests(harvest(source, client, raw))


def test_api_pages_as_the_last_run_read_them_are_not_read(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    registers.registers.api_records = [api_record(i) for i in range(250)]
    source, raw = src("algoritmeregister-api", registers.api_url), RawStore(tmp_path)
    first = harvest(source, client, raw)
    assert len(first.records) == 250 and not first.same_as_last
    asked = posts(registers)
    again = harvest(source, client, raw, last=digests(first))
    assert again.same_as_last and again.not_modified
    assert again.records == [] and again.notes == []
    # Every page was asked for, and paging stopped where the last run stopped.
    assert posts(registers) - asked == 3
    assert [p.page for p in again.payloads] == [1, 2, 3]
    assert digests(again) == digests(first)


@pytest.mark.parametrize("changed", [0, 120, 249])  # on the first page, the second, the last
def test_one_changed_page_reads_every_page_as_a_harvest_without_a_past(
    registers: RegisterServer, client: HttpClient, tmp_path: Path, changed: int
) -> None:
    regs = registers.registers
    source, raw, last = harvested_once(registers, client, tmp_path)
    regs.api_records = [dict(r) for r in regs.api_records]  # a new list: sorted again
    regs.api_records[changed]["name"] = "Hernoemd"
    fresh = harvest(source, client, raw)
    again = harvest(source, client, raw, last=last)
    assert not again.same_as_last and not again.not_modified
    assert again.records == fresh.records and len(again.records) == 250
    assert {r["name"] for r in again.records} >= {"Hernoemd"}
    assert digests(again) == digests(fresh)


def test_a_register_that_grew_is_read_whole(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    regs = registers.registers
    source, raw, last = harvested_once(registers, client, tmp_path)
    regs.api_records = regs.api_records + [api_record(i) for i in range(250, 330)]
    again = harvest(source, client, raw, last=last)
    assert not again.same_as_last
    assert len(again.records) == 330 and [p.page for p in again.payloads] == [1, 2, 3, 4]


def test_a_failing_page_fails_the_harvest_as_before(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    regs = registers.registers
    source, raw, last = harvested_once(registers, client, tmp_path)
    # Pages 1 and 2 as before (put off), then a maintenance page where page 3 was.
    regs.faults["/api/algoritme/NLD"].extend(["slow:0", "slow:0", "html"])
    with pytest.raises(SourceError) as err:
        harvest(source, client, raw, last=last)
    assert "page 3" in err.value.message and "HTML" in err.value.message


def test_a_document_as_the_last_run_read_it_is_not_read(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    regs = registers.registers
    regs.put("r.json", b'[{"name": "A", "source_id": "1"}]')
    source, raw = src("algoritmeregister-json", registers.file_url("r.json")), RawStore(tmp_path)
    first = harvest(source, client, raw)  # no validators given: a 200 every time
    again = harvest(source, client, raw, last=digests(first))
    assert again.same_as_last and again.records == []
    regs.put("r.json", b'[{"name": "B", "source_id": "1"}]')
    changed = harvest(source, client, raw, last=digests(first))
    assert not changed.same_as_last and changed.records == [{"name": "B", "source_id": "1"}]


def test_a_local_file_as_the_last_run_read_it_is_not_read(
    client: HttpClient, tmp_path: Path
) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b'[{"name": "A", "source_id": "1"}]')
    source, raw = src("algoritmeregister-json", str(path)), RawStore(tmp_path / "data")
    first = harvest(source, client, raw)
    assert harvest(source, client, raw, last=digests(first)).same_as_last
    # The last run's digests of other documents (another order, a 304) are no match.
    assert not harvest(source, client, raw, last=[None]).same_as_last
    assert not harvest(source, client, raw, last=digests(first) * 2).same_as_last
