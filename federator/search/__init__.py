"""The search index of the public site, kept in step with every publish.

Each publish ``prepare``s it inside its transaction and puts it in place after the commit
(``pipeline``); ``update(config, state)`` does both at once. From what was published (the
records in state and the algorithm each was resolved to) it makes one document per algorithm
(the unified description by the publisher's survivorship rule: per field the value of the
highest-priority register that has one, ties to the newest) and writes the index file
(``federator.state.search``). A run that changed nothing costs a look at the change feed and
the identities; a run that changed a few algorithms patches a copy of the index; a run that
changed much (or a new layout, or new priorities) builds it anew. Either way the new file is
swapped in atomically.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from federator import orgs
from federator.config import Config
from federator.records import by_survivorship
from federator.state import State
from federator.state.search import (
    VERSION,
    Doc,
    IndexWriter,
    SearchIndex,
    changes_since,
    last_change,
    match_expression,
    read_members,
    read_meta,
    record_rows,
    records_at_hand,
    records_by_algorithm,
)

__all__ = [
    "Doc",
    "SearchIndex",
    "Updated",
    "document",
    "match_expression",
    "org_key",
    "update",
]

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # a register's own date text is not one
PATCH_SHARE = 0.3  # past this share of algorithms changed, a new build beats a patched copy
TOOI = "https://identifier.overheid.nl/tooi/id/"
KINDS = ("gemeente", "provincie", "waterschap", "ministerie", "oorg")
IMPACT = ("impacttoetsen_grouping", "impacttoetsen", "iama", "dpia")
# The fields a document is made of: a build reads only these of each record's values
# (``federator.state.search.slim_body``); ``document`` given every field makes the same.
FIELDS = (
    "name", "description_short", "description", "goal", "category", "status",
    "publication_category", *IMPACT,
)  # fmt: skip


@dataclass
class Updated:
    """What ``update`` did: 'skipped', 'patched' or 'built', to how many documents, how fast."""

    how: str
    documents: int
    seconds: float


def org_key(iri: str) -> str:
    """The organisation's part of its page's path: its TOOI code or its minted name."""
    tail = iri.rstrip("/").rsplit("/", 1)[-1].lower()
    if tail and all(c.isalnum() or c in "-_." for c in tail) and tail.isascii():
        return tail
    return hashlib.sha1(iri.encode("utf-8")).hexdigest()[:12]


def org_kind(iri: str) -> str:
    """gemeente, provincie, waterschap, ministerie, oorg (other government bodies) or other."""
    if iri.startswith(TOOI):
        kind = iri[len(TOOI) :].split("/", 1)[0]
        return kind if kind in KINDS else "oorg"
    return "other"


def _settings_digest(config: Config, aliases: dict[str, str]) -> str:
    """What, besides the records, decides every document: priorities, and the organisations
    reconciled across registers (a new alias files algorithms under another organisation)."""
    text = VERSION + "|" + "|".join(f"{s.id}:{s.priority}" for s in config.sources)
    text += "|" + "|".join(f"{a}>{c}" for a, c in sorted(aliases.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_EMPTY: tuple[Any, ...] = (None, "", [], {})  # what counts as no value


@lru_cache(maxsize=65536)
def _organisation(iri: str) -> tuple[str | None, str, str]:
    """(its official name, if it has one; key; kind)."""
    return orgs.official_names().get(iri), org_key(iri), org_kind(iri)


def document(
    token: str,
    members: list[dict[str, Any]],
    priorities: dict[str, int],
    aliases: dict[str, str] | None = None,
) -> Doc:
    """One algorithm's document from the bodies of the records that describe it, filed under
    its organisation as reconciled (``aliases``: an organisation IRI -> the IRI it is known by,
    as the unified graph names its publisher).

    Made for every algorithm at each new build (20,000: 0.35 s before): written for speed, in
    plain loops; an organisation's official name, key and kind are worked out once.
    """
    ranked = by_survivorship(members, priorities)
    fields: dict[str, Any] = {}
    for body in ranked:
        for name, value in body.get("values", {}).items():
            if value in _EMPTY:
                continue
            if name not in fields:
                fields[name] = value
            elif isinstance(value, list) and isinstance(fields[name], list):
                fields[name] = fields[name] + [v for v in value if v not in fields[name]]
    first = ranked[0]
    organisation = first["organisation"]
    if aliases:
        organisation = aliases.get(organisation, organisation)
    official, key, kind = _organisation(organisation)
    name = official or first.get("organisation_name") or ""
    themes = fields.get("category") or []
    if isinstance(themes, str):
        themes = [themes]
    status = fields.get("status")
    pubcat = fields.get("publication_category")
    impact = False
    for k in IMPACT:
        value = fields.get(k)
        if value not in _EMPTY and value is not False:
            impact = True
            break
    modified = ""
    for b in members:
        for d in (b["identity"].get("modified"), b.get("modified_date")):
            if d and ISO_DATE.match(str(d)):
                modified = max(modified, str(d)[:10])
    description = fields.get("description_short") or fields.get("description")
    goal = fields.get("goal")
    keys = sorted([(b["source"], b["native_id"]) for b in members])
    return Doc(
        token=token,
        title=str(fields.get("name") or token),
        organisation=organisation,
        organisation_name=name or organisation,
        org_key=key,
        org_kind=kind,
        status=status if isinstance(status, str) else None,
        pubcat=pubcat if isinstance(pubcat, str) else None,
        impact=impact,
        registers=len({s for s, _ in keys}),
        modified=modified or None,
        description=description if isinstance(description, str) else None,
        goal=goal if isinstance(goal, str) else None,
        themes=[t for t in themes if isinstance(t, str)],
        members=keys,
        data={"members": keys},
        fields=fields,
    )


def _documents(
    bodies: Iterable[dict[str, Any]],
    identities: dict[tuple[str, str], str],
    priorities: dict[str, int],
    aliases: dict[str, str],
) -> Iterator[Doc]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        token = identities.get((body["source"], body["native_id"]))
        if token is not None:
            groups.setdefault(token, []).append(body)
    for token in sorted(groups):  # members in key order, as ``records_by_algorithm`` gives them
        members = sorted(groups[token], key=lambda b: (b["source"], b["native_id"]))
        yield document(token, members, priorities, aliases)


@dataclass
class Prepared:
    """An update written out beside the index, not yet in place (``prepare``)."""

    updated: Updated
    writer: IndexWriter | None = None  # None: nothing to change

    def swap(self) -> Updated:
        """Put the update in place once it is finished (``IndexWriter.finish_aside``); its
        seconds then include the finishing's."""
        if self.writer is not None:
            try:
                self.writer.swap()
            except BaseException:
                self.writer.abandon()
                raise
            if self.finish_window is not None:
                begin, end = self.finish_window
                self.updated.seconds += end - begin
        return self.updated

    @property
    def finish_window(self) -> tuple[float, float] | None:
        """When the writing was finished (``time.perf_counter``), once it was."""
        return None if self.writer is None else self.writer.finish_window

    def abandon(self) -> None:
        if self.writer is not None:
            self.writer.abandon()


