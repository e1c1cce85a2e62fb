"""Record-level statements of the published graphs."""

from __future__ import annotations

import pytest

from federator.map.mapper import MappedRecord, record_body
from federator.publish.graphs import modified_literal

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-05T10:11:12.123Z", f'"2024-03-05"^^<{XSD}date>'),
        ("05-03-2024", f'"2024-03-05"^^<{XSD}date>'),
        ("maart 2024", f'"2026-01-02T03:04:05Z"^^<{XSD}dateTime>'),  # no whole date given
        (None, f'"2026-01-02T03:04:05Z"^^<{XSD}dateTime>'),
    ],
)
def test_modified_is_the_same_for_bodies_mapped_before_and_after_the_date_was_kept(
    raw: str | None, expected: str
) -> None:
    stored_before = {"identity": {"modified": raw}, "changed_at": "2026-01-02T03:04:05Z"}
    rec = MappedRecord(
        "s", "n-1", "https://x.test/d/1", {"modified": raw}, "https://x.test/o", "O", {}
    )
    mapped_now = {**record_body(rec, []), "changed_at": stored_before["changed_at"]}
    assert "modified_date" in mapped_now  # the date is kept when the record is mapped
    assert modified_literal(stored_before) == modified_literal(mapped_now) == expected


def test_the_date_worked_out_when_mapping_is_the_one_published() -> None:
    body = {"identity": {"modified": "2024-03-05"}, "changed_at": "2026-01-02T03:04:05Z"}
    assert modified_literal({**body, "modified_date": "2023-12-31"}) == f'"2023-12-31"^^<{XSD}date>'
    # None: the register gave no whole date when mapped; the raw value is not parsed again
    none = modified_literal({**body, "modified_date": None})
    assert none == f'"2026-01-02T03:04:05Z"^^<{XSD}dateTime>'
