"""HTTP content negotiation: pick the best offered media type for an ``Accept`` header."""

from __future__ import annotations

from collections.abc import Sequence


def parse_accept(header: str) -> list[tuple[str, float]]:
    """Media ranges of an ``Accept`` header with their quality, parameters other than q dropped."""
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        if "/" not in media:
            media = "*/*" if media == "*" else media + "/*"
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    # The most specific matching range decides (RFC 9110, 12.5.1): exact > type/* > */*.
    kind = offer.split("/", 1)[0]
    best: tuple[int, float] | None = None
    for media, q in ranges:
        if media == offer:
            spec = 3
        elif media == f"{kind}/*":
            spec = 2
        elif media == "*/*":
            spec = 1
        else:
            continue
        if best is None or spec > best[0]:
            best = (spec, q)
    return (0.0, 0) if best is None else (best[1], best[0])


def choose(header: str | None, offered: Sequence[str]) -> str | None:
    """The offered type the client prefers most; the first offered when there is no header.

    Ties go to the server's order of preference; None when nothing offered is acceptable.
    """
    if not offered:
        return None
    if not header or not header.strip():
        return offered[0]
    ranges = parse_accept(header)
    if not ranges:
        return offered[0]
    best, best_key = None, (0.0, 0, 0)
    for i, offer in enumerate(offered):
        q, spec = _quality(offer, ranges)
        key = (q, spec, -i)
        if q > 0 and (best is None or key > best_key):
            best, best_key = offer, key
    return best


def prefers_html(header: str | None) -> bool:
    """True when a browser asks: text/html is acceptable and at least as wanted as JSON."""
    return choose(header, ("application/json", "text/html")) == "text/html"
