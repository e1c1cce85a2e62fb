"""Map stage: raw records -> triples in the shared vocabulary, through a mapping file.

Entry point: ``map_records(source, harvested, mapping, minter)``. Records are never dropped
here: problems become warnings (travelling with the record) or record errors (reported,
the others go on).
"""

from __future__ import annotations

from federator.map.mapper import MappedRecord, map_records

__all__ = ["MappedRecord", "map_records"]
