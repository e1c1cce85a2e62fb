"""The configuration file (YAML), exactly as ``CONTRACT.md`` describes it.

Every key is declared once, below, as a field of the typed class that holds it, with its kind,
default and a line of help. Loading, checking and the README's settings table
(``settings_table``) all come from those declarations: an unknown key anywhere, a value of the
wrong kind, an unknown format and a duplicate source id are errors that name the file, line and
key. What needs other modules to check (mapping files, schedules) is ``configcheck``'s; this
module is a leaf that imports nothing of federator but its errors and the YAML reader.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph
import yaml

from federator import yamlpos
from federator.errors import ConfigError

FORMATS = (
    "algoritmeregister-api",
    "algoritmeregister-json",
    "algoritmeregister-csv",
    "rdf",
    "json",
    "csv",
    "xlsx",
)
MAPPED_FORMATS = ("json", "csv", "xlsx")  # no built-in mapping: the source names its own
LEVELS = ("national", "provincial", "municipal")
REGISTER_KINDS = ("own", "many")
AUTH_SCHEMES = ("basic", "digest")
DEFAULT_PRIORITY = {"national": 10, "provincial": 20, "municipal": 20}
SOURCE_ID = re.compile(r"^[a-z0-9-]+$")
TARGET_NAME = SOURCE_ID
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CREDENTIAL_KEYS = {  # keys people write for secrets, and the *_env key to use instead
    "user": "username_env",
    "username": "username_env",
    "password": "password_env",
    "token": "token_env",
}
# URL query parameters that carry a secret (compared without case, '-' and '_').
SECRET_PARAMS = re.compile(
    r"(client)?secret|(access|auth|api|bearer|id|refresh)?token|apikey|key|pass(word|wd)?|pwd"
    r"|sig(nature)?"
)


# -- how a key is declared -------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """What YAML may give for a key: a name for the README, the Python types it may have (``bool``
    never counts as a number), and how the value is stored."""

    name: str
    types: tuple[type, ...]
    convert: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class Setting:
    """One key: its kind, default (what an absent key or ``null`` means), help and checks."""

    kind: Kind
    doc: str
    default: Any = None
    shown: str | None = None  # the default as the README gives it, when not the value itself
    required: bool = False
    choices: tuple[str, ...] = ()  # the allowed values; ``noun`` names them in errors
    noun: str = "value"
    least: float | None = None  # inclusive bounds, and an exclusive lower one
    above: float | None = None
    most: float | None = None
    section: type | None = None  # a mapping of declared keys (or, for a list, its entries)
    keep_mapping: bool = False  # a checked mapping is stored as written (``schedule``)
    unique: tuple[str, str] | None = None  # entries: (key, noun) no two entries may share


def key(
    default: Any,
    kind: Kind,
    doc: str = "",
    *,
    init: Any = MISSING,
    **checks: Any,
) -> Any:
    """A dataclass field that is a configuration key. ``init`` is the constructor's default when
    it is not the configuration's (``MISSING``: the same; ``REQUIRED``: none)."""
    setting = Setting(kind, doc, default, **checks)
    if init is MISSING:
        init = REQUIRED if setting.required else default
    meta = {"setting": setting}
    if init is REQUIRED:
        return field(metadata=meta)
    if isinstance(init, list | dict):  # pragma: no cover - declarations use tuples
        raise TypeError("mutable default")
    return field(default=init, metadata=meta)


REQUIRED: Any = object()  # ``key(init=REQUIRED)``: the constructor needs it


def declared(cls: type) -> dict[str, Setting]:
    """The configuration keys of a declaring class, in order."""
    out: dict[str, Setting] = {}
    f: Field[Any]
    for f in fields(cls):
        if "setting" in f.metadata:
            out[f.name] = f.metadata["setting"]
    return out


def _slug(value: str) -> str:
    if not SOURCE_ID.match(value):
        raise ValueError(f"{value!r} must match [a-z0-9-]+")
    return value


def _env_name(value: str) -> str:
    if not ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not an environment variable name")
    return value


