"""``GET /changes``: the change feed, in the spirit of the DCAT-AP Feed / LDES profile.

An ActivityStreams ``OrderedCollection`` of ``Create``, ``Update`` and ``Delete`` activities,
one per registration that a run added, changed or withdrew, oldest first. Pages are cursors
(``?after=SEQ``), so a page's IRI and content never change once it is full; each activity has
a stable IRI (``{base}id/change/{seq}``) and points at the catalogue record and, while the
registration is published, the algorithm it describes.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federator.server.context import context
from federator.vocab import Minter

PAGE_SIZE = 100
KINDS = {"create": "Create", "update": "Update", "delete": "Delete"}
CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    {
        "dcat": "http://www.w3.org/ns/dcat#",
        "dcterms": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
    },
]


def page(state: Any, minter: Minter, after: int, limit: int) -> dict[str, Any]:
    """One page of the feed as a JSON-LD object."""
    rows = state.db.execute(
        "SELECT seq, run_id, at, source, native_id, kind FROM changes WHERE seq > ? "
        "ORDER BY seq LIMIT ?",
        (after, limit),
    ).fetchall()
    identities = state.identities()
    total = state.db.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    base = minter.base
    items = []
    for seq, run_id, at, source, native, kind in rows:
        obj: dict[str, Any] = {
            "id": minter.record(source, native),
            "type": "dcat:CatalogRecord",
            "dcterms:identifier": native,
            "dcat:catalog": minter.catalog(source),
        }
        token = identities.get((source, native))
        if token and kind != "delete":
            obj["foaf:primaryTopic"] = minter.algorithm(token)
        items.append(
            {
                "id": f"{base}id/change/{seq}",
                "type": KINDS[kind],
                "published": at,
                "object": obj,
                "instrument": minter.activity(run_id, source),
            }
        )
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{base}changes?after={after}",
        "type": "OrderedCollectionPage",
        "partOf": {"id": f"{base}changes", "type": "OrderedCollection", "totalItems": total},
        "orderedItems": items,
    }
    if len(rows) == limit:
        doc["next"] = f"{base}changes?after={rows[-1][0]}"
    if after > 0:
        doc["prev"] = f"{base}changes?after={max(0, after - limit)}"
    return doc


def endpoint(request: Request) -> Response:
    ctx = context(request)
    try:
        after = max(0, int(request.query_params.get("after", "0")))
        limit = min(PAGE_SIZE, max(1, int(request.query_params.get("limit", str(PAGE_SIZE)))))
    except ValueError:
        return Response(
            "after and limit are whole numbers\n", status_code=400, media_type="text/plain"
        )
    state = ctx.state()
    try:
        doc = page(state, Minter(ctx.base_iri), after, limit)
    finally:
        state.close()
    body = json.dumps(doc, ensure_ascii=False, indent=1)
    return Response(body, media_type="application/activity+json")
