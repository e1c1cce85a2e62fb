"""One HTTP client for every harvest: retries with back-off, size cap, content checks.

Retries are urllib3's (``Retry``: back-off, ``Retry-After``, status list); we add what it does
not do: a byte budget and a wall-clock deadline for a whole harvest (``begin``; every page,
retry and slow answer counts), refusing redirects to another host, credentials from
environment variables, and recording every HTTP status seen so the run log and ``/metrics``
can show them. No message names a URL's user, password or query (``public_url``).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies, get_netrc_auth
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

from federator import __version__
from federator.config import HarvestSettings
from federator.errors import SourceError

USER_AGENT = (
    f"federator/{__version__} (algorithm register federation; +https://github.com/federator)"
)
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5


MAX_RETRY_AFTER = 60.0  # seconds: a server asking for longer is retried after this anyway


def public_url(url: str) -> str:
    """``url`` as messages, logs and state may show it: without user, password, query or
    fragment (a query may carry a key, and userinfo a password)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    if not parts.scheme:
        return url.split("?", 1)[0]  # a local path
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class DeadlinePassed(Exception):
    """The harvest's wall-clock deadline passed (raised where urllib3 would sleep to retry)."""


@dataclass
class _Clock:
    """When the harvest in progress must end (monotonic seconds); None: no harvest began."""

    ends: float | None = None

    def left(self) -> float:
        return float("inf") if self.ends is None else self.ends - time.monotonic()


class _Retry(Retry):
    clock: _Clock | None = None

    def new(self, **kw: Any) -> _Retry:
        retry: _Retry = super().new(**kw)
        retry.clock = self.clock
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    def sleep(self, response: Any = None) -> None:
        # A back-off or Retry-After that would end past the deadline is not waited for.
        left = self.clock.left() if self.clock is not None else float("inf")
        wait = self.get_backoff_time()
        if response is not None:
            wait = max(wait, self.get_retry_after(response) or 0.0)
        if wait >= left:
            raise DeadlinePassed()
        super().sleep(response)


