"""What follows a local publish: remote SPARQL servers fed over the Graph Store Protocol
(``publish.targets[]``) and the compressed dump. Credentials are names of environment
variables, never the secrets themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federator.configkinds import ENV, SLUG, URL, check_credentials
from federator.settings import BOOL, INT, LIST, SECONDS, STR, At, key

AUTH_SCHEMES = ("basic", "digest")


@dataclass(frozen=True)
class TargetConfig:
    """A remote SPARQL server that receives every published graph over the Graph Store
    Protocol. Credentials are names of environment variables, never the secrets themselves."""

    name: str = key(
        None, SLUG, "names the target in state, logs, metrics and `--target`", required=True
    )
    store: str = key(None, URL, "its SPARQL 1.1 Graph Store Protocol endpoint", required=True)
    query: str | None = key(None, URL, "its SPARQL query endpoint: lets `push` remove stale graphs")
    username_env: str | None = key(None, ENV, "environment variable holding the user name")
    password_env: str | None = key(
        None, ENV, "environment variable holding the password (with `username_env`)"
    )
    token_env: str | None = key(None, ENV, "environment variable holding a bearer token")
    auth: str = key(
        "basic", STR, "how username and password are sent", choices=AUTH_SCHEMES, noun="scheme"
    )
    timeout: float = key(30.0, SECONDS, "seconds to wait for a connection or an answer", above=0)
    retries: int = key(5, INT, "retries of connection errors, 429 and 5xx", least=0)
    backoff: float = key(0.5, SECONDS, "first back-off; doubles per retry (at most 60 s)", least=0)


@dataclass(frozen=True)
class PublishConfig:
    """What follows a local publish: pushes to remote targets and the compressed dump."""

    targets: tuple[TargetConfig, ...] = key(
        (),
        LIST,
        'remote SPARQL servers fed over the Graph Store Protocol (see "Serving at scale")',
        section=TargetConfig,
        unique=("name", "target name"),
    )
    dump: bool = key(
        False,
        BOOL,
        "also write `data_dir/dumps/latest.nq.gz` after each publish that changed "
        "a graph (the server builds it on request anyway)",
    )

    def __bool__(self) -> bool:
        """True when a local publish has follow-up work (a dump to write or a target)."""
        return self.dump or bool(self.targets)

    def target(self, name: str) -> TargetConfig:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)


def finish_target(values: dict[str, Any], at: At) -> TargetConfig:
    check_credentials(values, at)
    return TargetConfig(**values)
