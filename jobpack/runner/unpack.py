"""Unpack a checked archive into an empty folder, re-hashing every member as it is written."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from jobpack.layout import FileRecord, RunSpec, SizeExceeded, hash_stream

from .errors import UnsafeMember
from .progress import Phase
from .verify import check_members


def unpack(path: Path, into: Path, spec: RunSpec) -> None:
    """Verify and unpack the archive's own members (the job's files, requirements) into
    `into`; its dependency layers stay where they are.

    Every header is checked before the first byte is written (`check_members`); each
    member's sha256 is recomputed while it is copied and must match the manifest."""
    with zipfile.ZipFile(path) as archive:
        expected = check_members(archive, spec)
        root = os.path.realpath(into)
        total = sum(record.size for record in expected.values())
        with Phase(f"unpacking {len(expected)} files", total):
            for name, record in sorted(expected.items()):
                target = into.joinpath(*PurePosixPath(name).parts)
                if not inside(str(target.parent), root):
                    raise UnsafeMember(name, "path leaves the work folder")
                _extract(archive, record, target)


def _extract(archive: zipfile.ZipFile, record: FileRecord, target: Path) -> None:
    with archive.open(record.path) as source:
        copy_checked(source, record, target)
    mode = (archive.getinfo(record.path).external_attr >> 16) & 0o777
    target.chmod(0o755 if mode & 0o111 else 0o644)


def copy_checked(source: IO[bytes], record: FileRecord, target: Path) -> None:
    """Copy one member from `source` to `target` (which must not exist), checking its size
    and sha256 against the manifest's record as it goes: the zip's members and the
    layers' alike."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as sink:
        try:
            digest, _ = hash_stream(source, sink, limit=record.size)
        except SizeExceeded:
            raise UnsafeMember(record.path, "more data than the manifest says") from None
    if digest != record.sha256:
        raise UnsafeMember(record.path, "sha256 differs from the manifest")


def inside(folder: str, root: str) -> bool:
    """Whether `folder` (after resolving symlinks) is `root` or below it (Python 3.8 has
    no Path.is_relative_to)."""
    real = os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)