def retrying_session(retries: int, backoff: float, clock: _Clock | None = None) -> requests.Session:
    """A session that retries connection errors, 429 and 5xx with exponential back-off,
    honouring Retry-After (urllib3's Retry), for any method, and never follows redirects
    itself (callers decide which redirects are acceptable). With ``clock``, no retry waits
    past its deadline."""
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
    retry.clock = clock
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

    timeout: float = HarvestSettings.timeout
    retries: int = HarvestSettings.retries
    backoff: float = HarvestSettings.backoff
    max_bytes: int = HarvestSettings.max_bytes
    deadline: float = HarvestSettings.deadline
    max_pages: int = HarvestSettings.max_pages  # read by the harvest's paging
    statuses: Counter[str] = field(default_factory=Counter)
    session: requests.Session = field(init=False)
    clock: _Clock = field(init=False, default_factory=_Clock)
    spent: int = field(init=False, default=0)  # bytes read since ``begin``
    auth: Any = field(init=False, default=None)
    # scheme://host -> what the environment says for it (``_environment``), once a harvest
    environment: dict[str, dict[str, Any]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.session = retrying_session(self.retries, self.backoff, self.clock)
        # requests reads the environment (proxy variables, ~/.netrc, a CA bundle) again for
        # every request: a third of the client's time in a 200-page harvest. It is read here
        # once a harvest for each address instead (``_environment``), as requests reads it.
        self.session.trust_env = False

    def begin(
        self,
        *,
        username_env: str | None = None,
        password_env: str | None = None,
        token_env: str | None = None,
    ) -> None:
        """Start a harvest: its deadline and byte budget begin now; credentials (by the
        names of the environment variables that hold them) go with every request of it."""
        self.statuses.clear()
        self.clock.ends = time.monotonic() + self.deadline
        self.spent = 0
        self.auth = None
        self.environment.clear()
        if token_env:
            self.auth = _Bearer(_env(token_env))
        elif username_env and password_env:
            self.auth = (_env(username_env), _env(password_env))

    @classmethod
    def from_settings(cls, settings: HarvestSettings | dict[str, Any]) -> HttpClient:
        """From the ``harvest`` settings (a dict may give some of them, the rest default)."""
        given = settings if isinstance(settings, dict) else vars(settings)
        keys = ("timeout", "retries", "backoff", "max_bytes", "deadline", "max_pages")
        return cls(**{k: given[k] for k in keys if k in given})

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
            self._check_deadline(url)
            resp = self._send(method, url, json=json, headers=hdrs)
            if resp.status_code in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                target = urljoin(url, resp.headers["Location"])
                resp.close()
                if urlsplit(target).netloc != host:
                    raise SourceError(
                        f"{public_url(url)} redirects to another host "
                        f"({urlsplit(public_url(target)).netloc}); "
                        "refusing to follow it: configure the new address if it is legitimate",
                        code="redirect_other_host",
                    )
                url = target
                if resp.status_code == 303:
                    method, json = "GET", None
                continue
            return self._read(url, resp)
        raise SourceError(
            f"{public_url(url)}: more than {MAX_REDIRECTS} redirects", code="too_many_redirects"
        )

    def _check_deadline(self, url: str) -> None:
        if self.clock.left() <= 0:
            raise self._deadline(url)

    def _deadline(self, url: str) -> SourceError:
        return SourceError(
            f"{public_url(url)}: the harvest took longer than its deadline of "
            f"{self.deadline:g} s (harvest.deadline) and was stopped; the register answered "
            "too slowly, or too much",
            code="time_limit",
        )

    def _environment(self, url: str) -> dict[str, Any]:
        """What requests would take from the environment for ``url`` (its ``trust_env``):
        the proxies the proxy variables name (none when ``no_proxy`` covers the host),
        ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE``, and the host's ``.netrc`` login. All
        three depend on the scheme and the host only: read once for each."""
        where = "://".join(urlsplit(url)[:2])
        found = self.environment.get(where)
        if found is None:
            prepared = requests.PreparedRequest()
            prepared.prepare_url(url, None)  # the proxies are those of the URL as sent
            found = self.environment[where] = {
                "proxies": get_environ_proxies(prepared.url or url),
                "verify": (
                    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                ),
                "netrc": get_netrc_auth(url),
            }
        return found

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        # No single wait (connecting, or for the next bytes) outlasts the deadline.
        timeout = max(0.05, min(self.timeout, self.clock.left()))
        try:
            env = self._environment(url)  # what requests raises for a bad URL, it raises here
            resp = self.session.request(
                method,
                url,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
                auth=self.auth or env["netrc"],
                proxies=dict(env["proxies"]),
                verify=env["verify"],
                **kwargs,
            )
        except DeadlinePassed:
            raise self._deadline(url) from None
        except requests.exceptions.RetryError as exc:
            self.statuses["retries_exhausted"] += 1
            raise SourceError(
                f"{public_url(url)} kept failing after {self.retries} retries ({_reason(exc)})",
                code="unreachable",
            ) from exc
        except requests.exceptions.RequestException as exc:
            self.statuses["connection_error"] += 1
            if self.clock.left() <= 0:
                raise self._deadline(url) from exc
            raise SourceError(
                f"{public_url(url)} could not be reached after {self.retries} retries "
                f"({_reason(exc)})",
                code="unreachable",
            ) from exc
        history = getattr(getattr(resp.raw, "retries", None), "history", ()) or ()
        for attempt in history:
            self.statuses[str(attempt.status) if attempt.status else "connection_error"] += 1
        self.statuses[str(resp.status_code)] += 1
        return resp

    def _read(self, url: str, resp: requests.Response) -> Response:
        cap = self.max_bytes - self.spent  # what the harvest's budget leaves
        with resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise self._too_large(url)
            chunks: list[bytes] = []
            size = 0
            try:
                # One read from the socket at a time (read1), so that a register dripping its
                # answer byte by byte is stopped at the deadline, not only at a silence; small
                # reads, so that a compressed answer cannot inflate far past the cap in one.
                while chunk := resp.raw.read1(16384, decode_content=True):
                    size += len(chunk)
                    if size > cap:
                        raise self._too_large(url)
                    chunks.append(chunk)
                    self._check_deadline(url)
            except (requests.exceptions.RequestException, Urllib3Error, OSError) as exc:
                if self.clock.left() <= 0:
                    raise self._deadline(url) from exc
                raise SourceError(
                    f"{public_url(url)}: the response was cut off ({_reason(exc)}); the "
                    "document is incomplete",
                    code="truncated",
                ) from exc
            body = b"".join(chunks)
            self.spent += size
        if resp.status_code >= 400:
            shown = public_url(url)
            if resp.status_code in RETRY_STATUSES:
                raise SourceError(
                    f"{shown} answered HTTP {resp.status_code} after {self.retries} retries",
                    code="unreachable",
                )
            raise SourceError(
                f"{shown} answered HTTP {resp.status_code}", code=f"http_{resp.status_code}"
            )
        return Response(
            url=url,
            status=resp.status_code,
            body=body,
            content_type=resp.headers.get("Content-Type", ""),
            headers=dict(resp.headers),
        )

    def _too_large(self, url: str) -> SourceError:
        earlier = f", {self.spent:,} of them in the harvest's earlier answers" if self.spent else ""
        return SourceError(
            f"{public_url(url)}: the response is larger than the cap of {self.max_bytes:,} "
            f"bytes (harvest.max_bytes, for every answer of one harvest together{earlier})",
            code="too_large",
        )


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SourceError(
            f"the environment variable {name}, named for this source's credentials, is not "
            "set (or empty)",
            code="credentials_missing",
        )
    return value


def _reason(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None)
    text = str(reason or inner)
    # urllib3 quotes the URL it asked (host, path and query) in its reasons: cut them out.
    for word in text.split():
        if "://" in word or "url=" in word or "?" in word:
            text = text.replace(word, "(…)")
    return text[:300]
