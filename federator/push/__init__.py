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

from federator.push.replicate import after_publish, push_all

__all__ = ["after_publish", "push_all"]
