"""Real tools from the package index, installed once per machine into a cached venv.

The venv lives outside the repository (`~/.cache/jobpack-tests/<name>-<hash>`), is built
in a temporary folder and renamed into place, under a lock, so parallel test runs share it.
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

import pytest

from tests.support.downloads import cache_home


def tool_venv(name: str, requirements: list[str]) -> Path:
    """A venv with `requirements` installed; its folder. Skips (not in CI) when offline."""
    key = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:12]
    cache = cache_home()
    folder = cache / f"{name}-{key}"
    if (folder / "ready").is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f"{name}-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "ready").is_file():
            return folder
        building = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache))
        try:
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
            # Script shebangs keep the temporary path: run tools as `python -m` or binaries.
            (building / "ready").write_text("")
            shutil.rmtree(folder, ignore_errors=True)
            building.rename(folder)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return folder
