"""What a target Python can read of an archive, checked before writing; and the rebuild
that rewrites only the zip after unchanged dependency layers.

`python3 NAME.jobpack.zip` starts through `zipimport`, which reads ZIP64 records only from
Python 3.13, and `zipfile` writes them as soon as a zip passes 2 GiB (or 65,535 members).
Dependency layers are outside that zip (read by `zipfile`, which reads ZIP64 on every
Python 3.8+), so only the zip itself (runner, manifest, the job's files and inputs) must
stay under those limits for a target before 3.13.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from jobpack.errors import BuildError
from jobpack.layout import CHUNK, MANIFEST_NAME, LayerRecord, RunSpec, zip_start
from jobpack.layout.sizes import megabytes
from jobpack.packager.archive import Member, write_members, zip_timestamp

ZIP64_LIMIT = (1 << 31) - 1  # zipfile's: past it, a size or an offset is written as ZIP64
MEMBER_LIMIT = 0xFFFF
_CENTRAL = 46  # bytes of a central directory entry before its name
_LOCAL = 30


def check_readable(python: str, members: list[Member]) -> None:
    """Refuse, before writing, a zip that the target's zipimport could not read."""
    major, minor = (int(part) for part in python.split(".")[:2])
    if (major, minor) >= (3, 13):
        return
    size = sum(_LOCAL + _CENTRAL + 2 * len(m.name.encode()) + m.size for m in members) + 22
    if size <= ZIP64_LIMIT and len(members) < MEMBER_LIMIT:
        return
    biggest = max(members, key=lambda m: m.size)
    raise BuildError(
        f"the archive's own zip (runner, manifest, the job's files and inputs) would be "
        f"{size / 2**30:.2f} GiB in {len(members)} members, past the 2 GiB / 65,535 members "
        f"that Python {python}'s zipimport can start from (ZIP64 needs 3.13); the biggest is "
        f"{biggest.name} ({megabytes(biggest.size, 0)}): read large data from storage in "
        "the job instead of shipping it as an input, or target Python 3.13")


def zip_digest(target: Path, start: int) -> str:
    """sha256 of the archive's zip: the bytes after its layers."""
    digest = hashlib.sha256()
    with target.open("rb") as stream:
        stream.seek(start)
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def rewrite_in_place(target: Path, layers: list[LayerRecord], members: list[Member],
                     epoch: int | None, on_member: Callable[[Member], None] | None) -> bool:
    """When `target` is a jobpack archive whose layers are exactly `layers`, rewrite only
    the zip after them (a code change: kilobytes, not gigabytes); False otherwise, and
    nothing was touched. Its layers are trusted by the digests its manifest records
    (`jobpack verify` and the runner recompute them). Not atomic, unlike every other
    write: SIGINT and SIGTERM wait, a full disk fails before a byte changes, but a
    SIGKILL or a power cut in the milliseconds of the write leaves a damaged zip, which
    the next build replaces whole (its layers no longer match)."""
    prefix = sum(layer.size for layer in layers)
    if not _same_layers(target, layers, prefix):
        return False
    with tempfile.TemporaryFile(dir=target.parent) as head:
        write_members(head, members, zip_timestamp(epoch), on_member)
        size = head.tell()
        head.seek(0)
        with _signals_held(), target.open("r+b") as stream:
            _reserve(stream.fileno(), prefix, size)
            stream.seek(prefix)
            for chunk in iter(lambda: head.read(CHUNK), b""):
                stream.write(chunk)
            stream.truncate(prefix + size)
    return True


def _reserve(descriptor: int, offset: int, size: int) -> None:
    """Reserve the blocks before writing: a full disk fails here, the archive whole (a
    file system that cannot reserve is written as it is)."""
    try:
        os.posix_fallocate(descriptor, offset, size)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
            raise


def _same_layers(target: Path, layers: list[LayerRecord], prefix: int) -> bool:
    try:
        info = os.lstat(target)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size <= prefix:
            return False  # a hard link would change another name's file too
        if zip_start(target) != prefix:
            return False
        with zipfile.ZipFile(target) as archive:
            old = RunSpec.from_dict(json.loads(archive.read(MANIFEST_NAME))).layers
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False
    return [(r.sha256, r.size) for r in old] == [(r.sha256, r.size) for r in layers]


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the few kilobytes are written: never half a zip."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
