"""Write a byte-reproducible zip: sorted members, fixed times and modes, no extras.

Members are stored, not deflated: deflate output depends on the zlib build (zlib-ng
gives other bytes than zlib), and "same bytes on any machine" is the point. Sizes and
digests come from the manifest (the job's files, hashed once by the analysis) or from a
first pass; the copy re-hashes and refuses a file that is not what they say.
"""

from __future__ import annotations

import hashlib
import signal
import stat
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jobpack.errors import BuildError
from jobpack.layout import hash_file, hash_stream
from jobpack.publish import atomic_write

_ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip can hold
DEFAULT_EPOCH = _ZIP_EPOCH


@dataclass(frozen=True)
class Member:
    """One archive member: its name and where its bytes come from (a file or memory)."""

    name: str
    sha256: str
    size: int
    executable: bool = False
    source: Path | None = None
    data: bytes | None = None
    changed: str = "file changed while the archive was being written"  # if its digest does


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
    seconds = min(max(seconds, _ZIP_EPOCH), 4354819199)  # 2107-12-31, the last a zip holds
    return time.gmtime(seconds)[:6]


def write_zip(out: Path, members: list[Member],
              on_member: Callable[[Member], None] | None = None,
              epoch: int | None = None) -> None:
    """Write `members` sorted by name to `out`, atomically (a temp file, then a rename),
    every member dated `epoch` (seconds; default 1980-01-01)."""
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise BuildError(f"two archive members share a name: {_first_duplicate(names)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = zip_timestamp(epoch)
    previous = _exit_on_sigterm()  # before the .part file exists, so none is left behind
    try:
        with atomic_write(out) as handle, zipfile.ZipFile(
                handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for member in sorted(members, key=lambda m: m.name):
                _write_member(archive, member, stamp)
                if on_member is not None:
                    on_member(member)
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


def _write_member(archive: zipfile.ZipFile, member: Member,
                  stamp: tuple[int, int, int, int, int, int]) -> None:
    info = zipfile.ZipInfo(member.name, stamp)
    info.create_system = 3  # Unix, so the mode bits below mean the same everywhere
    info.external_attr = ((0o100755 if member.executable else 0o100644) & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = member.size
    if member.data is not None:
        archive.writestr(info, member.data)
        return
    assert member.source is not None
    with member.source.open("rb") as source, archive.open(info, "w") as target:
        digest, _ = hash_stream(source, sink=target)
    if digest != member.sha256:
        raise BuildError(member.changed, path=str(member.source))


def _first_duplicate(names: list[str]) -> str:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return ""
