"""Running an archive with no network, as an offline VM would: `unshare -n`, as root;
and building the archive to run so, with its wheels."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def offline_or_skip() -> None:
    """Skip (fail in CI) where `unshare -n` cannot run."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        why = "running offline needs `unshare -n` and root"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs this: {why}")
        pytest.skip(why)


def build_with_wheels(job: Path, python: str, cache: Path, *what: str) -> Path:
    """`jobpack build WHAT --python PYTHON --wheels -o dist/` in `job` (WHAT: `main.py`,
    or `--config config.yaml`), with `cache` as jobpack's cache: the archive."""
    built = subprocess.run(
        [sys.executable, "-m", "jobpack", "build", *what, "--python", python, "--wheels",
         "-o", "dist/"], cwd=job, capture_output=True, text=True, check=False,
        env={**os.environ, "JOBPACK_CACHE_DIR": str(cache)})
    assert built.returncode == 0, built.stderr[-3000:]
    [archive] = (job / "dist").glob("*.jobpack.zip")
    return archive


def run_offline(bare: Path, archive: Path, folder: Path, *options: str,
                timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """`archive` run by the bare interpreter `bare` under `unshare -n`, in `folder` with
    an empty environment cache there and nothing of this machine's environment."""
    return subprocess.run(
        ["unshare", "-n", str(bare), str(archive), "--offline", "--env-cache",
         str(folder / "envs"), *options],
        cwd=folder, env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        capture_output=True, text=True, check=False, timeout=timeout)
