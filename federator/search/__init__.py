"""The search index of the public site, kept in step with every publish.

``update(config, state)`` runs after each publish (``pipeline``): from what was published (the
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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
    match_expression,
    read_meta,
    record_rows,
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


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def document(
    token: str,
    members: list[dict[str, Any]],
    priorities: dict[str, int],
    aliases: dict[str, str] | None = None,
) -> Doc:
    """One algorithm's document from the bodies of the records that describe it, filed under
    its organisation as reconciled (``aliases``: an organisation IRI -> the IRI it is known by,
    as the unified graph names its publisher)."""
    ranked = by_survivorship(members, priorities)
    fields: dict[str, Any] = {}
    for body in ranked:
        for name, value in body.get("values", {}).items():
            if not _filled(value):
                continue
            if isinstance(value, list) and isinstance(fields.get(name), list):
                fields[name] = fields[name] + [v for v in value if v not in fields[name]]
            elif name not in fields:
                fields[name] = value
    first = ranked[0]
    organisation = (aliases or {}).get(first["organisation"], first["organisation"])
    name = orgs.official_names().get(organisation) or first.get("organisation_name") or ""
    themes = fields.get("category") or []
    if isinstance(themes, str):
        themes = [themes]
    status = fields.get("status")
    pubcat = fields.get("publication_category")
    impact = any(
        _filled(fields.get(k)) and fields.get(k) is not False
        for k in ("impacttoetsen_grouping", "impacttoetsen", "iama", "dpia")
    )
    modified = max(
        (
            str(d)[:10]
            for b in members
            for d in (b["identity"].get("modified"), b.get("modified_date"))
            if d and ISO_DATE.match(str(d))
        ),
        default="",
    )
    description = fields.get("description_short") or fields.get("description")
    goal = fields.get("goal")
    keys = sorted((b["source"], b["native_id"]) for b in members)
    return Doc(
        token=token,
        title=str(fields.get("name") or token),
        organisation=organisation,
        organisation_name=name or organisation,
        org_key=org_key(organisation),
        org_kind=org_kind(organisation),
        status=status if isinstance(status, str) else None,
        pubcat=pubcat if isinstance(pubcat, str) else None,
        impact=impact,
        registers=len({s for s, _ in keys}),
        modified=modified[:10] or None,
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


def update(config: Config, state: State, force: bool = False) -> Updated:
    """Bring the index in step with what is published (see the module's docstring)."""
    started = time.perf_counter()
    data_dir = config.data_dir
    meta, indexed = read_meta(data_dir)
    aliases = {iri: canonical for iri, (canonical, _) in state.organisation_aliases().items()}
    settings = _settings_digest(config, aliases)
    identities = state.identities()
    priorities = {s.id: s.priority for s in config.sources}
    last = int(meta.get("seq", "0") or 0)
    top, changed = changes_since(state, last)
    rebuild = force or meta.get("settings") != settings
    affected: set[str] = set()
    if not rebuild:
        moved = {
            k for k in identities.keys() | indexed.keys() if identities.get(k) != indexed.get(k)
        }
        keys = changed | moved
        if not keys and top == last:
            return Updated("skipped", 0, time.perf_counter() - started)
        affected = {t for k in keys for t in (identities.get(k), indexed.get(k)) if t is not None}
        rebuild = len(affected) > PATCH_SHARE * max(1, len(set(identities.values())))
    writer = IndexWriter(data_dir, patch=not rebuild)
    docs: Iterator[Doc]
    try:
        if rebuild:
            docs = (document(t, m, priorities, aliases) for t, m in records_by_algorithm(state))
            n = writer.add(docs)
            writer.add_history(state, 0)
        else:
            writer.remove(affected)
            wanted = [k for k, t in identities.items() if t in affected]
            docs = _documents(record_rows(state, wanted), identities, priorities, aliases)
            n = writer.add(docs)
            writer.add_history(state, last)
        how = "built" if rebuild else "patched"
        writer.commit({"seq": str(top), "settings": settings, "at": _now(), "how": how}, rebuild)
    except BaseException:
        writer.abandon()
        raise
    return Updated(how, n, time.perf_counter() - started)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
