"""``/changes``: the change feed as paged ActivityStreams, with stable IRIs."""

from __future__ import annotations

import httpx
import pyoxigraph as ox

from federator.publish import snapshot

from .serverkit import Published

BASE = "https://algoritmes.example.org/"


def follow(client: httpx.Client, limit: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    url: str | None = f"/changes?limit={limit}"
    while url:
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/activity+json")
        page = r.json()
        assert page["type"] == "OrderedCollectionPage"
        items += page["orderedItems"]
        nxt = page.get("next")
        url = nxt.removeprefix(BASE) if isinstance(nxt, str) else None
        url = f"/{url}&limit={limit}" if url else None
    return items


def test_feed_lists_every_published_registration_once_as_create(
    client: httpx.Client, published: Published
) -> None:
    items = follow(client, limit=40)
    assert {i["type"] for i in items} == {"Create"}  # the second run changed nothing
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) and all(str(i).startswith(BASE + "id/change/") for i in ids)
    store = snapshot.open_current(published.data_dir)
    assert store is not None
    records = store.query(
        "SELECT ?r ?a WHERE { ?r <http://xmlns.com/foaf/0.1/primaryTopic> ?a }",
        use_default_graph_as_union=True,
    )
    assert isinstance(records, ox.QuerySolutions)
    published_records = {s["r"].value: s["a"].value for s in records}
    fed = {i["object"]["id"]: i["object"]["foaf:primaryTopic"] for i in items}  # type: ignore[index]
    assert fed == published_records


def test_pages_are_stable_cursors(client: httpx.Client) -> None:
    first = client.get("/changes?after=0&limit=5").json()
    again = client.get("/changes?after=0&limit=5").json()
    assert first == again
    assert first["next"] == f"{BASE}changes?after=5"
    assert first["partOf"]["totalItems"] >= 5


def test_bad_cursor_is_a_400(client: httpx.Client) -> None:
    assert client.get("/changes?after=x").status_code == 400
