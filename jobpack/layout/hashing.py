"""sha256 and size of a stream or a file, read in chunks (bounded memory), optionally
copied while hashed and capped in size: how both sides check every member and layer."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import IO

CHUNK = 1 << 20


class SizeExceeded(ValueError):
    """A stream holds more bytes than it was allowed to."""


def hash_stream(
    stream: IO[bytes], sink: IO[bytes] | None = None, limit: int | None = None
) -> tuple[str, int]:
    """sha256 hex digest and size of a stream, read in chunks; copies into `sink` while
    hashing when given. Raises `SizeExceeded` as soon as more than `limit` bytes come."""
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK)  # one buffer, filled in place: no copy per chunk
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    while True:
        if readinto is not None:
            count = readinto(buffer) or 0
            chunk = view[:count]
        else:
            chunk = memoryview(stream.read(CHUNK))
            count = len(chunk)
        if not count:
            return digest.hexdigest(), size
        size += count
        if limit is not None and size > limit:
            raise SizeExceeded(f"more than {limit} bytes")
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)


def hash_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """sha256 hex digest and size of the file at `path` (a str or os.PathLike)."""
    with Path(path).open("rb") as handle:
        return hash_stream(handle)

