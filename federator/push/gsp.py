"""A SPARQL 1.1 Graph Store Protocol client for one remote target.

Retries are urllib3's (``Retry``: back-off, ``Retry-After``, connection errors, 429 and 5xx);
PUT and DELETE of a whole graph are idempotent, so retrying them is safe. Credentials come
from the environment variables the target names; they go into the ``Authorization`` header
and nowhere else (not into URLs, errors or logs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from federator.config import TargetConfig
from federator.harvest.http import retrying_session

NTRIPLES = "application/n-triples"
LIST_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"


class TargetError(Exception):
    """The target did not take a request (after retries); the message names no secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Bearer(AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def credentials(target: TargetConfig, environ: Mapping[str, str] | None = None) -> AuthBase | None:
    """The target's authentication, read from the environment; ``TargetError`` when a named
    variable is not set (the message names the variable, never a value)."""
    env = os.environ if environ is None else environ

    def read(key: str, name: str) -> str:
        value = env.get(name)
        if not value:
            raise TargetError(f"environment variable {name} ({key}) is not set")
        return value

    if target.token_env:
        return _Bearer(read("token_env", target.token_env))
    if target.username_env and target.password_env:
        user = read("username_env", target.username_env)
        password = read("password_env", target.password_env)
        if target.auth == "digest":
            return HTTPDigestAuth(user, password)
        return HTTPBasicAuth(user, password)
    return None


class GraphStore:
    """PUT, DELETE and list named graphs on one target."""

    def __init__(self, target: TargetConfig, environ: Mapping[str, str] | None = None) -> None:
        self.target = target
        self.auth = credentials(target, environ)
        self.session = retrying_session(target.retries, target.backoff)
        # Proxies from the environment would see the credentials; targets are reached directly.
        self.session.trust_env = False

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def put(self, graph: str, body: bytes) -> None:
        """Replace the named graph with these N-Triples."""
        self._send("PUT", graph, data=body, headers={"Content-Type": NTRIPLES})

    def delete(self, graph: str) -> None:
        """Remove the named graph; one the target does not have counts as removed."""
        self._send("DELETE", graph, missing_ok=True)

    def graphs(self) -> set[str] | None:
        """The target's named graphs, from its query endpoint; None when it has none."""
        if not self.target.query:
            return None
        resp = self._request(
            "POST",
            self.target.query,
            data={"query": LIST_GRAPHS},
            headers={"Accept": "application/sparql-results+json"},
        )
        if resp.status_code != 200:
            raise TargetError(f"{self.target.query} answered HTTP {resp.status_code} to a query")
        try:
            rows = resp.json()["results"]["bindings"]
            return {row["g"]["value"] for row in rows if "g" in row}
        except (ValueError, KeyError, TypeError) as exc:
            raise TargetError(f"{self.target.query} answered no SPARQL JSON results") from exc

    def _send(self, method: str, graph: str, missing_ok: bool = False, **kwargs: Any) -> None:
        resp = self._request(method, self.target.store, params={"graph": graph}, **kwargs)
        done = 200 <= resp.status_code < 300 or (missing_ok and resp.status_code == 404)
        if not done:
            hint = " (check the credentials)" if resp.status_code in (401, 403) else ""
            raise TargetError(
                f"{method} {self.target.store} answered HTTP {resp.status_code}{hint} for <{graph}>"
            )

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            resp = self.session.request(
                method,
                url,
                auth=self.auth,
                timeout=self.target.timeout,
                allow_redirects=False,
                **kwargs,
            )
        except requests.exceptions.RequestException as exc:
            raise TargetError(
                f"{url} could not be reached after {self.target.retries} retries ({_reason(exc)})"
            ) from None
        # The body is small (an error page at most) and only its status matters here.
        resp.close()
        return resp


def _reason(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None)
    return str(reason or type(inner).__name__)[:200]
