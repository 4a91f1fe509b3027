"""The work folder `jobpack trace` runs a job in: a copy of the job's folder.

The job writes where it likes (`open('out.txt', 'w')`, a config's `${OUT}`); in the copy,
nothing it writes lands among the user's sources. Paths the recorder saw in the copy are
mapped back to the job's folder before they are compared with the manifest, and what the
job wrote is kept afterwards the way the runner keeps outputs: in a new folder of its own
under `jobpack-outputs/` that never merges into an earlier run's.
"""

from __future__ import annotations

import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# never the job's: version control, caches, and the folder trace itself keeps outputs in
SKIPPED = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache",
                     ".ruff_cache", ".tox", ".nox", "jobpack-outputs"})


@dataclass(frozen=True)
class WorkCopy:
    """`source` (the job's folder) copied to `copy`."""

    source: Path
    copy: Path

    def to_copy(self, path: Path) -> Path:
        """Where `path` (under the job's folder or not) is in the copy."""
        full = path.absolute()
        return self.copy / full.relative_to(self.source) if full.is_relative_to(
            self.source) else path

    def to_source(self, path: str | None) -> str | None:
        """A path the job saw in the copy, as it is in the job's folder."""
        if path is None or not Path(path).is_relative_to(self.copy):
            return path
        return str(self.source / Path(path).relative_to(self.copy))

    def keep(self, paths: Iterable[str], into: Path) -> Path | None:
        """Copy the files and folders at `paths` (relative to the job's folder) that the
        run left in the copy into a new folder under `into`; None when there were none."""
        present = sorted({p for p in paths if (self.copy / p).exists()})
        if not present:
            return None
        name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)
        into.mkdir(parents=True, exist_ok=True)
        partial = into / f".{name}.partial"
        for path in present:
            target = partial / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if (self.copy / path).is_dir():
                shutil.copytree(self.copy / path, target, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(self.copy / path, target)
        return partial.rename(into / name)


@contextmanager
def work_copy(source: Path) -> Iterator[WorkCopy]:
    """A temporary copy of `source`, removed on exit."""
    source = source.resolve()
    with tempfile.TemporaryDirectory(prefix="jobpack-trace-work-") as temp:
        copy = Path(temp) / source.name
        shutil.copytree(source, copy, symlinks=True, ignore=_not_the_jobs,
                        copy_function=_copy_readable)
        yield WorkCopy(source, copy)


def _not_the_jobs(folder: str, names: list[str]) -> set[str]:
    """What the copy leaves out: virtual environments (the job runs with the analysed
    interpreter, not a copy of it), version control and caches, and what is neither a
    file, a folder nor a link (a FIFO would block the copy)."""
    skipped = set()
    for name in names:
        path = Path(folder, name)
        try:
            mode = path.lstat().st_mode
        except OSError:
            mode = 0
        special = not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))
        venv = stat.S_ISDIR(mode) and (path / "pyvenv.cfg").exists()
        if name in SKIPPED or special or venv:
            skipped.add(name)
    return skipped


def _copy_readable(source: str, target: str) -> str:
    """Copy one file; one the user cannot read is left out (the job cannot read it
    either)."""
    try:
        return str(shutil.copy2(source, target))
    except OSError:
        return target
