"""Real tools from the package index, installed once per machine into a cached venv.

The venv lives outside the repository (`<test cache>/<name>-<hash>`, see
`tests.support.cache`), is built in a work folder and renamed into place, under a lock, so
parallel test runs share it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cache import cached_folder


def tool_venv(name: str, requirements: list[str]) -> Path:
    """A venv with `requirements` installed; its folder. Skips (not in CI) when offline."""
    key = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:12]

    def install(building: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
        pip = subprocess.run(
            [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *requirements],
            capture_output=True, text=True, check=False)
        if pip.returncode != 0:
            if os.environ.get("CI") == "true":
                raise RuntimeError(f"cannot install {requirements}: {pip.stderr}")
            pytest.skip(f"cannot install {requirements} from the index: "
                        f"{pip.stderr.strip().splitlines()[-1:]}")
        # Script shebangs keep the work folder's path: run tools as `python -m` or binaries.

    return cached_folder(f"{name}-{key}", install, finished_by_older="ready")
