"""Compact forms of what federator keeps in bulk: record bodies and unified-graph blocks in
state, and the store's copies of what each graph last held (``publish.store``).

At 100,000 registrations the bodies and blocks were 1.2 GB of JSON and N-Triples in one
transaction, which SQLite writes twice (its write-ahead log, then the checkpoint): the commit
alone took 10 s. zstd at level 1 makes them about four times smaller; measured on the 20,000
bench's 121 MB of bodies it took 0.55 s, where zlib at level 1 took 2.1 s for the same ratio.
Values written before this (plain text, gzip copies) are still read.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

_local = threading.local()  # zstd contexts are not to be shared between threads
_DATES = ("first_seen", "changed_at")  # kept in their own columns, not in the body


def _compressor() -> zstandard.ZstdCompressor:
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = zstandard.ZstdCompressor(level=1)
    return compressor


def _compress(data: bytes) -> bytes:
    """A zstd frame of its own size: the one ``compress()`` returns keeps the buffer zstd's
    bound asked for, as big as ``data`` (a batch's packed bodies, or 100,000 unified blocks,
    held their unpacked size so: 240 MB more for the blocks)."""
    return bytes(memoryview(_compressor().compress(data)))


def _decompress(data: bytes) -> bytes:
    decompressor = getattr(_local, "decompressor", None)
    if decompressor is None:
        decompressor = _local.decompressor = zstandard.ZstdDecompressor()
    return decompressor.decompress(data)


def dumps(value: Any, sort_keys: bool = False) -> bytes:
    """Compact JSON in UTF-8, in a third of the standard library's time (orjson: 0.34 s
    against 0.99 s for the 20,000 bench's bodies). orjson writes NaN and infinities as null.
    What it refuses (integers beyond 64 bits, lone surrogates from a half-escaped emoji,
    non-string keys) falls back to the standard library with ASCII escapes, which any text
    survives. Read it back with ``json.loads``: orjson would read a big integer as a float."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:
        text = json.dumps(value, separators=(",", ":"), sort_keys=sort_keys, default=str)
        return text.encode("ascii")


def pack_body(body: dict[str, Any]) -> bytes:
    """A record body as state stores it (without the dates, which have columns)."""
    if _DATES[0] in body or _DATES[1] in body:  # a body just mapped has none: not copied
        body = {k: v for k, v in body.items() if k not in _DATES}
    return _compress(dumps(body))


def body_json(value: str | bytes) -> str | bytes:
    """A stored body's JSON text, unparsed (plain text from older versions, as it is)."""
    return value if isinstance(value, str) else _decompress(value)


def unpack_body(value: str | bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(value if isinstance(value, str) else _decompress(value))
    return body


def pack_texts(texts: list[bytes]) -> list[bytes]:
    """Texts encoded as UTF-8, packed (``unpack_text`` gives each text back). One call for
    many: zstd lets go of the GIL for the whole batch, so a helper thread packs beside the
    Python that makes the texts (``publish.blocks``). Each comes back a copy of its own
    size, as from ``_compress``."""
    try:  # threads=0: on this thread (its default, -1, would start one per core)
        frames = _compressor().multi_compress_to_buffer(list(texts), threads=0)
    except NotImplementedError:  # zstandard's CFFI backend has no batches
        return [_compress(text) for text in texts]
    return [frames[i].tobytes() for i in range(len(frames))]


def unpack_text(value: str | bytes) -> str:
    return value if isinstance(value, str) else _decompress(value).decode("utf-8")


def file_writer(path: Path) -> IO[bytes]:
    """A file that compresses what is written to it (closing it closes the file)."""
    raw = open(path, "wb")  # noqa: SIM115 (closed with the writer)
    writer: IO[bytes] = zstandard.ZstdCompressor(level=1).stream_writer(raw, closefd=True)
    return writer


def read_file(path: Path) -> bytes:
    """What ``file_writer`` wrote."""
    with open(path, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader:
        data: bytes = reader.read()
    return data


class Spool:
    """Values set aside on disk until the run's commit reads them back, once each: held in
    memory through the publish, the 100,000 bench's packed bodies (about 150 MB) took its peak
    RSS over 2 GB. The file has no name (it goes when closed or when the process dies)."""

    def __init__(self, directory: Path) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close)
        self._where: dict[str, tuple[int, int]] = {}

    def put_all(self, values: dict[str, bytes]) -> None:
        self._file.seek(0, 2)
        for key, value in values.items():
            self._where[key] = (self._file.tell(), len(value))
            self._file.write(value)

    def pop(self, key: str) -> bytes | None:
        where = self._where.pop(key, None)
        if where is None:
            return None
        self._file.seek(where[0])
        return self._file.read(where[1])

    def close(self) -> None:
        self._file.close()
