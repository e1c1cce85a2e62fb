"""The configuration file (YAML), exactly as ``CONTRACT.md`` describes it.

Every setting is declared once below with its type, default and a one-line doc; unknown keys,
unknown formats and duplicate source ids are errors that name the file, line and key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from federator import yamlpos
from federator.errors import ConfigError

FORMATS = ("algoritmeregister-api", "algoritmeregister-json", "algoritmeregister-csv", "rdf")
LEVELS = ("national", "provincial", "municipal")
SOURCE_ID = re.compile(r"^[a-z0-9-]+$")
DEFAULT_PRIORITY = {"national": 10, "provincial": 20, "municipal": 20}


@dataclass(frozen=True)
class Setting:
    type: type | tuple[type, ...]
    default: Any
    doc: str


TOP_LEVEL: dict[str, Setting] = {
    "data_dir": Setting(
        str, "var", "state, store, raw payloads, dumps; relative to the config file"
    ),
    "base_iri": Setting(str, "https://algoritmes.example.org/", "minted IRIs live under it"),
    "server": Setting(dict, {}, "HTTP server: host, port, query_timeout, result_limit"),
    "harvest": Setting(dict, {}, "HTTP client: timeout, retries, backoff, max_bytes"),
    "resolve": Setting(dict, {}, "identity resolution: same / different pins, threshold"),
    "history": Setting(dict, {}, "run history: keep_runs"),
    "guard": Setting(dict, {}, "mass-withdrawal guard: max_withdrawn_share"),
    "publish": Setting(dict, {}, "after a local publish: remote SPARQL targets, the dump"),
    "sources": Setting(list, [], "the registers to harvest"),
}
SERVER: dict[str, Setting] = {
    "host": Setting(str, "127.0.0.1", "address to listen on"),
    "port": Setting(int, 8000, "port to listen on"),
    "query_timeout": Setting((int, float), 30, "seconds before a SPARQL query is stopped"),
    "result_limit": Setting(int, 10000, "most rows a SPARQL SELECT answers"),
}
HARVEST: dict[str, Setting] = {
    "timeout": Setting((int, float), 30, "seconds to wait for a connection or a read"),
    "retries": Setting(int, 5, "retries of transient failures (connection, 429, 5xx); at least 3"),
    "backoff": Setting((int, float), 0.5, "first back-off in seconds; doubles per retry"),
    "max_bytes": Setting(int, 200 * 1024 * 1024, "largest response body accepted"),
}
SOURCE: dict[str, Setting] = {
    "id": Setting(str, None, "[a-z0-9-]+, stable forever: it is in IRIs, state and logs"),
    "title": Setting(str, None, "human title of the register (defaults to the id)"),
    "level": Setting(str, None, "national | provincial | municipal"),
    "format": Setting(str, None, "one of " + ", ".join(FORMATS)),
    "url": Setting(str, None, "http(s) URL or local file path"),
    "organisation": Setting(str, None, "publisher: TOOI IRI, TOOI code or name (optional)"),
    "priority": Setting(int, None, "higher wins when registers disagree (default by level)"),
    "schedule": Setting((str, dict), None, "cron expression, or {every: 6h}"),
    "mapping": Setting(str, None, "mapping file; defaults to the built-in one of the format"),
    "timeout": Setting((int, float), 3600, "seconds a run of this source may take"),
}
PUBLISH: dict[str, Setting] = {
    "targets": Setting(list, [], "remote SPARQL servers that get every published graph"),
    "dump": Setting(
        bool,
        False,
        "also write data_dir/dumps/latest.nq.gz after each publish that "
        "changed a graph (the server builds it on request either way)",
    ),
}
TARGET: dict[str, Setting] = {
    "name": Setting(str, None, "[a-z0-9-]+: names the target in state, logs, metrics, --target"),
    "store": Setting(str, None, "SPARQL 1.1 Graph Store Protocol endpoint (http(s) URL)"),
    "query": Setting(str, None, "SPARQL query endpoint (optional): lets push find stale graphs"),
    "username_env": Setting(str, None, "environment variable holding the user name"),
    "password_env": Setting(str, None, "environment variable holding the password"),
    "token_env": Setting(str, None, "environment variable holding a bearer token"),
    "auth": Setting(str, "basic", "basic | digest: how username and password are sent"),
    "timeout": Setting((int, float), 30, "seconds to wait for a connection or an answer"),
    "retries": Setting(int, 5, "retries of transient failures (connection, 429, 5xx)"),
    "backoff": Setting((int, float), 0.5, "first back-off in seconds; doubles per retry"),
}
TARGET_NAME = re.compile(r"^[a-z0-9-]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
AUTH_SCHEMES = ("basic", "digest")
CREDENTIAL_KEYS = {  # keys people write for secrets, and the *_env key to use instead
    "user": "username_env",
    "username": "username_env",
    "password": "password_env",
    "token": "token_env",
}
RESOLVE: dict[str, Setting] = {
    "same": Setting(list, [], "pairs [[source, native id], [source, native id]] to merge"),
    "different": Setting(list, [], "pairs never to merge"),
    "threshold": Setting((int, float), None, "similarity score above which records match"),
}


@dataclass(frozen=True)
class SourceConfig:
    id: str
    title: str
    level: str
    format: str
    url: str
    organisation: str | None = None
    priority: int = 10
    schedule: str | dict[str, Any] | None = None
    mapping: Path | None = None
    timeout: float = 3600

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True)
class TargetConfig:
    """A remote SPARQL server that receives every published graph over the Graph Store
    Protocol. Credentials are names of environment variables, never the secrets themselves."""

    name: str
    store: str
    query: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    auth: str = "basic"
    timeout: float = 30
    retries: int = 5
    backoff: float = 0.5


@dataclass(frozen=True)
class PublishConfig:
    """What follows a local publish: pushes to remote targets and the compressed dump."""

    targets: tuple[TargetConfig, ...] = ()
    dump: bool = False

    def __bool__(self) -> bool:
        """True when a local publish has follow-up work (a dump to write or a target)."""
        return self.dump or bool(self.targets)

    def target(self, name: str) -> TargetConfig:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)


@dataclass(frozen=True)
class Config:
    path: Path
    data_dir: Path
    base_iri: str
    sources: tuple[SourceConfig, ...]
    server: dict[str, Any] = field(default_factory=dict)
    harvest: dict[str, Any] = field(default_factory=dict)
    resolve: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    guard: dict[str, Any] = field(default_factory=dict)
    publish: PublishConfig = field(default_factory=PublishConfig)

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)


def default_path() -> Path:
    return Path(os.environ.get("FEDERATOR_CONFIG") or "config/federator.yaml")


def load(path: str | Path) -> Config:
    """Read and check a configuration file; raise ``ConfigError`` naming file, line and key."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration: {exc.strerror}", file=file) from exc
    try:
        doc = yamlpos.load(text)
    except yamlpos.DuplicateKey as exc:
        raise ConfigError("duplicate key", file=file, line=exc.line, key=exc.key) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"malformed YAML: {problem}", file=file, line=line) from exc
    return _build(doc, path)


