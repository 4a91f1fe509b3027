"""Venvs of real distributions from the package index, built once per machine and reused.

Keyed by the requirements file's bytes and the Python version, under
`$JOBPACK_TEST_CACHE`, else `$XDG_CACHE_HOME/jobpack-tests`, else `~/.cache/jobpack-tests`.
Each is built at its final path inside a temporary folder and published by one rename,
under a lock file: parallel test sessions (and other helpers' tests) share one build, and
an interrupted build leaves nothing that a later session trusts.
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


def cache_home() -> Path:
    if os.environ.get("JOBPACK_TEST_CACHE"):
        return Path(os.environ["JOBPACK_TEST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jobpack-tests"


def venv_folder(label: str, requirements: Path) -> Path:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return cache_home() / f"{label}-{digest.hexdigest()[:16]}"


def ensure_venv(label: str, requirements: Path) -> Path:
    """The interpreter of the cached venv holding `requirements`, built when absent."""
    folder = venv_folder(label, requirements)
    python = folder / "bin" / "python"
    if python.exists():
        return python
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not python.exists():
            _build(folder, requirements)
    return python


def _build(folder: Path, requirements: Path) -> None:
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        # a venv hard-codes its own path: build it under its final name inside the temp
        # folder, rewrite that path, then move it into place with one rename
        staging = temp / folder.name
        subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True)
        subprocess.run([str(staging / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(requirements)], check=True)
        _relocate(staging, folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _relocate(staging: Path, folder: Path) -> None:
    """Point pyvenv.cfg and the scripts' shebangs at the venv's final path."""
    old, new = str(staging).encode(), str(folder).encode()
    for file in [staging / "pyvenv.cfg", *(staging / "bin").iterdir()]:
        if file.is_file() and not file.is_symlink():
            data = file.read_bytes()
            if old in data:
                file.write_bytes(data.replace(old, new))


if __name__ == "__main__":  # python -m tests.support.cached_venv LABEL REQUIREMENTS
    print(ensure_venv(sys.argv[1], Path(sys.argv[2])))
