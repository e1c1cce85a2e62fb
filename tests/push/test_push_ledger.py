"""The push tables: what each target holds, its status, and a push log that is pruned."""

from __future__ import annotations

from pathlib import Path

from federator.state import State
from federator.state.ledger import STALE, Attempt, Ledger


def test_status_keeps_the_last_success_and_the_log_is_pruned(tmp_path: Path) -> None:
    state = State(tmp_path)
    try:
        ledger = Ledger(state, keep=2)
        ledger.record(Attempt("t", run_id="r1", sent=3))
        synced = ledger.status()["t"]["synced_at"]
        assert synced is not None and ledger.status()["t"]["lag_graphs"] == 0
        for n in range(2, 6):
            ledger.record(Attempt("t", run_id=f"r{n}", lag=4, error="down"))
        status = ledger.status()["t"]
        assert (status["lag_graphs"], status["error"], status["synced_at"]) == (4, "down", synced)
        assert [a["run_id"] for a in ledger.history("t")] == ["r5", "r4"]
    finally:
        state.close()


def test_invalidate_keeps_the_graphs_but_not_their_digests(tmp_path: Path) -> None:
    state = State(tmp_path)
    try:
        ledger = Ledger(state)
        ledger.accepted("t", "urn:g1", "d1")
        ledger.accepted("t", "urn:g2", "d2")
        ledger.accepted("u", "urn:g1", "d1")
        ledger.removed("t", "urn:g2")
        ledger.invalidate("t")
        assert ledger.pushed("t") == {"urn:g1": STALE}
        assert ledger.pushed("u") == {"urn:g1": "d1"}
    finally:
        state.close()
