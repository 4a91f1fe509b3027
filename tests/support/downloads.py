"""Real wheels from the package index, downloaded once and cached outside the repo.

`<test cache>/<name>-<hash of the requirements and target>/` (see `tests.support.cache`)
is filled in a work folder and renamed into place under a lock, so concurrent test runs
(other worktrees included) download once and never see a half-filled folder.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tests.support.cache import cached_folder

PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")


def target_wheels(name: str, requirements: list[str], python: str) -> Path:
    """A folder with wheels for `requirements` (and their dependencies) for CPython
    `python` on manylinux x86_64."""
    key = hashlib.sha256("\n".join([python, *sorted(requirements)]).encode()).hexdigest()[:12]

    def download(folder: Path) -> None:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                   "--implementation", "cp", "--python-version", python, "-d", str(folder)]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        subprocess.run([*command, *requirements], check=True, capture_output=True,
                       text=True, timeout=600)

    return cached_folder(f"{name}-{key}", download, finished_by_older="")
