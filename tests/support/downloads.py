"""Real wheels from the package index, downloaded once and cached outside the repo.

`~/.cache/jobpack-tests/<name>-<hash of the requirements and target>/` is filled in a
temporary folder and renamed into place under a lock, so concurrent test runs (other
worktrees included) download once and never see a half-filled folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")


def cache_home() -> Path:
    return Path(os.environ.get("JOBPACK_TESTS_CACHE") or Path.home() / ".cache" / "jobpack-tests")


def target_wheels(name: str, requirements: list[str], python: str) -> Path:
    """A folder with wheels for `requirements` (and their dependencies) for CPython
    `python` on manylinux x86_64."""
    key = hashlib.sha256("\n".join([python, *sorted(requirements)]).encode()).hexdigest()[:12]
    home = cache_home()
    home.mkdir(parents=True, exist_ok=True)
    final = home / f"{name}-{key}"
    with (home / f"{final.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if final.is_dir():
            return final
        temp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=home))
        try:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                       "--implementation", "cp", "--python-version", python, "-d", str(temp)]
            for platform in PLATFORMS:
                command += ["--platform", platform]
            subprocess.run([*command, *requirements], check=True, capture_output=True,
                           text=True, timeout=600)
            temp.rename(final)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    return final
