"""Harvest logs and status: one reading of a run (``RunLog``), for a terminal, the HTTP pages
(``templates/run.html``) and JSON alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federator.config import Config
from federator.schedule import planned_next_run
from federator.state import State

COUNTS = ("fetched", "added", "changed", "unchanged", "removed", "rejected", "warnings")
MORE_COUNTS = ("accepted", "duplicates", "fetched_documents")  # in a run in full, not a line
MAX_WARNINGS = 200  # warnings a terminal lists; the pages and the JSON have their own limits


# What a terminal acts on rather than shows: C0 and C1 control characters (escape sequences
# start with one), DEL, and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: every control character written as its escape
    (``\x1b``, ``\n``); register data can hold them, and a terminal would obey them."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _lines(lines: list[str]) -> str:
    return "\n".join(printable(line) for line in lines)


def counts(stats: dict[str, Any]) -> str:
    return ", ".join(f"{k} {stats[k]}" for k in COUNTS if k in stats)


def source_line(source: str, outcome: str, stats: dict[str, Any], error: str | None) -> str:
    line = f"{source}: {outcome}"
    if stats:
        line += f" ({counts(stats)})"
    if error:
        line += f": {error}"
    return printable(line)


def next_run(cfg: Config, source_id: str, now: datetime) -> str:
    """The running daemon's plan for the source, else what its schedule gives."""
    if cfg.source(source_id).schedule is None:
        return "not scheduled"
    return planned_next_run(cfg, source_id, now) or "never"


