"""Other CPython versions for tests that run the runner or the parser on them.

Found the way any machine has them: pyenv's real binaries under `$PYENV_ROOT` (default
`~/.pyenv`), else `pythonX.Y` on PATH (pyenv's shims skipped: they may point elsewhere).
A test that needs one skips with the reason when it is missing, and fails in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def find_python(version: str) -> Path | None:
    """A runnable CPython `version` (`3.8`), or None."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path is not None and "/shims/" not in on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        ran = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=False)
        if ran.returncode == 0 and ran.stdout.strip() == str(tuple(map(int, version.split(".")))):
            return candidate
    return None


def python_or_skip(version: str) -> Path:
    """`find_python(version)`; a skip naming what is missing (a failure in CI)."""
    found = find_python(version)
    if found is None:
        why = f"no CPython {version} (pyenv under $PYENV_ROOT or python{version} on PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {why}")
        pytest.skip(why)
    return found
