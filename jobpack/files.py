"""Which files may travel in an archive, and expanding folders into sorted file lists.

Never shipped: version-control folders, bytecode caches, virtual environments and files
that usually hold secrets. What a folder expansion leaves out is reported, not hidden.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

_SKIPPED_FOLDERS = {".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache",
                    ".ruff_cache", ".tox", ".nox", ".ipynb_checkpoints"}
_SECRET_PATTERNS = (".env", ".env.*", "*.pem", "*.key", "id_rsa*", "id_dsa*", "id_ecdsa*",
                    "id_ed25519*", ".netrc", ".pypirc", ".git-credentials", "credentials",
                    "credentials.json", "*.p12", "*.pfx")
_SKIPPED_FILES = ("*.pyc", "*.pyo", ".DS_Store", "*.jobpack.zip")


def exclusion_reason(path: Path) -> str | None:
    """Why `path` (a file or folder) must not travel, or None when it may."""
    name = path.name
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


@dataclass(frozen=True)
class Expansion:
    files: tuple[Path, ...]  # sorted, absolute
    left_out: tuple[tuple[Path, str], ...]  # path and why


def expand(paths: list[Path]) -> Expansion:
    """Every file under `paths` (files or folders) that may travel, sorted."""
    files: set[Path] = set()
    left_out: list[tuple[Path, str]] = []
    for start in paths:
        reason = exclusion_reason(start)
        if reason is not None:
            left_out.append((start, reason))
            continue
        if not start.is_dir():
            files.add(start)
            continue
        for folder, dirnames, filenames in os.walk(start):
            base = Path(folder)
            kept = []
            for dirname in sorted(dirnames):
                why = exclusion_reason(base / dirname)
                if why is None:
                    kept.append(dirname)
                else:
                    left_out.append((base / dirname, why))
            dirnames[:] = kept
            for filename in filenames:
                why = exclusion_reason(base / filename)
                if why is None:
                    files.add(base / filename)
                else:
                    left_out.append((base / filename, why))
    return Expansion(tuple(sorted(files)), tuple(sorted(set(left_out))))
