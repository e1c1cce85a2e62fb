"""The registers to harvest: a source's keys (``sources[]`` in the configuration), its schedule
written as a mapping, and the last step of reading one (defaults that depend on other keys,
paths relative to the configuration file, the checks that need several keys at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph

from federator.configkinds import (
    ENCODING,
    ENV,
    LANGUAGE,
    LOCATION,
    SCHEDULE,
    SLUG,
    check_credentials,
)
from federator.settings import INT, PATH, REQUIRED, SECONDS, STR, At, key

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
DEFAULT_PRIORITY = {"national": 10, "provincial": 20, "municipal": 20}


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


def finish_source(values: dict[str, Any], at: At) -> SourceConfig:
    """A source from its checked keys: the checks and defaults that need several keys, and
    its paths relative to the configuration file."""
    check_credentials(values, at)
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
