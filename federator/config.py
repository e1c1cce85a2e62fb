"""The configuration file (YAML), exactly as ``CONTRACT.md`` describes it.

Every key is declared once, as a field of the typed class that holds it, with its kind, default
and a line of help: the top level here, the sections for the whole federator in
``configsections``, sources in ``configsources``, publish targets in ``configpublish``, the kinds
of value beyond the plain ones in ``configkinds``. Loading, checking and the README's settings
table (``settings_table``) all come from those declarations, through ``settings``: an unknown key
anywhere, a value of the wrong kind, an unknown format and a duplicate source id are errors that
name the file, line and key. What needs other modules to check (mapping files, schedules) is
``configcheck``'s; these modules are leaves that import nothing of federator but its errors, the
YAML reader and each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from federator import settings, yamlpos
from federator.configkinds import IRI
from federator.configpublish import AUTH_SCHEMES, PublishConfig, TargetConfig, finish_target
from federator.configsections import (
    GuardSettings,
    HarvestSettings,
    HistorySettings,
    ResolveSettings,
    ServerSettings,
)
from federator.configsources import (
    DEFAULT_PRIORITY,
    FORMATS,
    LEVELS,
    MAPPED_FORMATS,
    REGISTER_KINDS,
    ScheduleSettings,
    SourceConfig,
    finish_source,
)
from federator.errors import ConfigError
from federator.settings import LIST, PATH, SECTION, dotted, key

# What callers read from the configuration stays importable from here, wherever it is declared.
__all__ = [
    "AUTH_SCHEMES",
    "DEFAULT_PRIORITY",
    "FORMATS",
    "LEVELS",
    "MAPPED_FORMATS",
    "REGISTER_KINDS",
    "Config",
    "GuardSettings",
    "HarvestSettings",
    "HistorySettings",
    "PublishConfig",
    "ResolveSettings",
    "ScheduleSettings",
    "ServerSettings",
    "SourceConfig",
    "TargetConfig",
    "default_path",
    "dotted",
    "load",
    "settings_table",
]


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
    cfg = settings.build(Config, doc.data, settings.At(doc, file, path.parent, FINISH))
    assert isinstance(cfg, Config)
    return cfg


def _finish_config(values: dict[str, Any], at: settings.At) -> Config:
    data_dir = Path(values["data_dir"])
    values["data_dir"] = data_dir if data_dir.is_absolute() else at.root / data_dir
    return Config(path=Path(at.file), lines=at.doc, **values)


# Each class's last step after its keys are read (see ``settings.Finish``).
FINISH: dict[type, settings.Finish] = {
    SourceConfig: finish_source,
    TargetConfig: finish_target,
    Config: _finish_config,
}


def settings_table() -> str:
    """The README's table of every key, from the declarations (a test keeps them equal)."""
    return settings.table(Config)


if __name__ == "__main__":  # python -m federator.config: the README's settings table
    print(settings_table(), end="")
