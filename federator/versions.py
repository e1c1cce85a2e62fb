"""Versions that key federator's caches: what was mapped or published by an older federator.

A record mapped before is reused while its raw content, its mapping file and ``mapping_key``
are the same; the published graphs are rebuilt when ``graphs_key`` changes. Both come from
explicit version numbers and the data files the code reads, never from the text of Python
files (a comment edited must not force a full re-map; a new organisation list must).

Bump a number in the same commit as the change it stands for:
- ``MAPPING``: the mapping or validation code now makes other records from the same input;
- ``GRAPHS``: the published graphs' layout changes (other triples from the same records);
- ``VOCABULARY``: an IRI or namespace in ``vocab.py`` changes.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

MAPPING = 3  # 2: organisations by register kind (lists own|many), national bodies; 3: RDF
# literals keep their language tags, a source's language, paths into nested data
GRAPHS = 3  # 2: organisations reconciled (owl:sameAs, altLabel, canonical publisher)
# 3: no reg:warning for an empty recommended field; a source graph's text in two parts
VOCABULARY = 1

# The package data each key depends on: the organisation list names organisations in
# records; the shapes decide verdicts; the vocabulary is published and labels concepts.
MAPPING_DATA = ("organisations.csv", "shapes.ttl", "vocabulary.ttl")
GRAPHS_DATA = ("organisations.csv", "vocabulary.ttl")


@cache
def data_digest(*names: str) -> str:
    """SHA-256 over the named files of ``federator/data``, in order."""
    hasher = hashlib.sha256()
    for name in names:
        data = resources.files("federator.data").joinpath(name).read_bytes()
        hasher.update(f"{name}\0{len(data)}\0".encode())
        hasher.update(data)
    return hasher.hexdigest()


def mapping_key() -> str:
    """Changes when records mapped by an older federator must be mapped again."""
    return f"mapping {MAPPING} vocabulary {VOCABULARY} data {data_digest(*MAPPING_DATA)}"


def graphs_key() -> str:
    """Changes when graphs published by an older federator must be rebuilt."""
    return f"graphs {GRAPHS} vocabulary {VOCABULARY} data {data_digest(*GRAPHS_DATA)}"