def _no_secrets(url: str) -> None:
    """Refuse ``user:pass@`` and secret-looking query parameters; never echo the URL."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError(
            "credentials never go in the URL: name environment variables with "
            "username_env/password_env (or token_env)"
        )
    for name, _ in parse_qsl(parts.query, keep_blank_values=True):
        if SECRET_PARAMS.fullmatch(name.lower().replace("-", "").replace("_", "")):
            raise ValueError(
                f"credentials never go in the URL (query parameter {name!r}): "
                "name an environment variable with token_env"
            )


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
        raise ValueError("must be an http(s) URL")
    _no_secrets(value)
    try:
        ok = bool(urlsplit(value).hostname) and urlsplit(value).port != 0
    except ValueError:  # a port that is not a number, or out of range
        ok = False
    if not ok:
        raise ValueError("must be an http(s) URL")
    return value


def _source_url(value: str) -> str:
    """An http(s) URL or a local file path (no other scheme)."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL (in lower case) or a local file path")
        try:
            return _http_url(value)
        except ValueError as exc:
            if "credentials" in str(exc):
                raise
            raise ValueError("must be an http(s) URL or a local file path") from exc
    return value


def _language(value: str) -> str:
    """A BCP 47 language tag (``nl``, ``en``, ``fy``, ``en-GB``), in lower case."""
    if not re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", value):
        raise ValueError(f"{value!r} is not a language tag (like nl, en, fy)")
    return value.lower()


def _encoding(value: str) -> str:
    """A text encoding Python knows (``utf-8``, ``utf-16``, ``windows-1252``, ``mac-roman``)."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(
            f"unknown encoding {value!r} (for instance utf-8, utf-16, windows-1252, mac-roman)"
        ) from None
    return value


def _base_iri(value: str) -> str:
    """An absolute http(s) IRI the store accepts, without query or fragment, ending in '/'."""
    problem = "must be an absolute http(s) IRI ending in a path, like https://example.org/"
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError(problem)
    if "@" in parts.netloc or parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(problem + " (no user, query or fragment)")
    if not value.endswith("/"):
        value += "/"
    try:
        pyoxigraph.NamedNode(value + "id/x")
    except ValueError as exc:
        raise ValueError(f"{problem}: {exc}") from None
    return value


class _Invalid(ValueError):
    """A value's problem, at a path inside the value (an item of a list)."""

    def __init__(self, message: str, *sub: str | int) -> None:
        super().__init__(message)
        self.sub = sub


def _pins(value: list[Any]) -> tuple[Any, ...]:
    for i, pair in enumerate(value):
        ok = isinstance(pair, list) and len(pair) == 2
        ok = ok and all(
            isinstance(one, list)
            and len(one) == 2
            and all(isinstance(x, str | int) and not isinstance(x, bool) for x in one)
            for one in pair
        )
        if not ok:
            raise _Invalid("not a pair [[source, native id], [source, native id]]", i)
    return tuple(value)


STR = Kind("text", (str,))
SLUG = Kind("`[a-z0-9-]+`", (str,), _slug)
INT = Kind("int", (int,))
NUMBER = Kind("number", (int, float), float)
SECONDS = Kind("seconds", (int, float), float)
BOOL = Kind("bool", (bool,))
PATH = Kind("path", (str,))
URL = Kind("http(s) URL", (str,), _http_url)
IRI = Kind("http(s) IRI", (str,), _base_iri)
LANGUAGE = Kind("language tag", (str,), _language)
ENCODING = Kind("encoding", (str,), _encoding)
LOCATION = Kind("URL or path", (str,), _source_url)
ENV = Kind("variable name", (str,), _env_name)
LIST = Kind("list", (list,), tuple)
PINS = Kind("list of pairs", (list,), _pins)
SECTION = Kind("mapping", (dict,))
SCHEDULE = Kind("cron or `{every: …}`", (str, dict))


# -- the declarations --------------------------------------------------------------------------
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


@dataclass(frozen=True)
class ScheduleSettings:
    """A schedule written as a mapping; ``SourceConfig.schedule`` keeps it as written."""

    every: str = key(
        None, STR, "interval: a number and `s`, `m`, `h` or `d`, like `6h`", required=True
    )
    jitter: float | None = key(
        None,
        SECONDS,
        "up to this many seconds later, at random",
        shown="a tenth of the interval, at most 60",
        least=0,
    )


