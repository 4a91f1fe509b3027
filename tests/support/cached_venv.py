"""Venvs of real distributions from the package index, built once per machine and reused.

Keyed by the requirements file's bytes and the Python version, in the tests' cache
(`tests.support.cache`: `$JOBPACK_TEST_CACHE`, else `$XDG_CACHE_HOME/jobpack-tests`, else
`~/.cache/jobpack-tests`), with the one locked build (`cached_folder`, in place: a venv
names its own path): parallel test sessions (and other helpers' tests) share one build,
and an interrupted build leaves nothing that a later session trusts.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tests.support.cache import cached_folder, tests_cache_root


def cache_home() -> Path:
    return tests_cache_root()


def venv_folder(label: str, requirements: Path) -> Path:
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return cache_home() / f"{label}-{digest.hexdigest()[:16]}"


def ensure_venv(label: str, requirements: Path) -> Path:
    """The interpreter of the cached venv holding `requirements`, built when absent."""
    def build(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(requirements)], check=True)

    # a venv this module built before it used cached_folder was published by one rename:
    # the folder itself proves it whole ("")
    key = venv_folder(label, requirements).name
    return cached_folder(key, build, in_place=True, finished_by_older="") / "bin" / "python"


if __name__ == "__main__":  # python -m tests.support.cached_venv LABEL REQUIREMENTS
    print(ensure_venv(sys.argv[1], Path(sys.argv[2])))
