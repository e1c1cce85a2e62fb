"""The sections of the configuration that hold settings for the whole federator: the HTTP
server, the harvest client, identity resolution, the mass-withdrawal guard and the run history.
(Sources are ``configsources``'s, publish targets ``configpublish``'s; ``config`` puts them
together.) Each key is declared with ``settings.key``: kind, default, help and checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federator.configkinds import PINS
from federator.settings import INT, NUMBER, SECONDS, STR, key


@dataclass(frozen=True)
class ServerSettings:
    """Where ``serve`` and ``daemon`` listen, and the limits of the SPARQL endpoint."""

    host: str = key("127.0.0.1", STR, "address `serve`/`daemon` listen on")
    port: int = key(8000, INT, "port they listen on", least=0, most=65535)
    query_timeout: float = key(30.0, SECONDS, "a SPARQL query running longer is stopped", above=0)
    result_limit: int = key(10000, INT, "most rows a SELECT answers over HTTP", least=1)
    max_answer_bytes: int = key(
        64 * 1024 * 1024,
        INT,
        "most bytes one SPARQL answer may have; a larger one answers 500 naming this "
        "limit (ask for fewer rows or shorter values)",
        least=1024,
        shown="64 MiB",
    )
    worker_memory: int = key(
        1024 * 1024 * 1024,
        INT,
        "bytes of memory (heap) a query worker may take beyond what it holds once started; "
        "a query that needs more answers 500 and the worker is replaced",
        least=64 * 1024 * 1024,
        shown="1 GiB",
    )
    max_queries_per_client: int = key(
        1,
        INT,
        "SPARQL queries one client address may have in flight; one more answers 429 with "
        "`Retry-After` (behind a reverse proxy, see SECURITY.md)",
        least=1,
    )


@dataclass(frozen=True)
class HarvestSettings:
    """The HTTP client that fetches the registers."""

    timeout: float = key(30.0, SECONDS, "connect and read timeout per request", above=0)
    retries: int = key(
        5,
        INT,
        "retries of connection errors, 429 and 5xx, with exponential back-off honouring "
        "`Retry-After`",
        least=3,
    )
    backoff: float = key(0.5, SECONDS, "first back-off; doubles per retry (at most 60 s)", least=0)
    max_bytes: int = key(
        200 * 1024 * 1024,
        INT,
        "bytes one harvest of a source may fetch, every page and answer together; more fails "
        "the source (its last graph stays)",
        least=1,
        shown="200 MiB",
    )
    max_pages: int = key(
        1000,
        INT,
        "pages of the register API one harvest reads at most (100 records each); a register "
        "that pages on past it fails",
        least=1,
    )
    deadline: float = key(
        900.0,
        SECONDS,
        "wall-clock limit for one harvest of a source, every page, retry and slow answer "
        "included (`run --once` as the daemon); past it the source fails",
        above=0,
    )


@dataclass(frozen=True)
class ResolveSettings:
    """Identity resolution: pinned decisions, and the similarity threshold."""

    same: tuple[Any, ...] = key(
        (),
        PINS,
        "pinned decisions, pairs `[[source, native id], [source, native id]]` that are one "
        "algorithm; they always win",
    )
    different: tuple[Any, ...] = key((), PINS, "pinned pairs that are never one algorithm")
    threshold: float | None = key(
        None,
        NUMBER,
        "similarity score from which two records are one algorithm",
        shown="built-in (0.65)",
        least=0,
        most=1,
    )


@dataclass(frozen=True)
class GuardSettings:
    """The mass-withdrawal guard."""

    max_withdrawn_share: float = key(
        0.10,
        NUMBER,
        "a run that would withdraw more than this share of a source's records (or finds none) "
        "is held back until `run --once --accept-withdrawals`",
        shown="0.10",
        least=0,
        most=1,
    )


@dataclass(frozen=True)
class HistorySettings:
    """How much run history is kept."""

    keep_runs: int = key(200, INT, "runs kept per source (and per push target)", least=1)
