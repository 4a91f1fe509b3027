"""The conformance environment: a venv with real distributions, built once per machine.

It lives outside the repository (`~/.cache/jobpack-tests/conformance-<hash>`, keyed by the
requirements file and the Python version), is built in a temp folder and renamed into place
atomically, under a lock file, so parallel test runs share one build.
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

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"


def cache_root() -> Path:
    base = os.environ.get("JOBPACK_TEST_CACHE") or str(Path.home() / ".cache" / "jobpack-tests")
    return Path(base)


def environment_folder(requirements: Path = REQUIREMENTS) -> Path:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return cache_root() / f"conformance-{digest.hexdigest()[:16]}"


def python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def ensure_environment(requirements: Path = REQUIREMENTS) -> Path:
    """The interpreter of the venv of `requirements` (default: the corpus'), building the
    venv first when absent."""
    folder = environment_folder(requirements)
    if python_of(folder).exists():
        return python_of(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not python_of(folder).exists():
            _build(folder, requirements)
    return python_of(folder)


def _build(folder: Path, requirements: Path) -> None:
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        # venvs hard-code their own path: build at the final name inside the temp folder,
        # then move the finished folder into place with one rename.
        staging = temp / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True)
        subprocess.run([str(python_of(staging)), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(requirements)], check=True)
        _relocate(staging, folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _relocate(staging: Path, folder: Path) -> None:
    """Rewrite the venv's own path (pyvenv.cfg, script shebangs) to its final name."""
    old, new = str(staging), str(folder)
    for file in [staging / "pyvenv.cfg", *(staging / "bin").iterdir()]:
        if file.is_symlink() or not file.is_file():
            continue
        data = file.read_bytes()
        if old.encode() in data:
            file.write_bytes(data.replace(old.encode(), new.encode()))


if __name__ == "__main__":
    print(ensure_environment())
