"""The kinds of value configuration keys have beyond ``settings``' plain ones (slugs, URLs and
IRIs, language tags, encodings, pinned pairs, schedules), and the rules that keep secrets out of
the configuration file: credentials are names of environment variables, never the secrets, and
never part of a URL. Each kind's check raises ``ValueError`` with a message fit for the user.
"""

from __future__ import annotations

import codecs
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph

from federator.settings import At, Invalid, Kind

SOURCE_ID = re.compile(r"^[a-z0-9-]+$")
TARGET_NAME = SOURCE_ID
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# URL query parameters that carry a secret (compared without case, '-' and '_').
SECRET_PARAMS = re.compile(
    r"(client)?secret|(access|auth|api|bearer|id|refresh)?token|apikey|key|pass(word|wd)?|pwd"
    r"|sig(nature)?"
)


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
            raise Invalid("not a pair [[source, native id], [source, native id]]", i)
    return tuple(value)


SLUG = Kind("`[a-z0-9-]+`", (str,), _slug)
URL = Kind("http(s) URL", (str,), _http_url)
IRI = Kind("http(s) IRI", (str,), _base_iri)
LANGUAGE = Kind("language tag", (str,), _language)
ENCODING = Kind("encoding", (str,), _encoding)
LOCATION = Kind("URL or path", (str,), _source_url)
ENV = Kind("variable name", (str,), _env_name)
PINS = Kind("list of pairs", (list,), _pins)
SCHEDULE = Kind("cron or `{every: …}`", (str, dict))


def check_credentials(values: dict[str, Any], at: At) -> None:
    """The ``*_env`` keys of a source or target: a user name and a password go together, and a
    bearer token goes alone."""
    if bool(values["username_env"]) != bool(values["password_env"]):
        missing = "password_env" if values["username_env"] else "username_env"
        raise at.fail("username_env and password_env go together", missing)
    if values["token_env"] and values["username_env"]:
        raise at.fail("use either token_env or username_env/password_env, not both", "token_env")
