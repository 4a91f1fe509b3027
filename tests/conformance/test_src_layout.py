"""Conformance (#21): a real src-layout project installed with `pip install -e .`.

pypa/sampleproject (`tests/conformance/projects/sampleproject`, MIT, unmodified) keeps
its package in `src/sample` and is importable only through its editable install. Its
code ships as local files at their project paths (`src/sample/simple.py`), and the
runner puts `src` on sys.path as the install did, so each way of starting it runs from
the archive, offline on a bare python3, as it runs here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance.environment import cache_root, ensure_venv
from tests.support.cache import cached_folder

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent / "projects" / "sampleproject"


@pytest.fixture(scope="module")
def installed() -> tuple[Path, Path]:
    """The project at a fixed path (an editable install names it) and its venv."""
    digest = hashlib.sha256("".join(
        sorted(p.relative_to(PROJECT).as_posix() + p.read_text()
               for p in PROJECT.rglob("*") if p.is_file())).encode()).hexdigest()[:12]
    folder = cached_folder(f"sampleproject-{digest}",
                           lambda into: shutil.copytree(PROJECT, into, dirs_exist_ok=True))
    return folder, ensure_venv(f"sampleproject-{digest}", ["-e", str(folder)])


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare -n as root to cut the network")
@pytest.mark.parametrize("config", ["jobpack-tests.yaml", "jobpack-script.yaml",
                                    "jobpack-module.yaml"])
def test_each_way_of_starting_a_src_layout_job_runs_from_its_archive(
        installed: tuple[Path, Path], config: str, tmp_path: Path) -> None:
    project, python = installed
    cmd = (project / config).read_text().split("cmd: ", 1)[1].split()
    quiet = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    direct = subprocess.run([str(python), *cmd[1:]], cwd=project, env=quiet,
                            capture_output=True, text=True, check=False)
    assert direct.returncode == 0, direct.stderr
    archive = tmp_path / "job.jobpack.zip"
    built = subprocess.run([sys.executable, "-m", "jobpack", "build", "--config", config,
                            "--python", str(python), "--wheels", "--wheel-cache",
                            str(cache_root() / "wheels"), "-o", str(archive)],
                           cwd=project, env=quiet, capture_output=True, text=True,
                           check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    listing = subprocess.run([sys.executable, "-m", "jobpack", "inspect", str(archive)],
                             capture_output=True, text=True, check=True).stdout
    assert "src/src/sample/simple.py" in listing  # at its project path, under the archive's src/
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run(["unshare", "-n", "python3", str(archive), "--offline"],
                         cwd=tmp_path, env=bare, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout == direct.stdout
    if config == "jobpack-tests.yaml":  # unittest reports on stderr
        assert "Ran 1 test" in ran.stderr and "OK" in ran.stderr
