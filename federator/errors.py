"""Errors by what recovers from them: the exception's class is its recovery class.

Modelled on dlt's terminal/transient split and Scrapy's ``DropItem``. Four recoveries:
- retry (transient): handled inside the HTTP client (urllib3's Retry, with back-off), never
  raised past it;
- skip the record: a verdict of the validate stage (the record is named in the harvest log,
  the others go on), never raised;
- fail the source (``SourceError``): the pipeline marks the source failed, keeps its last good
  graph and goes on with the others;
- configuration (``ConfigError``): nothing runs; exit status 2, naming file, line and key.
"""

from __future__ import annotations


class FederatorError(Exception):
    """A failure federator explains in words; ``code`` is its stable key in logs and stats."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class SourceError(FederatorError):
    """The whole source failed this run (unreachable, not the expected format, ...)."""

    code = "source"


class ConfigError(FederatorError):
    """The configuration is wrong; nothing runs. Names the file, line and key."""

    code = "config"

    def __init__(self, message: str, *, file: str = "", line: int | None = None, key: str = ""):
        where = file + (f":{line}" if line else "")
        text = f"{where}: " if where else ""
        text += f"{key}: " if key else ""
        super().__init__(text + message)
        self.file, self.line, self.key = file, line, key
