"""Which files may travel in an archive, and expanding folders into sorted file lists.

Never shipped: version-control folders, bytecode caches, virtual environments and files
that usually hold secrets. What a folder expansion leaves out is reported, not hidden.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from jobpack.errors import SpecialFileError

_SKIPPED_FOLDERS = {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache",
                    ".ruff_cache", ".tox", ".nox", ".ipynb_checkpoints"}
_SECRET_PATTERNS = (".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*",
                    "id_ed25519*", ".netrc", ".pypirc", ".git-credentials", "credentials",
                    "credentials.json", "*.p12", "*.pfx")
_SKIPPED_FILES = ("*.pyc", "*.pyo", ".DS_Store", "*.jobpack.zip")


def exclusion_reason(path: Path) -> str | None:
    """Why `path` (a file or folder) must not travel, or None when it may."""
    name = path.name
    if not _utf8(name):
        return "file name is not valid UTF-8 (an archive member name must be)"
    if path.is_dir():
        if name in _SKIPPED_FOLDERS:
            return "version control or cache folder"
        if (path / "pyvenv.cfg").is_file():
            return "virtual environment"
        return None
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in _SECRET_PATTERNS):
        return "may hold secrets"
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in _SKIPPED_FILES):
        return "bytecode, system file or archive"
    return None


def kind_reason(path: Path, root: Path | None = None) -> str | None:
    """Why `path` is not something that can travel as itself: only regular files and real
    folders do. A symbolic link is followed only when it stays inside `root`; FIFOs,
    sockets and devices would hang or never end (`/dev/zero`), so they never travel."""
    try:
        link = path.is_symlink()
        mode = path.stat().st_mode
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and path.is_symlink():
            return "dangling symbolic link"
        return f"cannot be read: {exc.strerror or exc}"
    if link and root is not None:
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(root):
            return f"symbolic link to {real}, outside the job folder"
    if stat.S_ISDIR(mode):
        return "symbolic link to a folder (not followed)" if link else None
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"),
             (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"))
    kind = next((name for test, name in kinds if test(mode)), "special file")
    return f"{kind}, not a regular file" + (" (through a symbolic link)" if link else "")


@dataclass(frozen=True)
class Expansion:
    files: tuple[Path, ...]  # sorted, absolute
    left_out: tuple[tuple[Path, str], ...]  # path and why


def expand(paths: list[Path], root: Path | None = None) -> Expansion:
    """Every regular file under `paths` (files or folders) that may travel, sorted.

    With `root` (the job folder), a symbolic link that leads outside it is left out."""
    files: set[Path] = set()
    left_out: list[tuple[Path, str]] = []
    real_root = Path(os.path.realpath(root)) if root is not None else None

    def consider(path: Path, *, top: bool = False) -> bool:
        """True when `path` may travel (a file) or be walked (a folder)."""
        why = (None if top and path.is_dir() and not path.is_symlink()
               else kind_reason(path, real_root)) or exclusion_reason(path)
        if why is not None:
            left_out.append((path, why))
        return why is None

    for start in paths:
        if not consider(start, top=True):
            continue
        if not start.is_dir():
            files.add(start)
            continue
        for folder, dirnames, filenames in os.walk(start):
            base = Path(folder)
            dirnames[:] = [d for d in sorted(dirnames) if consider(base / d)]
            files.update(base / f for f in filenames if consider(base / f))
    return Expansion(tuple(sorted(files)), tuple(sorted(set(left_out))))


def read_regular(path: Path, shown: str | None = None) -> bytes:
    """The bytes of `path`, refusing (without blocking) anything but a regular file: a
    FIFO would hang the read and `/dev/zero` would never end."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise SpecialFileError(_unreadable(path, exc), path=shown or str(path)) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):  # `helper.py/`: a folder where a file is expected
            raise SpecialFileError("is a folder, not a file", path=shown or str(path))
        if not stat.S_ISREG(mode):
            raise SpecialFileError("is not a regular file (a FIFO, socket or device); jobpack "
                                   "reads only regular files", path=shown or str(path))
        os.set_blocking(descriptor, True)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(descriptor)


def _unreadable(path: Path, exc: OSError) -> str:
    """Why a file cannot be opened, in the user's words."""
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops"
    if isinstance(exc, FileNotFoundError) and Path(path).is_symlink():
        return "is a dangling symbolic link"
    return f"cannot be read: {exc.strerror or exc}"


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.fsdecode's surrogates for bytes that are not UTF-8
        return False
    return True


def shown_name(path: Path, root: Path) -> str:
    """`path` relative to `root` for a message or a manifest: bytes that are not UTF-8
    appear as `\\xe9` escapes instead of breaking the JSON that carries them."""
    text = path.relative_to(root).as_posix()
    return os.fsencode(text).decode("utf-8", "backslashreplace")
