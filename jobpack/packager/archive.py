"""Write byte-reproducible zips: sorted members, fixed times and modes, no extras.

The one writer of zip members for archives, dependency layers, bytecode zips and Ray
packages (`write_members`). Members are stored, not deflated: deflate output depends on
the zlib build (zlib-ng gives other bytes than zlib), and "same bytes on any machine" is
the point. Sizes and digests come from the manifest (the job's files, hashed once by the
analysis) or from a first pass; the copy re-hashes and refuses a file that is not what
they say.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import signal
import stat
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from jobpack.errors import BuildError
from jobpack.layout import ZIP_EPOCH, SizeExceeded, hash_file, hash_stream, member_problem
from jobpack.publish import atomic_write

DEFAULT_EPOCH = ZIP_EPOCH
Stamp = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Member:
    """One zip member: its name and where its bytes come from (memory, a file, or `size`
    bytes of a file from `offset`)."""

    name: str
    sha256: str
    size: int
    executable: bool = False
    source: Path | None = None
    data: bytes | None = None
    changed: str = "file changed while the archive was being written"  # if its digest does
    offset: int = 0
    window: bool = False  # `size` bytes of `source` from `offset`; the file goes on after


    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Member:
        return cls(name, hashlib.sha256(data).hexdigest(), len(data), data=data)

    @classmethod
    def from_file(cls, name: str, source: Path) -> Member:
        digest, size = hash_file(source)
        executable = bool(source.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
        return cls(name, digest, size, executable, source=source)

    @classmethod
    def recorded(cls, name: str, source: Path, sha256: str, size: int) -> Member:
        """A file whose digest the manifest already holds: not read until it is copied,
        and refused then if it is not what was analysed."""
        executable = bool(source.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
        return cls(name, sha256, size, executable, source=source,
                   changed="changed since it was analysed (its sha256 is not the "
                           "manifest's); analyse the job again")


def parse_epoch(raw: str | None) -> int | None:
    """`SOURCE_DATE_EPOCH` as the CLI read it: None when unset or empty."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise BuildError(f"SOURCE_DATE_EPOCH={text!r} is not a whole number of seconds",
                         key="SOURCE_DATE_EPOCH") from None


def zip_timestamp(epoch: int | None = None) -> tuple[int, int, int, int, int, int]:
    """`epoch` (clamped to what a zip can hold) as a zip date, else 1980-01-01."""
    seconds = DEFAULT_EPOCH if epoch is None else epoch
    seconds = min(max(seconds, ZIP_EPOCH), 4354819199)  # 2107-12-31, the last a zip holds
    return time.gmtime(seconds)[:6]


def write_members(stream: IO[bytes], members: list[Member], stamp: Stamp,
                  on_member: Callable[[Member], None] | None = None) -> None:
    """`members` sorted by name as a stored zip into `stream` (ZIP64 only where a size
    or an offset needs it), every member dated `stamp`: the one deterministic writer."""
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise BuildError(f"two archive members share a name: {_first_duplicate(names)}")
    for name in names:  # what the runner would refuse to unpack is never written
        problem = member_problem(name)
        if problem is not None:
            raise BuildError(f"refusing to write archive member {name!r}: {problem}")
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for member in sorted(members, key=lambda m: m.name):
            _write_member(archive, member, stamp)
            if on_member is not None:
                on_member(member)


def write_zip(out: Path, members: list[Member],
              on_member: Callable[[Member], None] | None = None,
              epoch: int | None = None, prefix: Sequence[Path] = ()) -> None:
    """Write the files of `prefix` (dependency layers), then `members` as a zip, to `out`,
    atomically (a temp file, then a rename); every member dated `epoch` (seconds;
    default 1980-01-01). The zip is written on its own first, so its bytes (offsets
    included) do not depend on what lies before it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = zip_timestamp(epoch)
    with atomic_file(out) as stream:
        for layer in prefix:
            with layer.open("rb") as source:
                shutil.copyfileobj(source, stream, 1 << 22)
        if not prefix:
            write_members(stream, members, stamp, on_member)
            return
        with tempfile.TemporaryFile(dir=out.parent) as head:
            write_members(head, members, stamp, on_member)
            head.seek(0)
            shutil.copyfileobj(head, stream, 1 << 22)


@contextlib.contextmanager
def atomic_file(out: Path) -> Iterator[IO[bytes]]:
    """A new file that replaces `out` (mode 0644) only when the block completes; removed
    on any error or SIGTERM."""
    previous = _exit_on_sigterm()  # before the .part file exists, so none is left behind
    try:
        with atomic_write(out) as stream:
            yield stream
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm() -> signal.Handlers | Callable[..., object] | int | None:
    """Let SIGTERM unwind as an exception while the archive is written, so the `.part`
    file is removed; returns the handler to restore (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    return signal.signal(signal.SIGTERM, stop)


def member_info(name: str, stamp: Stamp, size: int, executable: bool = False
                ) -> zipfile.ZipInfo:
    """A stored member's header: Unix mode 0644 or 0755, `stamp`, no extra fields."""
    info = zipfile.ZipInfo(name, stamp)
    info.create_system = 3  # Unix, so the mode bits below mean the same everywhere
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = size
    return info


def _write_member(archive: zipfile.ZipFile, member: Member, stamp: Stamp) -> None:
    info = member_info(member.name, stamp, member.size, member.executable)
    if member.data is not None:
        archive.writestr(info, member.data)
        return
    assert member.source is not None
    with member.source.open("rb") as source, archive.open(info, "w") as target:
        source.seek(member.offset)
        # a whole file must hold no byte more than recorded; a window (a layer, the first
        # one at offset 0 too) is bounded
        stream = _Bounded(source, member.size) if member.window or member.offset else source
        try:
            digest, size = hash_stream(stream, sink=target,  # type: ignore[arg-type]
                                       limit=member.size)
        except SizeExceeded:
            digest, size = "", -1
    if digest != member.sha256 or size != member.size:
        raise BuildError(member.changed, path=str(member.source))


def _first_duplicate(names: list[str]) -> str:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return ""


class _Bounded:
    """The next `left` bytes of a stream, no more."""

    def __init__(self, stream: IO[bytes], left: int) -> None:
        self.stream, self.left = stream, left

    def read(self, size: int = -1) -> bytes:
        wanted = self.left if size < 0 else min(size, self.left)
        data = self.stream.read(wanted)
        self.left -= len(data)
        return data
