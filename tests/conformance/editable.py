"""Shared steps of the src-layout conformance tests (#21): a real project installed in
editable mode into a cached venv, built with `--wheels`, and run offline on a bare python3."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conformance.environment import cache_root, ensure_venv
from tests.support.cache import cached_folder

needs_unshare = pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                                   reason="needs unshare -n as root to cut the network")


def install_editable(project: Path, label: str) -> tuple[Path, Path]:
    """A copy of `project` at a fixed path (an editable install names it) and a cached
    venv where it is installed with `pip install -e`; both keyed by the project's bytes."""
    digest = hashlib.sha256("".join(
        sorted(p.relative_to(project).as_posix() + p.read_text()
               for p in project.rglob("*") if p.is_file())).encode()).hexdigest()[:12]
    folder = cached_folder(f"{label}-{digest}",
                           lambda into: shutil.copytree(project, into, dirs_exist_ok=True))
    return folder, ensure_venv(f"{label}-{digest}", ["-e", str(folder)])


def build_and_list(project: Path, config: str, python: Path, env: Mapping[str, str],
                   archive: Path) -> str:
    """`jobpack build --wheels` of the project's `config`; returns `jobpack inspect`."""
    built = subprocess.run([sys.executable, "-m", "jobpack", "build", "--config", config,
                            "--python", str(python), "--wheels", "--wheel-cache",
                            str(cache_root() / "wheels"), "-o", str(archive)],
                           cwd=project, env=dict(env), capture_output=True, text=True,
                           check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    return subprocess.run([sys.executable, "-m", "jobpack", "inspect", str(archive)],
                          capture_output=True, text=True, check=True).stdout


def run_offline(archive: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """The archive run by a bare python3 with no network, from an empty folder."""
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    ran = subprocess.run(["unshare", "-n", "python3", str(archive), "--offline"],
                         cwd=home, env=bare, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return ran
