"""Publish past one machine: remote SPARQL targets, the VoID description and the latest dump.

Entry points:
- ``after_publish(config, store, state, run_id)``: called by the pipeline after each
  successful local publish. Writes the dump when graphs changed, then brings every target up
  to date over the SPARQL 1.1 Graph Store Protocol. Never raises: a target that is down does
  not fail the harvest; its lag is recorded and the next run catches it up.
- ``push_all(config, target_name)``: ``federator push``: re-send everything (a fresh
  replica). Exit status 0 when every target is up to date, 1 otherwise, 2 for an unknown
  target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from federator.config import Config
    from federator.publish.store import Store
    from federator.state import State


def after_publish(config: Config, store: Store, state: State, run_id: str) -> None:
    """Write the dump when graphs changed and bring every target up to date; never raises."""
    from federator.push.replicate import after_publish as follow

    follow(config, store, state, run_id)


def push_all(config: Config, target_name: str | None) -> int:
    """``federator push [--target NAME]``: re-send every graph; the exit status."""
    from federator.push.replicate import push_all as push

    return push(config, target_name)


__all__ = ["after_publish", "push_all"]
