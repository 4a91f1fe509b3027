"""Collect the declared outputs of each run into a new folder of its own.

`jobpack-outputs/<UTC time>-<short id>/`: a run never merges into, or replaces, what an
earlier run collected. The folder is filled under a temporary name and renamed when
complete. The output folder is checked before the job starts, so a job never runs for
hours only to find it cannot keep its results.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from jobpack.layout import RunSpec

from .errors import RunnerError

DEFAULT = Path("jobpack-outputs")


def declared(spec: RunSpec) -> list[str]:
    return [item.path for item in spec.outputs]


def prepare(spec: RunSpec, src: Path) -> None:
    """Make the declared outputs ready to write: an output folder exists (empty, unless
    the archive ships files in it), and so does the parent folder of an output file."""
    for item in spec.outputs:
        path = PurePosixPath(item.path)
        if not item.path or path.is_absolute() or ".." in path.parts:
            raise RunnerError(f"output {path} leaves the job's folder")
        target = src / path
        folder = target if item.folder else target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunnerError(f"output {item.path}: cannot create {folder}: "
                              f"{exc.strerror or exc}") from None


def check_output_root(root: Path) -> Path:
    """`root`, made absolute and created; refused when it cannot hold the outputs."""
    root = root.absolute()
    if root.exists() and not root.is_dir():
        raise RunnerError(f"--output-dir {root} is not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunnerError(f"--output-dir {root} cannot be created: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise RunnerError(f"--output-dir {root} is not writable")
    return root


def collect(spec: RunSpec, src: Path, root: Path) -> tuple[Path, list[str], list[str]]:
    """Copy the outputs from `src` into a new folder under `root`; return it, what was
    missing, and what was left out because it is not a file, folder or link (a FIFO the
    job made: copying it would block or fail, and it holds no data). Raises OSError when
    copying fails (the caller keeps the work folder)."""
    name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)
    partial = root / f".{name}.partial"
    partial.mkdir()
    missing: list[str] = []
    left_out: list[str] = []
    try:
        for path in declared(spec):
            source = src / path
            if not source.exists():
                missing.append(path)
                continue
            target = partial / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, symlinks=True,
                                ignore=_special_files(src, left_out))
            elif _special(source):
                left_out.append(path)
            else:
                shutil.copy2(source, target)
        final = root / name
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final, missing, left_out


def _special(path: Path) -> bool:
    try:
        mode = path.lstat().st_mode
    except OSError:
        return True
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))


def _special_files(src: Path, left_out: list[str]) -> Callable[[str, list[str]], set[str]]:
    """A copytree `ignore` that leaves special files out and notes them (relative to
    `src`)."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        special = {n for n in names if _special(Path(folder, n))}
        left_out.extend(sorted(Path(folder, n).relative_to(src).as_posix() for n in special))
        return special
    return ignore
