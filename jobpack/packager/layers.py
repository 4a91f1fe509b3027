"""Dependency layers: the bundled wheels and their bytecode, in a few stored zips named by
their sha256, built once and kept in the user cache.

A layer's bytes depend on its members alone (names, bytes; every member dated 1980), so
the cache is keyed by the members' digests: a rebuild after a code change finds its
layers there and only copies them. Wheels are grouped in name order into layers of about
`LAYER_TARGET` bytes (a bigger wheel is a layer of its own), so a Ray cluster stores
each under the dashboard's upload limit and a changed pin changes one or two of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jobpack import cache_prune, wheelset
from jobpack.layout import ZIP_EPOCH_DATE, FileRecord, LayerRecord, hash_file
from jobpack.packager.archive import Member, write_members
from jobpack.publish import atomic_write, write_cache_file

LAYER_TARGET = 64 * 1024 * 1024
_FORMAT = "jobpack-layer/1"  # bump when a layer's bytes would change for the same members


@dataclass(frozen=True)
class BuiltLayer:
    """A layer written to disk: its file and its record for the manifest."""

    path: Path
    record: LayerRecord


def deal(groups: Iterable[list[Member]], target: int = LAYER_TARGET) -> list[list[Member]]:
    """Deal groups of members (a wheel and its bytecode), in the order given, into layers
    of about `target` bytes; a group is never split."""
    layers: list[list[Member]] = []
    size = 0
    for group in groups:
        weight = sum(m.size for m in group)
        if not layers or (size + weight > target and size > 0):
            layers.append([])
            size = 0
        layers[-1].extend(group)
        size += weight
    return layers


class LayerStore:
    """Writes layers into `folder` (the user cache, or a temporary folder), reusing one
    already there with the same members."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def layer(self, members: list[Member]) -> BuiltLayer:
        key = _key(members)
        known = self._known(key)
        if known is not None:
            return known
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{key}.zip"
        with atomic_write(final) as stream:
            write_members(stream, members, ZIP_EPOCH_DATE)
        digest, size = hash_file(final)
        record = LayerRecord(digest, size, tuple(FileRecord(m.name, m.sha256, m.size)
                                                 for m in sorted(members, key=lambda m: m.name)))
        write_cache_file(self.folder / f"{key}.json", json.dumps(record.to_dict()).encode())
        cache_prune.now_and_then(self.folder, cache_prune.LAYERS_BYTES, keep=final)
        return BuiltLayer(final, record)

    def _known(self, key: str) -> BuiltLayer | None:
        """The layer of these members written before; its size is checked here, its
        sha256 by the runner (a layer damaged in the cache fails there, loudly)."""
        try:
            record = LayerRecord.from_dict(json.loads((self.folder / f"{key}.json").read_bytes()))
            path = self.folder / f"{key}.zip"
            if path.stat().st_size == record.size:
                cache_prune.mark_used(path)  # a prune beside this build keeps it now
                cache_prune.mark_used(self.folder / f"{key}.json")
                return BuiltLayer(path, record)
        except (OSError, ValueError):
            pass
        return None  # absent or damaged: written again


    def checked(self, wheels: list[Member], target: str) -> bool:
        """Whether this set of wheels passed `jobpack.wheelset`'s check before: it reads
        every wheel's directory (seconds for torch), and its answer depends on their
        bytes and the `target` Python alone."""
        return (self.folder / "checked" / _checked_key(wheels, target)).is_file()

    def remember_checked(self, wheels: list[Member], target: str) -> None:
        write_cache_file(self.folder / "checked" / _checked_key(wheels, target), b"")


def _checked_key(wheels: list[Member], target: str) -> str:
    """The wheels' digests, the target and the rules they were checked by (wheelset.py's
    bytes)."""
    rules = hashlib.sha256(Path(wheelset.__file__).read_bytes() + target.encode())
    return f"{_key(wheels)}-{rules.hexdigest()[:16]}"


def _key(members: list[Member]) -> str:
    digest = hashlib.sha256(_FORMAT.encode() + b"\0")
    for member in sorted(members, key=lambda m: m.name):
        digest.update(f"{member.name}\0{member.sha256}\0{member.size}\0".encode())
    return "key-" + digest.hexdigest()


class DigestMemo:
    """sha256 of files that never change in place (the wheel cache's), remembered by
    path, size and modification time, so a rebuild does not read gigabytes of wheels."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def member(self, name: str, source: Path) -> Member:
        stat = source.stat()
        key = hashlib.sha256(f"{source.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
                             .encode()).hexdigest()
        entry = self.folder / key if self.folder is not None else None
        try:
            digest = entry.read_text().strip() if entry is not None else ""
        except OSError:
            digest = ""
        if len(digest) != 64:
            digest, _ = hash_file(source)
            if entry is not None:
                write_cache_file(entry, digest.encode())
        return Member(name, digest, stat.st_size, source=source)
