"""Every format of the contract, fetched from a real loopback server (and from local files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from federator.config import SourceConfig
from federator.errors import SourceError
from federator.harvest import Harvested, harvest
from federator.harvest.http import HttpClient
from federator.harvest.rawstore import RawStore
from federator.sim import RegisterServer


def api_record(i: int) -> dict[str, object]:
    return {
        "lars": f"{10000000 + i}",
        "name": f"Algoritme {i}",
        "organization": "Gemeente X",
        "create_dt": f"2024-01-01T00:00:{i % 60:02d}+00:00:{i:05d}",
    }


def src(fmt: str, url: str) -> SourceConfig:
    return SourceConfig(id="s", title="S", level="municipal", format=fmt, url=url)


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(retries=3, backoff=0.01, timeout=5)


def test_api_pages_until_total_count(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    registers.registers.api_records = [api_record(i) for i in range(250)]
    raw = RawStore(tmp_path)
    result = harvest(src("algoritmeregister-api", registers.api_url), client, raw)
    assert len(result.records) == 250
    assert [p.page for p in result.payloads] == [1, 2, 3]
    posts = [path for method, path, _ in registers.registers.requests if method == "POST"]
    assert posts == ["/api/algoritme/NLD"] * 3
    assert all(raw.has(p.sha256 or "") for p in result.payloads)


def test_api_deduplicates_records_shifted_by_a_publication_mid_crawl(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    regs = registers.registers
    regs.api_records = [api_record(i) for i in range(150)]

    def publish_after_first_page(page: int) -> None:
        if page == 1:
            regs.api_records.append({**api_record(999), "create_dt": "2099-01-01T00:00:00"})

    regs.after_page = publish_after_first_page
    result = harvest(src("algoritmeregister-api", registers.api_url), client, RawStore(tmp_path))
    lars = [r["lars"] for r in result.records]
    assert len(lars) == len(set(lars)) == 150  # the 150 it set out to read, no repeats
    assert result.duplicates_dropped == 1


@pytest.mark.parametrize("shape", ["list", "bulk"])
def test_json_list_or_bulk_export(
    shape: str, registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    records = [{"name": "A", "source_id": "A-1"}, {"name": "B", "source_id": "A-2"}]
    body = records if shape == "list" else {"algoritme_versions": records}
    registers.registers.put("r.json", json.dumps(body).encode())
    result = harvest(
        src("algoritmeregister-json", registers.file_url("r.json")), client, RawStore(tmp_path)
    )
    assert [r["source_id"] for r in result.records] == ["A-1", "A-2"]


CSV = '"algorithm_id","name","source_id","status"\n"","Één algoritme","U-1","In gebruik"\n'


@pytest.mark.parametrize(
    ("body", "label"),
    [
        (CSV.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CSV.encode("utf-8"), "utf-8 with BOM"),
        (CSV.encode("cp1252"), "windows-1252"),
        (CSV.replace(",", ";").encode("utf-8"), "semicolons"),
    ],
)
def test_csv_as_registers_write_it(
    body: bytes, label: str, registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    registers.registers.put("r.csv", body)
    result = harvest(
        src("algoritmeregister-csv", registers.file_url("r.csv")), client, RawStore(tmp_path)
    )
    assert result.records == [
        {"algorithm_id": "", "name": "Één algoritme", "source_id": "U-1", "status": "In gebruik"}
    ], label


def test_rdf_turtle(registers: RegisterServer, client: HttpClient, tmp_path: Path) -> None:
    ttl = b"""@prefix reg: <https://w3id.org/federator/vocab#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://x.example/a/1> a reg:Algorithm ; dcterms:identifier "X-1" ; dcterms:title "Een"@nl ."""
    registers.registers.put("r.ttl", ttl)
    result = harvest(src("rdf", registers.file_url("r.ttl")), client, RawStore(tmp_path))
    assert result.graph is not None and len(result.graph) == 3


