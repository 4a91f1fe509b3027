"""Temporary work folders that a killed runner leaves behind are removed by a later run.

A run unpacks the job, and joins the dependency layers sent in parts, into a fresh
`$TMPDIR/jobpack-run-*` folder that it removes when it ends. SIGKILL (the OOM killer's
signal, a `kill -9`, a node's agent) gives it no chance to, and on a long-lived machine (a
Ray worker node) each such run leaves gigabytes in the temporary folder until it is full.

So each work folder holds a lock file, `flock`ed for as long as its runner lives (the
kernel releases the lock with the runner's last descriptor, SIGKILL included), and a run
that starts removes the folders of its own user whose lock it can take:
- the lock file is written under another name, locked, then renamed into place, so a
  folder whose lock file is there is locked from its first moment;
- a folder kept on purpose (`--keep`, outputs that could not be collected) carries a mark,
  written while its runner still holds the lock, and is never removed;
- a folder without a lock file (being made this instant, or by an older runner) is never
  removed; nor is one that is not a real folder, or not the user's own.
The job itself never outlives its runner (`tether.py`), so an unlocked folder is in
nobody's use. Without `fcntl` (not Linux or macOS) nothing is locked and nothing removed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - the runner's home is Linux
    fcntl = None  # type: ignore[assignment]

PREFIXES = ("jobpack-run-", "jobpack-layers-")
LOCK = ".jobpack-lock"
KEPT = ".jobpack-kept"


class WorkFolder:
    """A fresh temporary folder named `prefix*`, locked until `release` (or the process's
    end)."""

    def __init__(self, prefix: str = PREFIXES[0]) -> None:
        if prefix not in PREFIXES:
            raise ValueError(f"not a work folder prefix: {prefix}")
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self._descriptor: int | None = None
        if fcntl is not None:
            try:
                self._descriptor = self._lock()
            except BaseException:  # a full disk: nothing left behind that no run removes
                shutil.rmtree(self.path, ignore_errors=True)
                raise

    def _lock(self) -> int:
        partial = self.path / (LOCK + ".new")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # nobody knows the name yet: no wait
            partial.replace(self.path / LOCK)
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor

    def keep(self) -> None:
        """Mark the folder as kept on purpose: no later run removes it."""
        with contextlib.suppress(OSError):
            (self.path / KEPT).touch()

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.release()

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the work folders under `root` (default: the temporary folder) that killed
    runs left behind, as the module says; return them."""
    if fcntl is None:
        return []
    root = Path(tempfile.gettempdir()) if root is None else root
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(PREFIXES) and _abandoned(Path(entry.path)):
            removed.append(Path(entry.path))
    return removed


def _abandoned(folder: Path) -> bool:
    """Remove `folder` if it is this user's work folder and its lock is free; whether it
    was removed."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return False
    try:
        descriptor = os.open(folder / LOCK, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False  # being made this instant, or not a lockable runner's folder
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # its runner lives
        if (folder / KEPT).exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()
    finally:
        os.close(descriptor)
