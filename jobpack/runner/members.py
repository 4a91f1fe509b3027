"""A wheel's members copied straight from its file, and a big wheel's members dealt out.

`zipfile`'s own reading goes through a shared file object, a local-header parse and a
buffered reader per member: for torch's 12,248 small files that Python costs more than
inflating them. `Members` reads each member's local header and its compressed bytes with
`os.pread` from the file (or the dependency layer) the wheel lies in, inflates them with
`zlib` in one call (in bounded steps for big members), checks the size and CRC the central
directory gives, and writes the file with `os.write`. Anything unusual (a compression
other than stored or deflated, encryption, a wheel only held in memory) goes through
`zipfile` as before. The bytes were checked already: the dependency layer's sha256 covers
every byte of the wheel.

`deal` splits one wheel's members into parts of about equal work, so a huge wheel (torch:
12,248 files, 699 MB) is installed by every worker at once, each opening the same wheel in
place; members of one name stay in one part, in order, so the tree is the one a single
process writes.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO

from .errors import RunnerError

STEP = 1 << 20  # bytes read or inflated at a time: memory stays bounded per worker
FILE_COST = 16 * 1024  # what creating one file costs, in bytes of compressed data read
_HEADER = struct.Struct("<4s22xHH")  # local file header: signature ... name and extra length


class Members:
    """Where a wheel's bytes are: an open descriptor and the wheel's offset in it."""

    def __init__(self, wheel: Path | IO[bytes]) -> None:
        path, self.base = _location(wheel)
        self.fd = os.open(path, os.O_RDONLY) if path is not None else -1

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def direct(self, info: zipfile.ZipInfo) -> bool:
        """Whether `copy` can read this member (else use `zipfile`)."""
        return self.fd >= 0 and not info.flag_bits & 0x1 \
            and info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

    def copy(self, info: zipfile.ZipInfo, target: str) -> bytes | None:
        """Write the member to `target` (created or truncated, mode 0666 less the umask);
        return its bytes when small (the caller may hash them), else None."""
        start = self._data_start(info)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            if info.compress_size <= STEP and info.file_size <= STEP:
                data = self._small(info, start)
                _write_all(out, data)
                return data
            self._stream(info, start, out)
            return None
        finally:
            os.close(out)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A small member's bytes (a script to rewrite), checked like `copy` checks them."""
        return self._small(info, self._data_start(info))

    def _data_start(self, info: zipfile.ZipInfo) -> int:
        name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        offset = self.base + info.header_offset
        header = os.pread(self.fd, _HEADER.size + len(name), offset)
        if len(header) < _HEADER.size:
            raise _damaged(info, "its local header is cut short")
        magic, name_length, extra_length = _HEADER.unpack_from(header)
        if magic != b"PK\x03\x04" or header[_HEADER.size:] != name or name_length != len(name):
            raise _damaged(info, "its local header does not match the central directory")
        return int(offset + _HEADER.size + name_length + extra_length)

    def _small(self, info: zipfile.ZipInfo, start: int) -> bytes:
        raw = os.pread(self.fd, info.compress_size, start)
        if len(raw) != info.compress_size:
            raise _damaged(info, "its data is cut short")
        if info.compress_type == zipfile.ZIP_STORED:
            data = raw
        else:
            inflater = zlib.decompressobj(-15)
            data = inflater.decompress(raw, info.file_size + 1)
        _check(info, data, len(data), zlib.crc32(data))
        return data

    def _stream(self, info: zipfile.ZipInfo, start: int, out: int) -> None:
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED \
            else None
        done = size = crc = 0
        while done < info.compress_size:
            raw = os.pread(self.fd, min(STEP, info.compress_size - done), start + done)
            if not raw:
                raise _damaged(info, "its data is cut short")
            done += len(raw)
            while raw:
                data, raw = (raw, b"") if inflater is None \
                    else (inflater.decompress(raw, STEP), inflater.unconsumed_tail)
                size, crc = size + len(data), zlib.crc32(data, crc)
                if size > info.file_size:
                    raise _damaged(info, "it inflates past its size")
                _write_all(out, data)
        _check(info, b"", size, crc)


def deal(infos: list[zipfile.ZipInfo], parts: int) -> list[list[zipfile.ZipInfo]]:
    """`infos` in `parts` lists of about equal work (compressed bytes plus a cost per
    file), each in the wheel's order; members of one name always share a part."""
    groups: dict[str, list[int]] = {}
    for index, info in enumerate(infos):
        groups.setdefault(info.filename, []).append(index)
    costs = sorted(((sum(infos[i].compress_size + FILE_COST for i in members), members)
                    for members in groups.values()), key=lambda item: (-item[0], item[1][0]))
    loads = [(0, part) for part in range(parts)]
    chosen: list[list[int]] = [[] for _ in range(parts)]
    for cost, members in costs:  # the biggest first, each to the least loaded part
        load, part = heapq.heappop(loads)
        chosen[part] += members
        heapq.heappush(loads, (load + cost, part))
    return [[infos[i] for i in sorted(indexes)] for indexes in chosen]


def record_hash(data: bytes) -> str:
    """RECORD's hash of some bytes: `sha256=` and the urlsafe base64 digest."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def hash_file(path: str) -> tuple[str, int]:
    """RECORD's hash of a file, read in chunks: memory stays bounded whatever its size."""
    digest, size = hashlib.sha256(), 0
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    encoded = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=")
    return "sha256=" + encoded.decode(), size


def _location(wheel: Path | IO[bytes]) -> tuple[str | None, int]:
    if isinstance(wheel, Path):
        return str(wheel), 0
    path, start = getattr(wheel, "path", None), getattr(wheel, "start", None)
    if isinstance(path, str) and isinstance(start, int):  # a layers.Slice
        return path, start
    return None, 0


def _check(info: zipfile.ZipInfo, data: bytes, size: int, crc: int) -> None:
    if size != info.file_size or crc != info.CRC:
        raise _damaged(info, "its size or CRC differs from the central directory")


def _write_all(out: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(out, view):]


def _damaged(info: zipfile.ZipInfo, why: str) -> RunnerError:
    return RunnerError(f"wheel member {info.filename!r} is damaged: {why}")
