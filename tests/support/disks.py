"""A real full disk for tests: a small tmpfs (mounting needs root; skipped with the
reason where mount is refused)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


class SmallDisk:
    """A tmpfs of a given size at `path`; `grow` remounts it bigger (space freed)."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(path)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")

    def grow(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)

    def files(self) -> list[str]:
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*")
                      if p.is_file())


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[SmallDisk]:
    """A `SmallDisk` at `path`, unmounted on the way out."""
    disk = SmallDisk(path, size)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(path)], check=False)