@dataclass(frozen=True)
class SourceConfig:
    """A register to harvest."""

    id: str = key(None, SLUG, "stable forever: it is in IRIs, state and logs", required=True)
    title: str = key(None, STR, "the register's name", shown="the id", init=REQUIRED)
    level: str = key(None, STR, "the government level", required=True, choices=LEVELS, noun="level")
    format: str = key(
        None,
        STR,
        "the register's layout (see Formats)",
        required=True,
        choices=FORMATS,
        noun="format",
    )
    url: str = key(
        None,
        LOCATION,
        "an `http(s)` URL, or a local file path (relative to the configuration file)",
        required=True,
    )
    organisation: str | None = key(
        None,
        STR,
        "the register's publisher: TOOI IRI, TOOI code or name",
        shown="one named by `title`",
    )
    lists: str | None = key(
        None,
        STR,
        "whose algorithms the register lists: `own` (it belongs to its `organisation`, at "
        "any level) or `many` (organisations name themselves in each record)",
        shown="`many` for `algoritmeregister-api` or without `organisation`, else `own`",
        choices=REGISTER_KINDS,
        noun="register kind",
    )
    priority: int = key(
        None,
        INT,
        "survivorship: higher wins when registers disagree about one algorithm",
        shown="national 10, others 20",
        init=10,
    )
    schedule: str | dict[str, Any] | None = key(
        None,
        SCHEDULE,
        "when the daemon runs it: a cron expression (UTC), or a mapping",
        shown="not scheduled",
        section=ScheduleSettings,
        keep_mapping=True,
    )
    mapping: Path | None = key(
        None,
        PATH,
        "mapping file (relative to the configuration file)",
        shown="the format's built-in one",
    )
    language: str = key(
        "nl",
        LANGUAGE,
        "the language of the register's text where the data does not say (a record's own "
        "language field, or an RDF literal's tag, wins)",
    )
    encoding: str | None = key(
        None,
        ENCODING,
        "the text encoding of the register's documents, overriding detection",
        shown="detected: UTF-8 with or without BOM, UTF-16/32 with BOM, else Windows-1252 "
        "(a guess, said in the harvest log)",
    )
    timeout: float = key(
        3600.0, SECONDS, "the daemon abandons a run of this source after this long", above=0
    )
    username_env: str | None = key(
        None, ENV, "environment variable holding the user name for HTTP basic auth"
    )
    password_env: str | None = key(
        None, ENV, "environment variable holding the password (with `username_env`)"
    )
    token_env: str | None = key(None, ENV, "environment variable holding a bearer token")

    @property
    def is_remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))

    @property
    def own_register(self) -> bool:
        """Whether the register belongs to one organisation (its ``organisation``) rather
        than listing many: ``lists``, else ``own`` when an organisation is configured and the
        format is not the national register's API."""
        if self.lists is not None:
            return self.lists == "own" and bool(self.organisation)
        return bool(self.organisation) and self.format != "algoritmeregister-api"


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


@dataclass(frozen=True)
class Config:
    path: Path
    data_dir: Path = key(
        "var",
        PATH,
        "state (`state.sqlite`), the store, raw payloads (`raw/`), read-only "
        "snapshots, published-graph digests, dumps; relative to the configuration file",
        init=Path("var"),
    )
    base_iri: str = key(
        "https://algoritmes.example.org/",
        IRI,
        "minted IRIs live under it: "
        "`id/algorithm/…`, `id/record/{source}/…`, `id/catalog/{source}`, `graph/…`",
    )
    server: ServerSettings = key(ServerSettings(), SECTION, section=ServerSettings)
    harvest: HarvestSettings = key(HarvestSettings(), SECTION, section=HarvestSettings)
    resolve: ResolveSettings = key(ResolveSettings(), SECTION, section=ResolveSettings)
    guard: GuardSettings = key(GuardSettings(), SECTION, section=GuardSettings)
    history: HistorySettings = key(HistorySettings(), SECTION, section=HistorySettings)
    publish: PublishConfig = key(PublishConfig(), SECTION, section=PublishConfig)
    sources: tuple[SourceConfig, ...] = key(
        (),
        LIST,
        "the registers to harvest",
        section=SourceConfig,
        unique=("id", "source id"),
    )
    lines: yamlpos.Located | None = field(default=None, compare=False, repr=False)

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def error(self, message: str, *path: str | int) -> ConfigError:
        """A configuration error about the key at ``path``, naming this file and its line."""
        line = self.lines.line(*path) if self.lines is not None else None
        return ConfigError(message, file=str(self.path), line=line, key=dotted(*path))


