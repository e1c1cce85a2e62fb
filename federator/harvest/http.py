"""One HTTP client for every harvest: retries with back-off, size cap, content checks.

Retries are urllib3's (``Retry``: back-off, ``Retry-After``, status list); we add what it does
not do: a cap on the body size, refusing redirects to another host, and recording every HTTP
status seen so the run log and ``/metrics`` can show them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from federator import __version__
from federator.errors import SourceError

USER_AGENT = (
    f"federator/{__version__} (algorithm register federation; +https://github.com/federator)"
)
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5


MAX_RETRY_AFTER = 60.0  # seconds: a server asking for longer is retried after this anyway


class _Retry(Retry):
    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)


def retrying_session(retries: int, backoff: float) -> requests.Session:
    """A session that retries connection errors, 429 and 5xx with exponential back-off,
    honouring Retry-After (urllib3's Retry), for any method, and never follows redirects
    itself (callers decide which redirects are acceptable)."""
    retry = _Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=60,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # paging POSTs and whole-graph PUTs are idempotent
        respect_retry_after_header=True,
        raise_on_status=False,
        redirect=0,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


@dataclass
class Response:
    url: str
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass
class HttpClient:
    """A ``requests`` session configured from the ``harvest`` settings."""

    timeout: float = 30
    retries: int = 5
    backoff: float = 0.5
    max_bytes: int = 200 * 1024 * 1024
    statuses: Counter[str] = field(default_factory=Counter)
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        self.session = retrying_session(self.retries, self.backoff)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> HttpClient:
        return cls(
            timeout=float(settings.get("timeout", 30)),
            retries=int(settings.get("retries", 5)),
            backoff=float(settings.get("backoff", 0.5)),
            max_bytes=int(settings.get("max_bytes", 200 * 1024 * 1024)),
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        accept: str = "*/*",
    ) -> Response:
        """Send one request (following same-host redirects); raise ``SourceError`` on failure."""
        host = urlsplit(url).netloc
        hdrs = {"Accept": accept, **(headers or {})}
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._send(method, url, json=json, headers=hdrs)
            if resp.status_code in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                target = urljoin(url, resp.headers["Location"])
                resp.close()
                if urlsplit(target).netloc != host:
                    raise SourceError(
                        f"{url} redirects to another host ({urlsplit(target).netloc}); "
                        "refusing to follow it: configure the new address if it is legitimate",
                        code="redirect_other_host",
                    )
                url = target
                if resp.status_code == 303:
                    method, json = "GET", None
                continue
            return self._read(url, resp)
        raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects", code="too_many_redirects")

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            resp = self.session.request(
                method, url, timeout=self.timeout, stream=True, allow_redirects=False, **kwargs
            )
        except requests.exceptions.RetryError as exc:
            self.statuses["retries_exhausted"] += 1
            raise SourceError(
                f"{url} kept failing after {self.retries} retries ({_reason(exc)})",
                code="unreachable",
            ) from exc
        except requests.exceptions.RequestException as exc:
            self.statuses["connection_error"] += 1
            raise SourceError(
                f"{url} could not be reached after {self.retries} retries ({_reason(exc)})",
                code="unreachable",
            ) from exc
        history = getattr(getattr(resp.raw, "retries", None), "history", ()) or ()
        for attempt in history:
            self.statuses[str(attempt.status) if attempt.status else "connection_error"] += 1
        self.statuses[str(resp.status_code)] += 1
        return resp

    def _read(self, url: str, resp: requests.Response) -> Response:
        with resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise _too_large(url, self.max_bytes)
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in resp.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _too_large(url, self.max_bytes)
                    chunks.append(chunk)
            except requests.exceptions.RequestException as exc:
                raise SourceError(
                    f"{url}: the response was cut off ({_reason(exc)}); the document is incomplete",
                    code="truncated",
                ) from exc
            body = b"".join(chunks)
        if resp.status_code >= 400:
            if resp.status_code in RETRY_STATUSES:
                raise SourceError(
                    f"{url} answered HTTP {resp.status_code} after {self.retries} retries",
                    code="unreachable",
                )
            raise SourceError(
                f"{url} answered HTTP {resp.status_code}", code=f"http_{resp.status_code}"
            )
        return Response(
            url=url,
            status=resp.status_code,
            body=body,
            content_type=resp.headers.get("Content-Type", ""),
            headers=dict(resp.headers),
        )


def _too_large(url: str, cap: int) -> SourceError:
    return SourceError(
        f"{url}: the response is larger than the cap of {cap:,} bytes (harvest.max_bytes)",
        code="too_large",
    )


def _reason(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None)
    return str(reason or inner)[:300]