def status_table(cfg: Config, state: State, now: datetime) -> str:
    rows = [("SOURCE", "LAST RUN", "OUTCOME", "COUNTS", "NEXT RUN")]
    for src in cfg.sources:
        runs = state.source_runs(src.id, limit=1)
        if runs:
            r = runs[0]
            rows.append(
                (src.id, r["started"], r["outcome"], counts(r["stats"]), next_run(cfg, src.id, now))
            )
        else:
            rows.append((src.id, "never", "-", "", next_run(cfg, src.id, now)))
    shown = [tuple(printable(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in shown) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in shown
    )


def run_detail(state: State, source: str, run_id: str) -> dict[str, Any] | None:
    """A run's row with every issue it logged (``issues``); None when there is no such run."""
    run = state.source_run(source, run_id)
    if run is None:
        return None
    run["issues"] = state.issues(source, run_id)
    return run


@dataclass
class RunLog:
    """One run as a harvest log tells it: what every renderer of a run reads, so that the
    terminal, the agency's page and the JSON say the same things about it.
    """

    detail: dict[str, Any]  # ``run_detail``'s answer
    rejected: list[dict[str, Any]]  # issues of records that were not published
    warnings: list[dict[str, Any]]  # issues of records published all the same

    @classmethod
    def of(cls, detail: dict[str, Any]) -> RunLog:
        issues = detail.get("issues") or []
        return cls(
            detail,
            [i for i in issues if i["severity"] == "error"],
            [i for i in issues if i["severity"] != "error"],
        )

    @property
    def run_id(self) -> str:
        return str(self.detail["run_id"])

    @property
    def outcome(self) -> str:
        return str(self.detail["outcome"])

    @property
    def started(self) -> str:
        return str(self.detail["started"])

    @property
    def ended(self) -> str | None:
        ended: str | None = self.detail.get("ended")
        return ended

    @property
    def error(self) -> str | None:
        """The run's own message (English), when the source failed."""
        error: str | None = self.detail.get("error")
        return error

    @property
    def error_code(self) -> str | None:
        """What kind of failure it was (``texts.ERRORS`` says it in words)."""
        code: str | None = self.detail.get("error_code")
        return code

    @property
    def stats(self) -> dict[str, Any]:
        return self.detail.get("stats") or {}

    @property
    def counts(self) -> list[tuple[str, Any]]:
        """The headline counts, as one line of the log gives them."""
        return [(k, self.stats[k]) for k in COUNTS if k in self.stats]

    @property
    def warnings_by_rule(self) -> list[tuple[str, list[dict[str, Any]]]]:
        """The warnings grouped by the rule they break, the most frequent rule first."""
        groups: dict[str, list[dict[str, Any]]] = {}
        for issue in self.warnings:
            groups.setdefault(str(issue.get("code") or "?"), []).append(issue)
        return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    @property
    def all_counts(self) -> list[tuple[str, Any]]:
        """Every count of the run."""
        return [(k, self.stats[k]) for k in (*COUNTS, *MORE_COUNTS) if k in self.stats]

    @property
    def completeness(self) -> dict[str, float]:
        """Per field of the standard, the share of published records that fill it."""
        filled: dict[str, float] = self.stats.get("completeness") or {}
        return filled

    @property
    def statuses(self) -> list[tuple[str, int]]:
        """HTTP statuses the register answered, with how often."""
        return sorted((self.detail.get("statuses") or {}).items())

    @property
    def durations(self) -> list[tuple[str, float]]:
        """Seconds per stage."""
        return list((self.detail.get("durations") or {}).items())

    @property
    def verdict(self) -> str:
        """Why the run rejected what it did: 'rejected' (some records), 'not_checked' (it
        stopped before checking), 'not_rechecked' (nothing changed, so nothing was checked) or
        'none_rejected'.
        """
        if self.rejected:
            return "rejected"
        if "rejected" not in self.stats and self.detail["outcome"] != "synced":
            return "not_checked"
        if self.stats.get("fetched") == 0 and "304" in (self.detail.get("statuses") or {}):
            return "not_rechecked"
        return "none_rejected"

    def as_json(self) -> dict[str, Any]:
        """The run for machines: its row, with its issues split into rejected and warnings."""
        out = {k: v for k, v in self.detail.items() if k != "issues"}
        out["rejected"] = self.rejected
        out["warnings"] = self.warnings
        return out


def source_log(state: State, source: str, run_id: str | None, fmt: str = "text") -> str | None:
    """``federator log``: a line per recent run, then one run (the latest by default) in full."""
    runs = state.source_runs(source, limit=20)
    if run_id is None and runs:
        run_id = runs[0]["run_id"]
    detail = run_detail(state, source, run_id) if run_id else None
    if run_id and detail is None:
        return None
    if fmt == "json":
        return json.dumps(
            {"source": source, "runs": runs, "run": detail}, indent=2, ensure_ascii=False
        )
    lines = [f"Harvest log of {source}", ""]
    if not runs:
        return _lines(lines + ["No runs yet."])
    for r in runs:
        lines.append(f"  {r['run_id']}  {r['started']}  {r['outcome']:<9}  {counts(r['stats'])}")
    assert detail is not None
    return _lines(lines + text_of(RunLog.of(detail)))


def text_of(run: RunLog) -> list[str]:
    """A run in full, as lines for a terminal."""
    lines = [
        "",
        f"Run {run.run_id}: {run.outcome}",
        f"  started {run.started}, ended {run.ended}",
    ]
    if run.error:
        lines.append(f"  error: {run.error}")
    if run.stats:
        lines.append("  records: " + ", ".join(f"{k} {v}" for k, v in run.counts))
    filled = run.completeness
    if filled:
        lacking = sorted((share, name) for name, share in filled.items() if share < 1)
        lines.append(
            "  completeness: "
            + ", ".join(f"{n} {s:.0%}" for s, n in lacking[:12])
            + (" (all other fields 100%)" if len(lacking) < len(filled) else "")
        )
    if run.statuses:
        lines.append("  HTTP: " + ", ".join(f"{k} x{v}" for k, v in run.statuses))
    if run.durations:
        lines.append("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in run.durations))
    if run.rejected:
        lines += ["", f"  Rejected records ({len(run.rejected)}):"]
        for i in run.rejected:
            title = f" ({i['title']})" if i["title"] else ""
            lines.append(f"    {i['native_id'] or '?'}{title}: {i['message_en']}")
    if run.warnings:
        lines += ["", f"  Warnings ({len(run.warnings)}):"]
        for i in run.warnings[:MAX_WARNINGS]:
            lines.append(f"    {i['native_id'] or '?'}: {i['message_en']}")
        if len(run.warnings) > MAX_WARNINGS:
            more = len(run.warnings) - MAX_WARNINGS
            lines.append(f"    ... and {more} more (use --format json)")
    return lines