# -- loading ---------------------------------------------------------------------------------
def default_path() -> Path:
    return Path(os.environ.get("FEDERATOR_CONFIG") or "config/federator.yaml")


def load(path: str | Path) -> Config:
    """Read and check a configuration file; raise ``ConfigError`` naming file, line and key.
    Mapping files and schedules are checked by ``configcheck.check``."""
    path = Path(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration: {exc.strerror}", file=file) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("the configuration is not UTF-8 text", file=file) from exc
    try:
        doc = yamlpos.load(text)
    except yamlpos.Problem as exc:
        raise ConfigError(exc.message, file=file, line=exc.line, key=exc.key) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"malformed YAML: {problem}", file=file, line=line) from exc
    cfg = _build(Config, doc.data, _At(doc, file, path.parent))
    assert isinstance(cfg, Config)
    return cfg


def dotted(*path: str | int) -> str:
    """('sources', 0, 'format') -> 'sources[0].format'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


@dataclass(frozen=True)
class _At:
    """Where in the file a value is: errors about it name the file, its line and its key."""

    doc: yamlpos.Located
    file: str
    root: Path  # the configuration file's folder: relative paths start there
    path: tuple[str | int, ...] = ()

    def __call__(self, *sub: str | int) -> _At:
        return replace(self, path=(*self.path, *sub))

    def fail(self, message: str, *sub: str | int) -> ConfigError:
        path = (*self.path, *sub)
        return ConfigError(message, file=self.file, line=self.doc.line(*path), key=dotted(*path))


def _build(cls: type, raw: Any, at: _At) -> Any:
    """An instance of a declaring class from its YAML mapping."""
    values = _read(cls, raw, at)
    finish = _FINISH.get(cls)
    return finish(values, at) if finish else cls(**values)


def _read(cls: type, raw: Any, at: _At) -> dict[str, Any]:
    """The declared keys of ``cls`` in ``raw``: each checked and converted, absent ones (and
    ``null``) their default. Any other key is an error naming it."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise at.fail(f"{dotted(*at.path) or 'the top level'} must be a mapping")
    settings = declared(cls)
    for name in raw:
        if name in settings:
            continue
        if name in CREDENTIAL_KEYS and CREDENTIAL_KEYS[name] in settings:
            # The value is never echoed: it may be the secret itself.
            raise at.fail(
                "credentials never go in the configuration file: put the secret in an "
                f"environment variable and name it with {CREDENTIAL_KEYS[name]}",
                str(name),
            )
        raise at.fail(f"unknown key (known: {', '.join(settings)})", str(name))
    out: dict[str, Any] = {}
    for name, setting in settings.items():
        value = raw.get(name)
        if value is None or (setting.required and value == ""):
            if setting.required:
                raise at.fail("is required", name)
            out[name] = setting.default
        else:
            out[name] = _value(setting, value, at(name))
    return out


def _value(s: Setting, value: Any, at: _At) -> Any:
    kind = s.kind
    if isinstance(value, bool) and bool not in kind.types or not isinstance(value, kind.types):
        expected = " or ".join(t.__name__ for t in kind.types)
        raise at.fail(f"expected {expected}, got {type(value).__name__}")
    if s.section is not None and isinstance(value, dict):
        built = _build(s.section, value, at)
        return value if s.keep_mapping else built
    if s.section is not None and isinstance(value, list):
        entries = tuple(_build(s.section, item, at(i)) for i, item in enumerate(value))
        if s.unique:
            name, noun = s.unique
            seen: set[Any] = set()
            for i, entry in enumerate(entries):
                if getattr(entry, name) in seen:
                    raise at.fail(f"duplicate {noun} {getattr(entry, name)!r}", i, name)
                seen.add(getattr(entry, name))
        return entries
    try:
        value = kind.convert(value)
    except ValueError as exc:
        raise at.fail(str(exc), *getattr(exc, "sub", ())) from None
    if s.choices and value not in s.choices:
        raise at.fail(f"unknown {s.noun} {value!r} (known: {', '.join(s.choices)})")
    if s.least is not None and value < s.least:
        raise at.fail("must not be negative" if s.least == 0 else f"must be at least {s.least:g}")
    if s.above is not None and value <= s.above:
        raise at.fail(f"must be more than {s.above:g}")
    if s.most is not None and value > s.most:
        raise at.fail(f"must be at most {s.most:g}")
    return value


