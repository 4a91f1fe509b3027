"""Where jobpack may write a file: never over anything the user owns but what jobpack
wrote itself (an old archive, an old graph).

`-o` names a `.zip` file or a folder for `NAME.jobpack.zip`. An existing file is replaced
only when it is a regular file holding what jobpack writes there (or nothing) and is not
one of the job's own files; system folders (`/dev`, `/proc`, `/sys`) are never written
to. The bytes then go through `jobpack.publish.atomic_write`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from jobpack.errors import OutputPathError

_SYSTEM = (Path("/dev"), Path("/proc"), Path("/sys"))
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def output_path(requested: str | Path | None, name: str) -> Path:
    """The archive path for `-o requested`: an existing folder gets `name` inside it."""
    if requested is None:
        return Path(name)
    text = str(requested)
    target = Path(text)
    if text.endswith("/") or _is_dir(target):
        return target / name
    return target


def check_output(target: Path, protected: Iterable[Path] = ()) -> None:
    """Raise `OutputPathError` unless writing the archive `target` loses nothing of the
    user's: only an old archive (a zip) or an empty file may be replaced."""
    if target.suffix.lower() != ".zip":
        raise OutputPathError("the archive name must end with .zip (or name a folder)",
                              path=str(target))
    check_target(target, protected, lambda head: head[:4] in _ZIP_MAGIC,
                 "is not a zip archive")


def check_target(target: Path, protected: Iterable[Path], ours: Callable[[bytes], bool],
                 what: str) -> None:
    """The one rule for every file jobpack writes (archives, graphs): never into a system
    folder, never over one of the job's own files (`protected`, files or folders), and
    over an existing file only when it is empty or `ours(its first 512 bytes)` says
    jobpack wrote it; otherwise `OutputPathError` ending "exists and {what}"."""
    shown = str(target)
    real = Path(os.path.realpath(target))
    if any(real == s or real.is_relative_to(s) for s in _SYSTEM):
        raise OutputPathError("refusing to write into a system folder", path=shown)
    guarded = {Path(os.path.realpath(p)) for p in protected}
    if real in guarded or any(real.is_relative_to(g) for g in guarded if _is_dir(g)):
        raise OutputPathError("is one of the job's own files; name another output path",
                              path=shown)
    _check_existing(target, real, shown, ours, what)
    _check_folder(real.parent, shown)


def _check_existing(target: Path, real: Path, shown: str, ours: Callable[[bytes], bool],
                    what: str) -> None:
    if not os.path.lexists(target):
        return
    if not real.exists():
        raise OutputPathError("is a dangling symbolic link", path=shown)
    if not real.is_file():
        raise OutputPathError("exists and is not a regular file", path=shown)
    try:
        with real.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise OutputPathError(f"cannot be read: {exc.strerror}", path=shown) from None
    if head and not ours(head):
        raise OutputPathError(f"exists and {what}; refusing to replace it", path=shown)


def _check_folder(folder: Path, shown: str) -> None:
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(f"{existing} is not a folder", path=shown)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"the folder {existing} is not writable", path=shown)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
