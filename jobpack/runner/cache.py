"""The environment cache's bookkeeping: where it is, locks, completeness, pruning.

An entry is `<key>/` (trusted only with its `.jobpack-complete` marker, written last before
the rename that publishes it), `<key>.lock` beside it, and `.tmp-<key>-*` while building.
Pruning removes entries unused for `MAX_AGE_DAYS` or beyond the size cap, least recently
used first, skipping any entry another run holds the lock of.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import RunnerError
from .progress import say

MAX_AGE_DAYS = 30
DEFAULT_MAX = "10G"
_COMPLETE = ".jobpack-complete"
_USED = ".jobpack-used"
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def cache_root(given: Path | None) -> Path:
    """--env-cache, else $JOBPACK_ENV_CACHE, else the user cache folder."""
    if given is not None:
        return given
    if os.environ.get("JOBPACK_ENV_CACHE"):
        return Path(os.environ["JOBPACK_ENV_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobpack" / "envs"


def parse_size(text: str) -> int:
    """`500M`, `10G`, `1.5T`, or bytes; the cap of --env-cache-max."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", text, re.IGNORECASE)
    if match is None:
        raise RunnerError(f"--env-cache-max {text!r}: expected a size such as 500M or 10G")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


@contextlib.contextmanager
def locked(lock: Path, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on `lock`; yields False when `wait` is off and it is taken."""
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def temporary_folder(cache: Path, key: str) -> Iterator[Path]:
    """A fresh folder to build in, removed unless the caller renamed it away (also when
    SIGTERM or an error interrupts the build)."""
    folder = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=cache))
    folder.chmod(0o755)  # mkdtemp's 0700 would follow the folder into the cache
    try:
        yield folder
    finally:
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)


def complete(entry: Path) -> bool:
    return (entry / _COMPLETE).is_file()


def mark_complete(entry: Path) -> None:
    size = sum(f.lstat().st_size for f in entry.rglob("*"))
    (entry / _COMPLETE).write_text(json.dumps({"size": size}) + "\n")


def mark_used(entry: Path) -> None:
    (entry / _USED).touch()


def _size(entry: Path) -> int:
    try:
        return int(json.loads((entry / _COMPLETE).read_text())["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _last_used(entry: Path) -> float:
    for name in (_USED, _COMPLETE):
        with contextlib.suppress(OSError):
            return (entry / name).stat().st_mtime
    return 0.0


def prune(cache: Path, max_bytes: int, keep: str = "") -> list[Path]:
    """Remove entries unused for MAX_AGE_DAYS, then the least recently used ones until the
    rest fits in `max_bytes`; also old leftovers of interrupted builds. Returns removed."""
    if not cache.is_dir():
        return []
    now = time.time()
    entries = sorted((e for e in cache.iterdir() if e.is_dir() and complete(e)
                      and e.name != keep), key=_last_used)
    total = sum(_size(e) for e in entries)
    removed = []
    for entry in entries:
        too_old = now - _last_used(entry) > MAX_AGE_DAYS * 86400
        if not too_old and total <= max_bytes:
            continue
        size = _size(entry)
        if _remove(cache, entry):
            removed.append(entry)
            total -= size
    for leftover in cache.glob(".tmp-*"):
        if now - leftover.stat().st_mtime > 86400:
            shutil.rmtree(leftover, ignore_errors=True)
    return removed


def _remove(cache: Path, entry: Path) -> bool:
    with locked(cache / (entry.name + ".lock"), wait=False) as mine:
        if not mine or not complete(entry):
            return False
        (entry / _COMPLETE).unlink()  # from here on no run trusts it
        shutil.rmtree(entry, ignore_errors=True)
    say(f"pruned environment {entry.name}")
    return True
