"""Errors that carry a recovery class, so each stage knows what to do with them.

Modelled on dlt's terminal/transient split and Scrapy's ``DropItem``: every failure has one
of the recovery classes below. Two are dealt with where they happen and never raised:
``RETRY`` inside the HTTP client (urllib3's Retry, with back-off) and ``SKIP_RECORD`` in the
validate stage (a rejected record is a verdict in the harvest log; the others go on). Source
and configuration errors are raised, as the exception classes here.
"""

from __future__ import annotations

from enum import StrEnum


class Recovery(StrEnum):
    RETRY = "retry"  # transient: try again with back-off (harvest.http)
    SKIP_RECORD = "skip-record"  # one record is unusable: report it, go on (validate)
    FAIL_SOURCE = "fail-source"  # the source is unusable this run: keep its last good graph
    CONFIG = "config"  # refuse to start


class FederatorError(Exception):
    recovery: Recovery = Recovery.FAIL_SOURCE
    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class SourceError(FederatorError):
    """The whole source failed this run (unreachable, not the expected format, ...)."""

    recovery = Recovery.FAIL_SOURCE
    code = "source"


class ConfigError(FederatorError):
    """The configuration is wrong; nothing runs. Names the file, line and key."""

    recovery = Recovery.CONFIG
    code = "config"

    def __init__(self, message: str, *, file: str = "", line: int | None = None, key: str = ""):
        where = file + (f":{line}" if line else "")
        text = f"{where}: " if where else ""
        text += f"{key}: " if key else ""
        super().__init__(text + message)
        self.file, self.line, self.key = file, line, key
