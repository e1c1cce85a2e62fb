"""What each remote target holds, as far as we know (``federator.push`` keeps it up to date).

- ``push_graphs``: per target and graph, the digest of the text last accepted by the target
  (a graph is sent again only when its local digest differs);
- ``push_targets``: per target, the outcome of the latest attempt: graphs still behind (lag),
  the error, when it was last fully up to date;
- ``push_runs``: a line per attempt per target (the push log), pruned like the run history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federator.state.runs import RunLog, now

STALE = ""  # digest of a graph the target must be sent again (after a forced push began)


@dataclass
class Attempt:
    """One push to one target: what was sent, what is still behind, and why."""

    target: str
    run_id: str | None = None
    forced: bool = False
    sent: int = 0
    deleted: int = 0
    unchanged: int = 0
    lag: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def up_to_date(self) -> bool:
        return self.lag == 0 and self.error is None


class Ledger:
    def __init__(self, state: RunLog, keep: int = 200) -> None:
        self.state, self.db = state, state.db
        self.keep = keep  # attempts kept per target in the push log

    def pushed(self, target: str) -> dict[str, str]:
        """Graph -> digest last accepted by the target."""
        rows = self.db.execute(
            "SELECT graph, digest FROM push_graphs WHERE target = ?", (target,)
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def accepted(self, target: str, graph: str, digest: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO push_graphs VALUES (?, ?, ?, ?)", (target, graph, digest, now())
        )

    def removed(self, target: str, graph: str) -> None:
        self.db.execute("DELETE FROM push_graphs WHERE target = ? AND graph = ?", (target, graph))

    def invalidate(self, target: str) -> None:
        """Forget what the target holds, but not which graphs it holds (to delete them)."""
        self.db.execute("UPDATE push_graphs SET digest = ? WHERE target = ?", (STALE, target))

    def record(self, attempt: Attempt) -> None:
        """Log an attempt and make it the target's current status."""
        at = now()
        with self.state.transaction() as db:
            db.execute(
                "INSERT INTO push_runs (run_id, target, at, forced, sent, deleted, unchanged, "
                "lag_graphs, seconds, error) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    attempt.run_id,
                    attempt.target,
                    at,
                    int(attempt.forced),
                    attempt.sent,
                    attempt.deleted,
                    attempt.unchanged,
                    attempt.lag,
                    round(attempt.seconds, 3),
                    attempt.error,
                ),
            )
            previous = db.execute(
                "SELECT synced_at FROM push_targets WHERE target = ?", (attempt.target,)
            ).fetchone()
            synced = at if attempt.up_to_date else (previous[0] if previous else None)
            db.execute(
                "INSERT OR REPLACE INTO push_targets VALUES (?, ?, ?, ?, ?)",
                (attempt.target, at, synced, attempt.lag, attempt.error),
            )
            db.execute(
                "DELETE FROM push_runs WHERE target = ? AND seq <= "
                "(SELECT seq FROM push_runs WHERE target = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
                (attempt.target, attempt.target, self.keep),
            )

    def status(self) -> dict[str, dict[str, Any]]:
        """Target -> its latest attempt (attempted_at, synced_at, lag_graphs, error)."""
        rows = self.db.execute("SELECT * FROM push_targets").fetchall()
        return {r["target"]: dict(r) for r in rows}

    def history(self, target: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT * FROM push_runs WHERE target = ? ORDER BY seq DESC LIMIT ?", (target, limit)
        ).fetchall()
        return [dict(r) for r in rows]
