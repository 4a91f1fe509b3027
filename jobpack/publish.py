"""Publishing files and cache entries so that no fault leaves a half-written one where a
reader looks: one way to write a file, one way to build a cache entry.

Standard library only, Python 3.8+: this module travels inside every archive beside the
runner and `layout.py`, so the runner's environment cache and jobpack's own caches share it.

- `atomic_write(path)`: the bytes go to a temporary file beside `path` whose name is known
  before it exists, then one rename publishes them. An error, SIGTERM or a full disk leaves
  `path` as it was and removes the temporary file; SIGKILL may leave a `.part` file, which
  no reader ever opens.
- `lock(path)`: `flock` on a descriptor of its own. The kernel releases it when the last
  descriptor closes, so it dies with its holder, SIGKILL included. Shared holders (running
  jobs) keep an exclusive taker (pruning) out.
- `build_entry(root, key, build)`: a cache entry is built in a work folder and published by
  rename under the entry's lock; only an entry with its completion marker is trusted, so a
  run killed at any point leaves nothing a later run uses, and that run repairs it.
- `die_with_parent()`: forked workers end when their parent does, so none outlives it
  holding an inherited lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import pickle
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

PART_SUFFIX = ".part"
COMPLETE = ".jobpack-complete"  # written last in a built entry, before its rename
USED = ".jobpack-used"  # touched on every use: the least recently used go first
STALE_SECONDS = 86400  # a work folder older than this belongs to a dead build


class NoSpace(OSError):
    """The disk filled while writing; nothing half-written was kept."""


def part_name(path: Path) -> Path:
    """The temporary name beside `path`; hidden, random, ending in `.part`."""
    return path.parent / f".{path.name}.{secrets.token_hex(6)}{PART_SUFFIX}"


@contextlib.contextmanager
def atomic_write(path: Path, mode: int = 0o644) -> Iterator[IO[bytes]]:
    """`with atomic_write(path) as handle: handle.write(...)`: `path` gets every byte or
    none. The handle is a real, seekable file (zipfile writes into it)."""
    temp = part_name(path)
    try:
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                             0o600)
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        temp.chmod(mode)
        temp.replace(path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise NoSpace(errno.ENOSPC, f"no space left on the device while writing "
                          f"{path}; nothing half-written was kept") from None
        raise


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` through `atomic_write`."""
    with atomic_write(path, mode) as handle:
        handle.write(data)


def write_cache_file(path: Path, data: bytes) -> bool:
    """A cache file, published atomically; False (and nothing left) when the cache is
    read-only or full: a cache only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError:
        return False
    return True


def read_cache_pickle(path: Path) -> object | None:
    """What `write_cache_file` stored as a pickle of jobpack's own data; None when the
    file is missing, torn or foreign (any unpickling error: the cache only costs speed)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        loaded: object = pickle.loads(data)  # jobpack's own file, in the user's cache folder
    except Exception:
        return None
    return loaded


@contextlib.contextmanager
def lock(path: Path, shared: bool = False, wait: bool = True) -> Iterator[bool]:
    """Hold a lock on `path` (created if missing); yields False when `wait` is off and
    another process holds it in a conflicting way. Dies with its holder."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
                        | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # closing releases the lock


def complete(entry: Path) -> bool:
    return (entry / COMPLETE).is_file()


def mark_used(entry: Path) -> None:
    with contextlib.suppress(OSError):
        (entry / USED).touch()


def lock_path(entry: Path) -> Path:
    return entry.parent / (entry.name + ".lock")


def build_entry(root: Path, key: str, build: Callable[[Path], object],
                in_place: bool = False) -> Path:
    """`root/key`, built by `build(folder)` unless a complete entry is there.

    Under the entry's exclusive lock: a complete entry is reused; an incomplete one (a
    build killed mid-way) is removed; otherwise `build` fills a fresh work folder, the
    completion marker (with the entry's size) is written last, and a rename publishes it.
    With `in_place` (a venv, whose files name their own path), `build` fills `root/key`
    itself; the marker, written last, is then the only publication. Two processes building
    the same entry at once build it once."""
    entry = root / key
    if complete(entry):
        mark_used(entry)
        return entry
    root.mkdir(parents=True, exist_ok=True)
    with lock(lock_path(entry)):
        if complete(entry):
            mark_used(entry)
            return entry
        if os.path.lexists(entry):  # never trusted: a killed build's remains
            _remove_tree(entry)
        if in_place:
            _build_in_place(entry, build)
        else:
            with work_folder(root, key) as folder:
                build(folder)
                _mark_complete(folder)
                folder.rename(entry)
        mark_used(entry)
    return entry


def _build_in_place(entry: Path, build: Callable[[Path], object]) -> None:
    entry.mkdir()
    try:
        build(entry)
        _mark_complete(entry)
    except BaseException:
        _remove_tree(entry)
        raise


def _mark_complete(folder: Path) -> None:
    size = sum(f.lstat().st_size for f in folder.rglob("*"))
    (folder / COMPLETE).write_text(json.dumps({"size": size}) + "\n")


@contextlib.contextmanager
def work_folder(root: Path, key: str) -> Iterator[Path]:
    """A fresh folder to build `key` in, removed unless renamed away (also on an error
    or SIGTERM; after SIGKILL, `remove_stale` removes it a day later)."""
    folder = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=root))
    folder.chmod(0o755)  # mkdtemp's 0700 would follow the folder into the cache
    try:
        yield folder
    finally:
        if folder.exists():
            _remove_tree(folder)


def remove_stale(root: Path, now: float | None = None) -> None:
    """Work folders and `.part` files of builds that died more than a day ago."""
    now = time.time() if now is None else now
    for leftover in [*root.glob(".tmp-*"), *root.glob("*" + PART_SUFFIX)]:
        with contextlib.suppress(OSError):
            if now - leftover.lstat().st_mtime > STALE_SECONDS:
                _remove_tree(leftover)


def remove_entry(entry: Path) -> bool:
    """Remove a complete entry unless someone holds its lock (a build, or a running job
    with a shared lock); the marker goes first, so a half-removed entry is never trusted."""
    with lock(lock_path(entry), wait=False) as mine:
        if not mine or not complete(entry):
            return False
        (entry / COMPLETE).unlink()
        _remove_tree(entry)
    return True


def _remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


_PR_SET_PDEATHSIG = 1


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's): the cap
    of every pool of worker processes."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """In a forked worker: be killed when the parent `parent` dies (Linux
    `PR_SET_PDEATHSIG`); where that is unavailable, or the parent already died, exit."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
