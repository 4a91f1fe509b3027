"""Debian's own python3 with Debian packages, as an image has them: installed the way CI
can (`apt-get update` once per session, then `apt-get install -y`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

DEBIAN_PYTHON = Path("/usr/bin/python3")
_updated: list[bool] = []


def debian_python_with(package: str, module: str) -> Path:
    """/usr/bin/python3 once `module` imports in it, installing Debian's `package` when it
    is missing. Skips only where apt cannot be used (not Debian, not root), never in CI."""
    if _imports(module):
        return DEBIAN_PYTHON
    why = _unusable()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {package} in {DEBIAN_PYTHON}: {why}")
        pytest.skip(why)
    if not _updated:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        _updated.append(True)
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True,
                   capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    assert _imports(module), f"{package} is installed but {module} does not import"
    return DEBIAN_PYTHON


def _imports(module: str) -> bool:
    if not DEBIAN_PYTHON.exists():
        return False
    done = subprocess.run([str(DEBIAN_PYTHON), "-c", f"import {module}"],
                          capture_output=True, check=False)
    return done.returncode == 0


def _unusable() -> str | None:
    if shutil.which("apt-get") is None or not DEBIAN_PYTHON.exists():
        return "needs Debian's apt-get and /usr/bin/python3"
    if os.geteuid() != 0:
        return "apt-get install needs root"
    return None


def image_version(python: Path, distribution: str) -> str:
    """The version of `distribution` installed for `python`, as importlib.metadata says."""
    return subprocess.run(
        [str(python), "-c", "import sys; from importlib.metadata import version; "
         "print(version(sys.argv[1]))", distribution],
        capture_output=True, text=True, check=True).stdout.strip()