def update(config: Config, state: State, force: bool = False) -> Updated:
    """Bring the index in step with what is published (see the module's docstring)."""
    return prepare(config, state, force).swap()


def prepare(
    config: Config,
    state: State,
    force: bool = False,
    *,
    identities_kept: bool = False,
    at_hand: Mapping[str, list[dict[str, Any]]] | None = None,
) -> Prepared:
    """The index as ``state`` now says, written beside the current one: a publish prepares
    it inside its transaction, while the store's last loads land, and puts it in place
    (``Prepared.swap``) once the state is committed, or drops it (``Prepared.abandon``).
    ``identities_kept``: the publish assigned no identity (nothing was resolved), so an
    index that followed the last change and the same settings is in step as it stands.
    ``at_hand``: every algorithm's record bodies as state now holds them (token -> bodies),
    when the publish has them all: a new build reads them there, not from state."""
    started = time.perf_counter()
    data_dir = config.data_dir
    meta, filed = read_meta(data_dir)
    aliases = {iri: canonical for iri, (canonical, _) in state.organisation_aliases().items()}
    settings = _settings_digest(config, aliases)
    priorities = {s.id: s.priority for s in config.sources}
    last = int(meta.get("seq", "0") or 0)
    rebuild = force or meta.get("settings") != settings
    affected: set[str] = set()
    identities: dict[tuple[str, str], str] = {}
    if rebuild:  # what changed, and where each record is filed, only a patch asks
        top = last_change(state)
    elif identities_kept and filed and last_change(state) == last:
        return Prepared(Updated("skipped", 0, time.perf_counter() - started))
    else:
        indexed = read_members(data_dir)
        identities = state.identities()
        top, changed = changes_since(state, last)
        moved = {
            k for k in identities.keys() | indexed.keys() if identities.get(k) != indexed.get(k)
        }
        keys = changed | moved
        if not keys and top == last:
            return Prepared(Updated("skipped", 0, time.perf_counter() - started))
        affected = {t for k in keys for t in (identities.get(k), indexed.get(k)) if t is not None}
        rebuild = len(affected) > PATCH_SHARE * max(1, len(set(identities.values())))
    writer = IndexWriter(data_dir, patch=not rebuild)
    docs: Iterator[Doc]
    try:
        if rebuild:
            groups = (
                records_by_algorithm(state, FIELDS)
                if at_hand is None
                else records_at_hand(at_hand, FIELDS)
            )
            docs = (document(t, m, priorities, aliases) for t, m in groups)
            n = writer.add(docs)
            writer.add_history(state, 0)
        else:
            writer.remove(affected)
            wanted = [k for k, t in identities.items() if t in affected]
            docs = _documents(record_rows(state, wanted, FIELDS), identities, priorities, aliases)
            n = writer.add(docs)
            writer.add_history(state, last)
        how = "built" if rebuild else "patched"
        meta = {"seq": str(top), "settings": settings, "at": _now(), "how": how}
        writer.finish_aside(meta, rebuild)
    except BaseException:
        writer.abandon()
        raise
    return Prepared(Updated(how, n, time.perf_counter() - started), writer)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
