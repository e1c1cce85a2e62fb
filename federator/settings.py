"""Declaring settings, reading them from YAML, and the README's table of them.

A setting is a field of a frozen dataclass made with ``key``: its kind, default, a line of help
and its checks. ``build`` makes an instance of such a class from a YAML mapping, checking and
converting every key, and ``table`` renders the declarations as the README's settings table, so
that what is read and what is documented cannot drift apart. What the settings *are* is
``config``'s; this module knows no key by name (but for the credential keys people write by
mistake) and, like ``config``, imports nothing of federator but its errors and the YAML reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from federator import yamlpos
from federator.errors import ConfigError


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


class Invalid(ValueError):
    """A value's problem, at a path inside the value (an item of a list). A kind's ``convert``
    raises it, or a plain ``ValueError`` for the value as a whole."""

    def __init__(self, message: str, *sub: str | int) -> None:
        super().__init__(message)
        self.sub = sub


# The kinds that need no check beyond their type; ``config`` declares the others.
STR = Kind("text", (str,))
INT = Kind("int", (int,))
NUMBER = Kind("number", (int, float), float)
SECONDS = Kind("seconds", (int, float), float)
BOOL = Kind("bool", (bool,))
PATH = Kind("path", (str,))
LIST = Kind("list", (list,), tuple)
SECTION = Kind("mapping", (dict,))


# -- reading -----------------------------------------------------------------------------------
def dotted(*path: str | int) -> str:
    """('sources', 0, 'format') -> 'sources[0].format'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


@dataclass(frozen=True)
class At:
    """Where in the file a value is: errors about it name the file, its line and its key."""

    doc: yamlpos.Located
    file: str
    root: Path  # the configuration file's folder: relative paths start there
    finish: Mapping[type, Finish] = field(default_factory=dict)  # per declaring class
    path: tuple[str | int, ...] = ()

    def __call__(self, *sub: str | int) -> At:
        return replace(self, path=(*self.path, *sub))

    def fail(self, message: str, *sub: str | int) -> ConfigError:
        path = (*self.path, *sub)
        return ConfigError(message, file=self.file, line=self.doc.line(*path), key=dotted(*path))


# A declaring class's last step, from its checked values to the instance (keys that must agree
# with each other, paths made absolute); a class without one is made from the values as they are.
Finish = Callable[[dict[str, Any], At], Any]


CREDENTIAL_KEYS = {  # keys people write for secrets, and the *_env key to use instead
    "user": "username_env",
    "username": "username_env",
    "password": "password_env",
    "token": "token_env",
}


def build(cls: type, raw: Any, at: At) -> Any:
    """An instance of a declaring class from its YAML mapping."""
    values = _read(cls, raw, at)
    finish = at.finish.get(cls)
    return finish(values, at) if finish else cls(**values)


def _read(cls: type, raw: Any, at: At) -> dict[str, Any]:
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


def _value(s: Setting, value: Any, at: At) -> Any:
    kind = s.kind
    if isinstance(value, bool) and bool not in kind.types or not isinstance(value, kind.types):
        expected = " or ".join(t.__name__ for t in kind.types)
        raise at.fail(f"expected {expected}, got {type(value).__name__}")
    if s.section is not None and isinstance(value, dict):
        built = build(s.section, value, at)
        return value if s.keep_mapping else built
    if s.section is not None and isinstance(value, list):
        entries = tuple(build(s.section, item, at(i)) for i, item in enumerate(value))
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


# -- the README's settings table -------------------------------------------------------------
def table(cls: type) -> str:
    """The table of every key of ``cls`` and its sections: key, type, default, meaning."""
    lines = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, setting in keys(cls):
        cells = (f"`{name}`", _type(setting), _default(setting), setting.doc)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def keys(cls: type, prefix: str = "") -> Iterator[tuple[str, Setting]]:
    """Every key of ``cls`` by its dotted name (``sources[].id``), sections' keys included."""
    for name, setting in declared(cls).items():
        if setting.kind is not SECTION:
            yield prefix + name, setting
        if setting.section is not None:
            sub = "[]." if setting.kind is LIST else "."
            yield from keys(setting.section, prefix + name + sub)


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