def test_local_file_path(client: HttpClient, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('[{"name": "A", "source_id": "A-1"}]', encoding="utf-8")
    result = harvest(src("algoritmeregister-json", str(path)), client, RawStore(tmp_path))
    assert result.records[0]["source_id"] == "A-1"


@pytest.mark.parametrize(
    ("fault_or_body", "code", "words"),
    [
        ("html", "html_instead_of_data", "expected JSON but got an HTML page"),
        (b'{"algoritme_versions": [{"name": "A"', "truncated", "ends too early"),
        (b'[{"name": "A",, }]', "invalid_json", "invalid JSON at line 1"),
        (b'{"something": []}', "unexpected_shape", "expected a list of registrations"),
        (b"", "empty_document", "the document is empty"),
    ],
)
def test_bad_json_documents_name_the_source_and_the_problem(
    fault_or_body: str | bytes,
    code: str,
    words: str,
    registers: RegisterServer,
    client: HttpClient,
    tmp_path: Path,
) -> None:
    if isinstance(fault_or_body, str):
        registers.registers.put("r.json", b"[]")
        registers.registers.fault("/files/r.json", fault_or_body)
    else:
        registers.registers.put("r.json", fault_or_body)
    with pytest.raises(SourceError) as err:
        harvest(
            src("algoritmeregister-json", registers.file_url("r.json")), client, RawStore(tmp_path)
        )
    assert err.value.code == code
    assert words in err.value.message
    assert "source 's'" in err.value.message


def test_conditional_get_answers_304(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    registers.registers.put("r.json", b"[]")
    url = registers.file_url("r.json")
    first = harvest(src("algoritmeregister-json", url), client, RawStore(tmp_path))
    etag = first.payloads[0].etag
    assert etag
    second = harvest(
        src("algoritmeregister-json", url), client, RawStore(tmp_path), {url: {"etag": etag}}
    )
    assert second.not_modified
    assert registers.registers.headers[-1]["If-None-Match"] == etag


# -- spreadsheets as municipalities export them: headings of their own, any encoding ---------
SHEET = Path(__file__).resolve().parents[1] / "data" / "registers" / "gemeente-spreadsheet"


def sheet_rows() -> list[dict[str, str]]:
    import csv
    import io

    text = (SHEET / "algoritmes.txt").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def read_sheet(
    name: str, registers: RegisterServer, client: HttpClient, tmp_path: Path, **extra: str
) -> Harvested:
    registers.registers.put(name, (SHEET / name).read_bytes(), "text/csv; charset=utf-8")
    source = SourceConfig(
        id="s", title="S", level="municipal", format="csv", url=registers.file_url(name), **extra
    )
    return harvest(source, client, RawStore(tmp_path))


def test_a_csv_with_its_own_headings_is_read_as_written(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    # The reader does not ask for the standard's 'name' column: the mapping renames first.
    result = read_sheet("algoritmes-utf16.csv", registers, client, tmp_path)
    assert result.records == sheet_rows()
    assert "Naam algoritme" in result.records[0]
    assert result.notes == []  # UTF-16 with a BOM is no guess


def test_windows_1252_is_read_and_reported_as_a_guess(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    result = read_sheet("algoritmes.csv", registers, client, tmp_path)
    assert result.records == sheet_rows()
    (note,) = result.notes
    assert note["code"] == "guessed_encoding" and note["severity"] == "warning"
    assert "Windows-1252" in note["message_en"] and "'encoding'" in note["message_en"]
    assert "Mac Roman" not in note["message_en"]
    # Said once in the configuration, it is no guess.
    named = read_sheet("algoritmes.csv", registers, client, tmp_path, encoding="windows-1252")
    assert named.records == sheet_rows() and named.notes == []


def test_mac_roman_is_never_published_as_mojibake_without_a_word(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    result = read_sheet("algoritmes-macroman.csv", registers, client, tmp_path)
    (note,) = result.notes
    assert note["code"] == "guessed_encoding" and "mac-roman" in note["message_en"]
    named = read_sheet("algoritmes-macroman.csv", registers, client, tmp_path, encoding="mac-roman")
    assert named.records == sheet_rows() and named.notes == []


def test_a_named_encoding_that_does_not_fit_says_so(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    with pytest.raises(SourceError) as err:
        read_sheet("algoritmes.csv", registers, client, tmp_path, encoding="utf-8")
    assert err.value.code == "bad_encoding" and "utf-8" in err.value.message


def test_json_in_utf16_with_a_bom(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    body = json.dumps([{"name": "Één", "source_id": "A-1"}], ensure_ascii=False).encode("utf-16")
    registers.registers.put("r.json", body)
    result = harvest(src("json", registers.file_url("r.json")), client, RawStore(tmp_path))
    assert result.document == [{"name": "Één", "source_id": "A-1"}]


def test_xlsx_every_sheet_as_rows_dates_as_iso(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    registers.registers.put("r.xlsx", (SHEET / "algoritmes.xlsx").read_bytes())
    result = harvest(src("xlsx", registers.file_url("r.xlsx")), client, RawStore(tmp_path))
    assert result.sheets is not None
    assert list(result.sheets) == ["Toelichting", "Algoritmes"]
    rows = result.sheets["Algoritmes"]
    expected = sheet_rows()
    for row in expected:  # a date cell is read as an ISO date
        day, month, year = row["Datum ingebruikname"].split("-")
        row["Datum ingebruikname"] = f"{year}-{month}-{day}"
    assert rows == expected


def test_a_file_that_is_not_a_workbook(
    registers: RegisterServer, client: HttpClient, tmp_path: Path
) -> None:
    registers.registers.put("r.xlsx", b"Naam;Omschrijving\nA;B\n")
    with pytest.raises(SourceError) as err:
        harvest(src("xlsx", registers.file_url("r.xlsx")), client, RawStore(tmp_path))
    assert "not an xlsx workbook" in err.value.message
