"""The build side's caches stay bounded: what a build keeps in the user cache folder
(facts, distribution tables, library walks, interpreter probes, bytecode, dependency
layers) is pruned now and then, so a day of torch builds does not leave gigabytes behind
for ever.

Each cache prunes its own folder after it writes there, at most once per `EVERY` seconds
(a stamp file's age says when it last did): files unused for `MAX_AGE` go, then the least
recently used until the folder holds its budget. A file used less than `IDLE` seconds ago
is never removed, whatever the budget: a build running beside this one may have just
found it and be about to copy it (a dependency layer, read a minute later while a 3 GB
archive is written). "Used" is the file's modification time: a cache that reuses a file
marks it (`mark_used`). A hidden `.part` file idle as long is a killed writer's
(`publish.atomic_write`) and goes. Folders of an older format (`v12` beside the current
`v13`) go once no jobpack has written to them for `OLD_FORMAT_AGE`.

Two processes may prune at once: a file already gone is skipped, and a cache that loses a
file only recomputes it (every reader here treats a missing file as not cached).
The runner's environment cache is pruned apart, by the runner (`runner/cache.py`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from jobpack.publish import PART_SUFFIX

MAX_AGE = 30 * 86400  # seconds a cache file may stay unused
OLD_FORMAT_AGE = 7 * 86400  # seconds a folder of an older format may go unwritten
IDLE = 3600  # a file used this recently is never removed
EVERY = 3600  # seconds between two prunes of one folder
STAMP = ".pruned"
MB = 1024 * 1024
# each cache's folder after a prune
FACTS_BYTES = 512 * MB  # per-file facts (`facts/vN`)
DISTS_BYTES = 256 * MB  # per-distribution tables of them (`dists/vN`)
WALKS_BYTES = 256 * MB  # library walks (`walks/vN`; a torch + transformers one: 3 MB)
PROBES_BYTES = 16 * MB  # interpreter probes' answers (`probes/vN`; a few kB each)
BYTECODE_BYTES = 1024 * MB  # compiled wheels (`bytecode`)
LAYERS_BYTES = 10 * 1024 * MB  # dependency layers (`layers`; a torch job's: 3 GB)
_VERSION = re.compile(r"v\d+")


def mark_used(file: Path) -> None:
    """A reused cache file is recent again (pruning goes by modification time)."""
    with contextlib.suppress(OSError):  # a read-only cache: pruned early, at worst
        os.utime(file)


def now_and_then(folder: Path, max_bytes: int, *, keep: Path | None = None,
                 now: float | None = None) -> list[Path]:
    """Prune `folder` (and its older-format siblings) unless that was done in the last
    `EVERY` seconds; what was removed."""
    now = time.time() if now is None else now
    stamp = folder / STAMP
    with contextlib.suppress(OSError):
        if now - stamp.stat().st_mtime < EVERY:
            return []
    try:
        stamp.touch()
        os.utime(stamp, (now, now))
    except OSError:
        return []  # a read-only cache is never pruned by us
    return [*old_versions(folder, now=now), *prune(folder, max_bytes, now=now, keep=keep)]


def prune(folder: Path, max_bytes: int, *, max_age: float = MAX_AGE, idle: float = IDLE,
          now: float | None = None, keep: Path | None = None) -> list[Path]:
    """Remove the files under `folder` unused for `max_age` seconds, then the least
    recently used until the rest take at most `max_bytes`; never `keep` nor a file used
    in the last `idle` seconds. Returns what it removed."""
    now = time.time() if now is None else now
    files = sorted(_files(folder), key=lambda found: (found[0], str(found[2])))  # oldest first
    # a `.part` file idle this long is a killed writer's: no one will publish it
    removed = [file for used, _, file in files
               if file.name.endswith(PART_SUFFIX) and now - used >= idle and _unlink(file)]
    files = [found for found in files if found[2] not in removed]
    total = sum(size for _, size, _ in files)
    for used, size, file in files:
        if (now - used <= max_age and total <= max_bytes) or now - used < idle:
            break
        if file != keep and _unlink(file):
            total -= size
            removed.append(file)
    return removed


def _unlink(file: Path) -> bool:
    try:
        file.unlink(missing_ok=True)
    except OSError:
        return False
    return True


def old_versions(folder: Path, *, max_age: float = OLD_FORMAT_AGE, now: float | None = None
                 ) -> list[Path]:
    """`folder`'s siblings of another format (`v12` beside `v13`) that no jobpack wrote
    to for `max_age` seconds (the folder's own time, or its stamp's: a jobpack of that
    format that writes there prunes there too)."""
    if not _VERSION.fullmatch(folder.name):
        return []
    now = time.time() if now is None else now
    removed = []
    with contextlib.suppress(OSError), os.scandir(folder.parent) as entries:
        for entry in entries:
            if (entry.name != folder.name and _VERSION.fullmatch(entry.name)
                    and entry.is_dir(follow_symlinks=False)
                    and now - _last_written(Path(entry.path)) > max_age):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed


def _last_written(folder: Path) -> float:
    times = []
    for path in (folder, folder / STAMP):
        with contextlib.suppress(OSError):
            times.append(path.stat().st_mtime)
    return max(times, default=0.0)


def _files(folder: Path) -> Iterator[tuple[float, int, Path]]:
    """(modification time, size, path) of every regular file under `folder` but the
    stamp; a file that vanished meanwhile is left out."""
    for root, _, names in os.walk(folder):
        for name in names:
            if name == STAMP:
                continue
            path = Path(root, name)
            with contextlib.suppress(OSError):
                info = path.lstat()
                yield info.st_mtime, info.st_size, path