def _credentials(values: dict[str, Any], at: _At) -> None:
    if bool(values["username_env"]) != bool(values["password_env"]):
        missing = "password_env" if values["username_env"] else "username_env"
        raise at.fail("username_env and password_env go together", missing)
    if values["token_env"] and values["username_env"]:
        raise at.fail("use either token_env or username_env/password_env, not both", "token_env")


def _finish_source(values: dict[str, Any], at: _At) -> SourceConfig:
    _credentials(values, at)
    if values["lists"] == "own" and not values["organisation"]:
        raise at.fail("a register that lists its own algorithms names its organisation", "lists")
    organisation = values["organisation"] or ""
    if "://" in organisation:  # an IRI is published as it is: the store must accept it
        try:
            pyoxigraph.NamedNode(organisation)
        except ValueError as exc:
            raise at.fail(f"is not an IRI the store accepts: {exc}", "organisation") from None
    url = values["url"]
    if not url.startswith(("http://", "https://")):
        local = Path(url)
        url = str(local if local.is_absolute() else (at.root / local).resolve())
    mapping = values["mapping"]
    if mapping is None and values["format"] in MAPPED_FORMATS:
        raise at.fail(
            f"format {values['format']!r} reads any layout through a mapping file: name it "
            "with 'mapping' (see docs/mappings.md)",
            "format",
        )
    if mapping is not None:
        mapping = Path(mapping)
        mapping = mapping if mapping.is_absolute() else at.root / mapping
    priority = values["priority"]
    return SourceConfig(
        **{
            **values,
            "title": values["title"] or values["id"],
            "url": url,
            "mapping": mapping,
            "priority": DEFAULT_PRIORITY[values["level"]] if priority is None else priority,
        }
    )


def _finish_target(values: dict[str, Any], at: _At) -> TargetConfig:
    _credentials(values, at)
    return TargetConfig(**values)


def _finish_config(values: dict[str, Any], at: _At) -> Config:
    data_dir = Path(values["data_dir"])
    values["data_dir"] = data_dir if data_dir.is_absolute() else at.root / data_dir
    return Config(path=Path(at.file), lines=at.doc, **values)


_FINISH: dict[type, Callable[[dict[str, Any], _At], Any]] = {
    SourceConfig: _finish_source,
    TargetConfig: _finish_target,
    Config: _finish_config,
}


# -- the README's settings table -------------------------------------------------------------
def settings_table() -> str:
    """The README's table of every key, from the declarations above (a test keeps them equal)."""
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, setting in _keys(Config, ""):
        cells = (f"`{name}`", _type(setting), _default(setting), setting.doc)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _keys(cls: type, prefix: str) -> Iterator[tuple[str, Setting]]:
    for name, setting in declared(cls).items():
        if setting.kind is not SECTION:
            yield prefix + name, setting
        if setting.section is not None:
            sub = "[]." if setting.kind is LIST else "."
            yield from _keys(setting.section, prefix + name + sub)


def _type(s: Setting) -> str:
    if s.choices:
        return " | ".join(f"`{c}`" for c in s.choices)
    if s.section is not None and s.kind is LIST:
        return "list of mappings"
    text = s.kind.name
    if s.least is not None and s.most is not None:
        text += f" {s.least:g}–{s.most:g}"
    elif s.least is not None:
        text += f" ≥ {s.least:g}" if s.least < 1e6 else f" ≥ {int(s.least):,}"
    elif s.above is not None:
        text += f" > {s.above:g}"
    return text


def _default(s: Setting) -> str:
    if s.required:
        return "required"
    if s.shown is not None:
        return s.shown
    value = s.default
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`[]`" if not value else f"`{list(value)}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


if __name__ == "__main__":  # python -m federator.config: the README's settings table
    print(settings_table(), end="")