def dotted(*path: str | int) -> str:
    """('sources', 0, 'format') -> 'sources[0].format'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _check(
    data: Any, schema: dict[str, Setting], doc: yamlpos.Located, file: str, *prefix: str | int
) -> dict[str, Any]:
    where = dotted(*prefix) or "top level"
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping", file=file, line=doc.line(*prefix))
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = dotted(*prefix, key)
        if key not in schema:
            known = ", ".join(schema)
            raise ConfigError(
                f"unknown key (known: {known})", file=file, line=doc.line(*prefix, key), key=name
            )
        setting = schema[key]
        ok = isinstance(value, setting.type) and not (
            isinstance(value, bool) and setting.type in (int, (int, float))
        )
        if value is not None and not ok:
            expected = (
                setting.type.__name__
                if isinstance(setting.type, type)
                else " or ".join(t.__name__ for t in setting.type)
            )
            raise ConfigError(
                f"expected {expected}, got {type(value).__name__}",
                file=file,
                line=doc.line(*prefix, key),
                key=name,
            )
        out[key] = value
    for key, setting in schema.items():
        out.setdefault(key, setting.default)
    return out


def _build(doc: yamlpos.Located, path: Path) -> Config:
    file = str(path)
    top = _check(doc.data if doc.data is not None else {}, TOP_LEVEL, doc, file)
    server = _check(top["server"], SERVER, doc, file, "server")
    harvest = _check(top["harvest"], HARVEST, doc, file, "harvest")
    resolve = _check(top["resolve"], RESOLVE, doc, file, "resolve")
    if harvest["retries"] < 3:
        raise ConfigError(
            "must be at least 3",
            file=file,
            line=doc.line("harvest", "retries"),
            key="harvest.retries",
        )
    base_iri = top["base_iri"]
    if not re.match(r"^https?://[^/]+/", base_iri):
        raise ConfigError(
            "must be an http(s) IRI ending in a path, like https://example.org/",
            file=file,
            line=doc.line("base_iri"),
            key="base_iri",
        )
    if not base_iri.endswith("/"):
        base_iri += "/"
    root = path.parent
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for i, raw in enumerate(top["sources"]):
        sources.append(_source(raw, i, doc, file, root, seen))
    data_dir = Path(top["data_dir"])
    return Config(
        path=path,
        data_dir=data_dir if data_dir.is_absolute() else root / data_dir,
        base_iri=base_iri,
        sources=tuple(sources),
        server=server,
        harvest=harvest,
        resolve=resolve,
        history=top["history"] or {},
        guard=top["guard"] or {},
        publish=_publish(top["publish"] or {}, doc, file),
    )


def _defaults(values: dict[str, Any], schema: dict[str, Setting]) -> dict[str, Any]:
    """An explicit ``null`` means the default, like a missing key."""
    return {k: schema[k].default if v is None else v for k, v in values.items()}


def _publish(raw: Any, doc: yamlpos.Located, file: str) -> PublishConfig:
    p = _defaults(_check(raw, PUBLISH, doc, file, "publish"), PUBLISH)
    targets: list[TargetConfig] = []
    seen: set[str] = set()
    for i, entry in enumerate(p["targets"] or []):
        targets.append(_target(entry, i, doc, file, seen))
    return PublishConfig(targets=tuple(targets), dump=bool(p["dump"]))


def _target(raw: Any, i: int, doc: yamlpos.Located, file: str, seen: set[str]) -> TargetConfig:
    where = ("publish", "targets", i)

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(message, file=file, line=doc.line(*where, key), key=dotted(*where, key))

    for key in raw if isinstance(raw, dict) else ():
        if key in CREDENTIAL_KEYS:
            # The value is never echoed: it may be the secret itself.
            raise fail(
                key,
                "credentials never go in the configuration file: put the secret in an "
                f"environment variable and name it with {CREDENTIAL_KEYS[key]}",
            )
    t = _defaults(_check(raw, TARGET, doc, file, *where), TARGET)
    for key in ("name", "store"):
        if not t[key]:
            raise fail(key, "is required")
    if not TARGET_NAME.match(t["name"]):
        raise fail("name", f"{t['name']!r} must match [a-z0-9-]+")
    if t["name"] in seen:
        raise fail("name", f"duplicate target name {t['name']!r}")
    seen.add(t["name"])
    for key in ("store", "query"):
        url = t[key]
        if url is None:
            continue
        if not re.match(r"^https?://[^/@\s]+(/\S*)?$", url):
            if re.match(r"^https?://[^/\s]*@", url):
                raise fail(key, "credentials never go in the URL: use username_env/password_env")
            raise fail(key, "must be an http(s) URL")
    for key in ("username_env", "password_env", "token_env"):
        if t[key] is not None and not ENV_NAME.match(t[key]):
            raise fail(key, f"{t[key]!r} is not an environment variable name")
    if bool(t["username_env"]) != bool(t["password_env"]):
        missing = "password_env" if t["username_env"] else "username_env"
        raise fail(missing, "username_env and password_env go together")
    if t["token_env"] and t["username_env"]:
        raise fail("token_env", "use either token_env or username_env/password_env, not both")
    if t["auth"] not in AUTH_SCHEMES:
        raise fail("auth", f"unknown scheme {t['auth']!r} (known: {', '.join(AUTH_SCHEMES)})")
    if t["timeout"] <= 0:
        raise fail("timeout", "must be more than 0")
    if t["retries"] < 0 or t["backoff"] < 0:
        raise fail("retries" if t["retries"] < 0 else "backoff", "must not be negative")
    return TargetConfig(
        name=t["name"],
        store=t["store"],
        query=t["query"],
        username_env=t["username_env"],
        password_env=t["password_env"],
        token_env=t["token_env"],
        auth=t["auth"],
        timeout=float(t["timeout"]),
        retries=int(t["retries"]),
        backoff=float(t["backoff"]),
    )


def _source(
    raw: Any, i: int, doc: yamlpos.Located, file: str, root: Path, seen: set[str]
) -> SourceConfig:
    s = _check(raw, SOURCE, doc, file, "sources", i)

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(
            message, file=file, line=doc.line("sources", i, key), key=f"sources[{i}].{key}"
        )

    for key in ("id", "level", "format", "url"):
        if not s[key]:
            raise fail(key, "is required")
    if not SOURCE_ID.match(s["id"]):
        raise fail("id", f"{s['id']!r} must match [a-z0-9-]+")
    if s["id"] in seen:
        raise fail("id", f"duplicate source id {s['id']!r}")
    seen.add(s["id"])
    if s["level"] not in LEVELS:
        raise fail("level", f"unknown level {s['level']!r} (known: {', '.join(LEVELS)})")
    if s["format"] not in FORMATS:
        raise fail("format", f"unknown format {s['format']!r} (known: {', '.join(FORMATS)})")
    url = s["url"]
    if not url.startswith(("http://", "https://")):
        local = Path(url)
        url = str(local if local.is_absolute() else (root / local).resolve())
    mapping = None
    if s["mapping"]:
        mapping = Path(s["mapping"])
        if not mapping.is_absolute():
            mapping = root / mapping
        from federator.map import spec  # late: mapping files are their own module

        try:
            spec.load(mapping)
        except ConfigError as exc:
            raise fail("mapping", f"unreadable mapping file: {exc.message}") from exc
    schedule = s["schedule"]
    if schedule is not None:
        from federator.schedule import parse_schedule

        try:
            parse_schedule(schedule)
        except ValueError as exc:
            raise fail("schedule", str(exc)) from exc
    return SourceConfig(
        id=s["id"],
        title=s["title"] or s["id"],
        level=s["level"],
        format=s["format"],
        url=url,
        organisation=s["organisation"],
        priority=s["priority"] if s["priority"] is not None else DEFAULT_PRIORITY[s["level"]],
        schedule=schedule,
        mapping=mapping,
        timeout=float(s["timeout"]),
    )
