"""Harvest logs and status for a terminal: the same history the HTTP pages show."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from federator.config import Config
from federator.state import State

COUNTS = ("fetched", "added", "changed", "unchanged", "removed", "rejected", "warnings")


def counts(stats: dict[str, Any]) -> str:
    return ", ".join(f"{k} {stats[k]}" for k in COUNTS if k in stats)


def source_line(source: str, outcome: str, stats: dict[str, Any], error: str | None) -> str:
    line = f"{source}: {outcome}"
    if stats:
        line += f" ({counts(stats)})"
    if error:
        line += f": {error}"
    return line


def next_run(cfg: Config, source_id: str, now: datetime) -> str:
    """The running daemon's plan for the source, else what its schedule gives."""
    from federator.daemon import planned_next_run

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
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def run_detail(state: State, source: str, run_id: str) -> dict[str, Any] | None:
    run = state.source_run(source, run_id)
    if run is None:
        return None
    run["issues"] = state.issues(source, run_id)
    return run


def source_log(state: State, source: str, run_id: str | None, fmt: str = "text") -> str | None:
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
        return "\n".join(lines + ["No runs yet."])
    for r in runs:
        lines.append(f"  {r['run_id']}  {r['started']}  {r['outcome']:<9}  {counts(r['stats'])}")
    assert detail is not None
    lines += [
        "",
        f"Run {detail['run_id']}: {detail['outcome']}",
        f"  started {detail['started']}, ended {detail['ended']}",
    ]
    if detail["error"]:
        lines.append(f"  error: {detail['error']}")
    if detail["stats"]:
        lines.append(f"  records: {counts(detail['stats'])}")
    filled = detail["stats"].get("completeness") or {}
    if filled:
        lacking = sorted((share, name) for name, share in filled.items() if share < 1)
        lines.append(
            "  completeness: "
            + ", ".join(f"{n} {s:.0%}" for s, n in lacking[:12])
            + (" (all other fields 100%)" if len(lacking) < len(filled) else "")
        )
    if detail["statuses"]:
        lines.append(
            "  HTTP: " + ", ".join(f"{k} x{v}" for k, v in sorted(detail["statuses"].items()))
        )
    if detail["durations"]:
        lines.append(
            "  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in detail["durations"].items())
        )
    rejected = [i for i in detail["issues"] if i["severity"] == "error"]
    warnings = [i for i in detail["issues"] if i["severity"] == "warning"]
    if rejected:
        lines += ["", f"  Rejected records ({len(rejected)}):"]
        for i in rejected:
            title = f" ({i['title']})" if i["title"] else ""
            lines.append(f"    {i['native_id'] or '?'}{title}: {i['message_en']}")
    if warnings:
        lines += ["", f"  Warnings ({len(warnings)}):"]
        for i in warnings[:200]:
            lines.append(f"    {i['native_id'] or '?'}: {i['message_en']}")
        if len(warnings) > 200:
            lines.append(f"    ... and {len(warnings) - 200} more (use --format json)")
    return "\n".join(lines)
