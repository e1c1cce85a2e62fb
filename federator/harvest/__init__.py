"""Harvest stage: fetch a source's documents, keep them raw, read them into records.

Entry point: ``harvest(source, client, raw, validators)``. Errors: ``SourceError`` (the
source fails this run, its last good graph stays).

A harvest is bounded, whatever the register answers: at most ``harvest.max_pages`` pages of
the API, ``harvest.max_bytes`` bytes in all, ``harvest.deadline`` seconds of wall-clock time;
and paging stops at a page that adds no registration not already read (a register that pages
on without end). Each says so in the harvest log, in words.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from federator.config import SourceConfig
from federator.errors import SourceError
from federator.harvest import readers
from federator.harvest.http import HttpClient, Response, public_url
from federator.harvest.rawstore import RawStore

if TYPE_CHECKING:  # rdflib is loaded where RDF is read: most runs read none
    import rdflib

API_PAGE_SIZE = 100
API_LANGUAGE = "NLD"
ACCEPT = {
    "algoritmeregister-api": "application/json",
    "algoritmeregister-json": "application/json",
    "algoritmeregister-csv": "text/csv, text/plain;q=0.5",
    "rdf": "text/turtle, application/n-triples, application/ld+json, application/rdf+xml;q=0.9",
    "json": "application/json, application/ld+json;q=0.9",
    "csv": "text/csv, text/plain;q=0.5",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, */*;q=0.5",
}


@dataclass
class Payload:
    """One stored document: what was asked, what came back, where its bytes are."""

    url: str
    status: int
    sha256: str | None
    content_type: str = ""
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    page: int | None = None
    fetched_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Harvested:
    source_id: str
    payloads: list[Payload]
    records: list[dict[str, Any]] = field(default_factory=list)
    graph: rdflib.Graph | None = None
    document: Any = None  # format json: the parsed document (the mapping finds the records)
    sheets: dict[str, list[dict[str, Any]]] | None = None  # format xlsx: rows per sheet
    statuses: Counter[str] = field(default_factory=Counter)
    duplicates_dropped: int = 0
    # For the harvest log: issues without a record (``native_id`` None), each with severity,
    # code, value, message_en and message_nl, as validation writes them; the pipeline adds
    # them to the run's issues.
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Every document came back byte for byte as the last synced run read it: none was read
    # again, and the source is as unchanged as after a 304.
    same_as_last: bool = False

    @property
    def not_modified(self) -> bool:
        return self.same_as_last or (
            bool(self.payloads) and all(p.status == 304 for p in self.payloads)
        )


def harvest(
    source: SourceConfig,
    client: HttpClient,
    raw: RawStore,
    validators: dict[str, dict[str, str]] | None = None,
    last: Sequence[str | None] = (),
    expect: Callable[[int], None] | None = None,
    feed: Callable[[list[dict[str, Any]]], None] | None = None,
) -> Harvested:
    """Fetch every document of ``source``; conditional when ``validators`` has its URL.
    ``last``: the digests of the documents the last synced run read, in order; documents
    that come back the same are not read again (``Harvested.same_as_last``). ``expect``: told
    how many registrations a register's API names on the first page it reads; ``feed``: given
    the registrations read so far (one list, growing) after each page."""
    client.begin(
        username_env=source.username_env,
        password_env=source.password_env,
        token_env=source.token_env,
    )
    if source.format == "algoritmeregister-api" and source.is_remote:
        # POST-page the register API until ``total_count`` (``_page_api``)
        endpoint = source.url.rstrip("/") + f"/algoritme/{API_LANGUAGE}"
        with _Pages(client, endpoint) as pages:
            result = _page_api(source, pages, raw, last, expect, feed)
    else:
        known = validators or {}
        given = known.get(public_url(source.url)) or known.get(source.url)
        result = _harvest_document(source, client, raw, given, last)
    result.statuses = Counter(client.statuses)
    return result


def replay(source: SourceConfig, payloads: list[Payload], raw: RawStore) -> Harvested:
    """Read stored payloads again (for ``remap`` and replays), without fetching."""
    result = Harvested(source.id, payloads)
    if source.format == "algoritmeregister-api" and source.is_remote:
        seen: set[str] = set()
        for p in sorted(payloads, key=lambda p: p.page or 0):
            assert p.sha256
            page = readers.read_json(_where(source, p.url), raw.get(p.sha256), p.content_type)
            result.duplicates_dropped += _add_api_page(source, page, result.records, seen)
        return result
    p = payloads[0]
    assert p.sha256
    _read_into(source, result, raw.get(p.sha256), p.content_type, p.url)
    return result


def _where(source: SourceConfig, url: str) -> str:
    return f"source {source.id!r} ({public_url(url)})"


def _harvest_document(
    source: SourceConfig,
    client: HttpClient,
    raw: RawStore,
    validators: dict[str, str] | None,
    last: Sequence[str | None],
) -> Harvested:
    url = source.url
    if source.is_remote:
        headers = {}
        if validators:
            if validators.get("etag"):
                headers["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                headers["If-Modified-Since"] = validators["last_modified"]
        try:
            resp = client.request("GET", url, headers=headers, accept=ACCEPT[source.format])
        except SourceError as exc:
            raise SourceError(f"source {source.id!r}: {exc.message}", code=exc.code) from exc
        if resp.not_modified:
            return Harvested(
                source.id,
                [Payload(url=public_url(url), status=304, sha256=None, **validators_of(resp))],
            )
    else:
        resp = _read_file(source, client.max_bytes)
    digest = raw.put(resp.body)
    payload = Payload(
        url=public_url(url),
        status=resp.status,
        sha256=digest,
        content_type=resp.content_type,
        size=len(resp.body),
        **validators_of(resp),
    )
    result = Harvested(source.id, [payload])
    if list(last) == [digest]:  # what the last run read: a 304 in all but name
        result.same_as_last = True
    else:
        _read_into(source, result, resp.body, resp.content_type, url)
    return result


def validators_of(resp: Response) -> dict[str, Any]:
    return {"etag": resp.headers.get("ETag"), "last_modified": resp.headers.get("Last-Modified")}


def _read_file(source: SourceConfig, cap: int) -> Response:
    path = Path(source.url)
    try:
        size = path.stat().st_size
        if size > cap:
            raise SourceError(
                f"source {source.id!r}: {path} is larger than the cap of {cap:,} bytes",
                code="too_large",
            )
        body = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            f"source {source.id!r}: cannot read {path}: {exc.strerror}", code="unreadable"
        ) from exc
    return Response(url=str(path), status=200, body=body, content_type="", headers={})


def _read_into(source: SourceConfig, result: Harvested, body: bytes, ctype: str, url: str) -> None:
    where = _where(source, url)
    notes: list[dict[str, Any]] = []
    if source.format in ("algoritmeregister-csv", "csv"):
        result.records = readers.read_csv(where, body, ctype, source.encoding, notes)
    elif source.format == "xlsx":
        result.sheets = readers.read_xlsx(where, body, ctype)
    elif source.format == "rdf":
        result.graph = readers.read_rdf(where, body, ctype, url)
    elif source.format == "json":  # the mapping says where the records are
        result.document = readers.read_json(where, body, ctype, source.encoding, notes)
    else:
        data = readers.read_json(where, body, ctype, source.encoding, notes)
        result.records = readers.records_from_json(where, data)
    result.notes += notes  # how the text was decoded, when that was a guess


class _Pages:
    """The register API's pages, each asked on a thread of the harvest's own (one request at
    a time, in order, as before), so that the next page can be on its way while this one is
    read: the register's time to answer and ours to read overlap (a 200-page harvest over
    loopback, 0.6 s before). Leaving the ``with`` waits for a request still under way."""

    def __init__(self, client: HttpClient, endpoint: str) -> None:
        self.client, self.endpoint = client, endpoint
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="federator-harvest")
        self.ahead: dict[int, Future[Response]] = {}

    def __enter__(self) -> _Pages:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _post(self, page: int) -> Response:
        return self.client.request(
            "POST",
            self.endpoint,
            json={"page": page, "limit": API_PAGE_SIZE},
            accept="application/json",
        )

    def get(self, page: int, then: int | None) -> Response:
        """Page ``page`` (asked now, unless it is on its way already); ``then``: a page to
        ask for next, right after it. An error comes with the page it is of."""
        future = self.ahead.pop(page, None) or self.pool.submit(self._post, page)
        if then is not None and then not in self.ahead:
            self.ahead[then] = self.pool.submit(self._post, then)
        return future.result()


class _ApiRead:
    """What the pages read so far say: the registrations, and whether to ask for another."""

    def __init__(
        self,
        source: SourceConfig,
        endpoint: str,
        result: Harvested,
        expect: Callable[[int], None] | None,
        feed: Callable[[list[dict[str, Any]]], None] | None,
    ) -> None:
        self.source, self.endpoint, self.result, self.expect = source, endpoint, result, expect
        self.feed = feed
        self.seen: set[str] = set()
        self.ids: set[str] = set()  # native ids read: lars, else the register's own source_id
        self.total = 0
        self.last_page = 0  # the last page the total_count read so far names (0: none read yet)

    def read(self, page: int, resp: Response) -> bool:
        """Read page ``page``; whether paging goes on after it."""
        where = _where(self.source, f"{self.endpoint} page {page}")
        body = readers.read_json(where, resp.body, resp.content_type)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise SourceError(
                f"{where}: expected an object with 'results' and 'total_count'",
                code="unexpected_shape",
            )
        count = body.get("total_count")
        if not isinstance(count, int):
            raise SourceError(f"{where}: 'total_count' is missing", code="unexpected_shape")
        if self.expect is not None:
            self.expect(count)
            self.expect = None
        self.total = count
        before = len(self.ids)
        self.ids.update(_native_ids(body["results"]))
        result = self.result
        result.duplicates_dropped += _add_api_page(self.source, body, result.records, self.seen)
        if self.feed is not None:
            self.feed(result.records)
        self.last_page = max(1, math.ceil(self.total / API_PAGE_SIZE))
        # Records published during the crawl push others onto later pages: read one page past
        # the nominal end when we are still short.
        if len(self.seen) >= self.total or not body["results"] or page >= self.last_page + 2:
            return False
        if len(self.ids) == before:
            # Not one registration (by lars, or its own id) that was not read already: a
            # register that pages on like this would be paged without end.
            result.notes.append(_stalled(page, len(body["results"]), len(self.seen), self.total))
            return False
        return True


def _page_api(
    source: SourceConfig,
    pages: _Pages,
    raw: RawStore,
    last: Sequence[str | None],
    expect: Callable[[int], None] | None,
    feed: Callable[[list[dict[str, Any]]], None] | None,
) -> Harvested:
    """POST-page the register API until ``total_count``; pages shift, so de-duplicate by lars."""
    client, endpoint = pages.client, pages.endpoint
    result = Harvested(source.id, [])
    state = _ApiRead(source, endpoint, result, expect, feed)
    # Pages that come back byte for byte as the last run read them are put off: while every
    # page so far is the last run's, paging goes on as it did then. When all are, nothing is
    # read at all (a no-change run); at the first page that differs, the put-off ones are
    # read first, and paging goes on from what the pages say.
    put_off: list[Response] | None = [] if last else None
    page = 1
    shown = public_url(endpoint)
    while True:
        if page > client.max_pages:
            raise SourceError(
                f"source {source.id!r}: the register API still had pages after "
                f"{client.max_pages:,} (harvest.max_pages), {len(state.seen):,} registrations "
                f"read of the {state.total:,} its total_count names; the harvest was stopped",
                code="too_many_pages",
            )
        # The next page is asked for while this one is read only when the register's
        # total_count (or the last run, while the pages are its) says there is one, and
        # harvest.max_pages allows it: pages past that are asked for one at a time, when this
        # one says they are needed.
        known = len(last) if put_off is not None else state.last_page
        then = page + 1 if page + 1 <= min(known, client.max_pages) else None
        try:
            resp = pages.get(page, then)
        except SourceError as exc:
            raise SourceError(
                f"source {source.id!r}: page {page}: {exc.message}", code=exc.code
            ) from exc
        if put_off is None:  # the page is read before it is kept: a bad one is not kept
            goes_on = state.read(page, resp)
        digest = raw.put(resp.body)
        result.payloads.append(
            Payload(shown, resp.status, digest, resp.content_type, len(resp.body), page=page)
        )
        if put_off is not None:
            if page <= len(last) and last[page - 1] == digest:
                put_off.append(resp)
                if page == len(last):
                    result.same_as_last = True
                    return result
                page += 1
                continue
            for n, earlier in enumerate(put_off, 1):
                state.read(n, earlier)
            put_off = None
            goes_on = state.read(page, resp)
        if not goes_on:
            return result
        page += 1


def _native_ids(results: list[Any]) -> Iterator[str]:
    for record in results:
        if isinstance(record, dict):
            key = record.get("lars") or record.get("source_id")
            if key:
                yield str(key)


def _stalled(page: int, results: int, read: int, total: int) -> dict[str, Any]:
    return {
        "native_id": None,
        "title": None,
        "severity": "warning",
        "field": None,
        "code": "paging_stopped",
        "value": str(page),
        "message_en": (
            f"page {page} of the register API gave {results} registrations, none with an "
            f"identifier (lars or source_id) not already read; paging stopped there, with "
            f"{read} of the {total} registrations its total_count names"
        ),
        "message_nl": (
            f"pagina {page} van de API van het register gaf {results} registraties, geen "
            f"enkele met een nog niet gelezen identificatie (lars of source_id); het ophalen "
            f"is daar gestopt, met {read} van de {total} registraties die total_count noemt"
        ),
    }


def _add_api_page(
    source: SourceConfig, body: Any, out: list[dict[str, Any]], seen: set[str]
) -> int:
    dropped = 0
    for record in body.get("results", []):
        if not isinstance(record, dict):
            raise SourceError(
                f"source {source.id!r}: a result is not an object", code="unexpected_shape"
            )
        key = str(record.get("lars") or "")
        if key and key in seen:
            dropped += 1
            continue
        if key:
            seen.add(key)
        out.append(record)
    return dropped
