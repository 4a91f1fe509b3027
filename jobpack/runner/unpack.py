"""Unpack a checked archive into an empty folder, re-hashing every member as it is written."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from jobpack.layout import FileRecord, SizeExceeded, hash_stream

from .errors import UnsafeMember
from .progress import Phase
from .verify import check_members, read_manifest


def unpack(path: Path, into: Path, select: Callable[[str], bool] = lambda _: True
           ) -> dict[str, Any]:
    """Verify and unpack the archive's members that `select` accepts into `into`; return
    the manifest.

    Every header is checked before the first byte is written (`check_members`); each
    member's sha256 is recomputed while it is copied and must match the manifest."""
    with zipfile.ZipFile(path) as archive:
        manifest = read_manifest(archive)
        expected = {name: record for name, record in check_members(archive, manifest).items()
                    if select(name)}
        root = os.path.realpath(into)
        total = sum(record.size for record in expected.values())
        with Phase(f"unpacking {len(expected)} files", total):
            for name, record in sorted(expected.items()):
                target = into.joinpath(*PurePosixPath(name).parts)
                if not _inside(str(target.parent), root):
                    raise UnsafeMember(name, "path leaves the work folder")
                _extract(archive, record, target)
    return manifest


def _extract(archive: zipfile.ZipFile, record: FileRecord, target: Path) -> None:
    """Copy one member to `target` (which must not exist), checking size and sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(record.path) as source, target.open("xb") as sink:
        try:
            digest, _ = hash_stream(source, sink, limit=record.size)
        except SizeExceeded:
            raise UnsafeMember(record.path, "more data than the manifest says") from None
    if digest != record.sha256:
        raise UnsafeMember(record.path, "sha256 differs from the manifest")
    mode = (archive.getinfo(record.path).external_attr >> 16) & 0o777
    target.chmod(0o755 if mode & 0o111 else 0o644)


class _Slice(io.RawIOBase):
    """A read-only, seekable view of `size` bytes of `handle` from `start`: a stored
    member read in place, so zipfile can open a bundled wheel without a copy on disk."""

    def __init__(self, handle: BinaryIO, start: int, size: int) -> None:
        super().__init__()
        self._handle, self._start, self._size, self._pos = handle, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), max(self._size - self._pos, 0))
        if wanted == 0:
            return 0
        self._handle.seek(self._start + self._pos)
        data = self._handle.read(wanted)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()


def open_member(path: Path, record: FileRecord, into: Path) -> BinaryIO:
    """A checked archive member to read (a bundled wheel), after its sha256 is confirmed.

    A stored member (jobpack writes nothing else) is read in place from the archive;
    another is unpacked into `into` first."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(record.path)
        if info.compress_type != zipfile.ZIP_STORED:
            target = into.joinpath(*PurePosixPath(record.path).parts)
            _extract(archive, record, target)
            return target.open("rb")
    handle = path.open("rb")
    try:
        handle.seek(info.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", handle.read(4))
        view = _Slice(handle, info.header_offset + 30 + name_length + extra_length,
                      info.file_size)
        digest, _ = hash_stream(view)  # type: ignore[arg-type]
        if digest != record.sha256:
            raise UnsafeMember(record.path, "sha256 differs from the manifest")
        view.seek(0)
        return view  # type: ignore[return-value]
    except BaseException:
        handle.close()
        raise


def _inside(folder: str, root: str) -> bool:
    """Whether `folder` (after resolving symlinks) is `root` or below it (Python 3.8 has
    no Path.is_relative_to)."""
    real = os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)
