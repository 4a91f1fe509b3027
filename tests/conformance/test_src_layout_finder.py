"""Conformance (#21): a real src-layout project whose editable install is setuptools'
`__editable__` finder, not a `.pth` path.

6rayWa1cher/sks-percolates-analyzer (`projects/percolates_analyzer`, MIT, unmodified)
keeps its package in `src/sks/percolatesanalyzer` and maps a second folder (`package_dir
= {'': 'src', 'tests': 'tests'}`), so a modern `pip install -e .` makes setuptools
install a meta-path finder (`__editable___..._finder.py` with a MAPPING) instead of
putting `src` on sys.path. Its code ships as local files at their project paths, and
`python -m sks.percolatesanalyzer` and `python src/sks/percolatesanalyzer/main.py` (each
fed its four answers on stdin, as the cmd says) run from the archive, offline, on a bare
python3. The Monte-Carlo figures are random (unseeded): the lines must match the direct
run's with the numbers left out.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conformance.environment import cache_root, ensure_venv
from tests.support.cache import cached_folder

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent / "projects" / "percolates_analyzer"


@pytest.fixture(scope="module")
def installed() -> tuple[Path, Path]:
    """The project at a fixed path (the finder names it) and its venv."""
    digest = hashlib.sha256("".join(
        sorted(p.relative_to(PROJECT).as_posix() + p.read_text()
               for p in PROJECT.rglob("*") if p.is_file())).encode()).hexdigest()[:12]
    folder = cached_folder(f"percolates-{digest}",
                           lambda into: shutil.copytree(PROJECT, into, dirs_exist_ok=True))
    return folder, ensure_venv(f"percolates-{digest}", ["-e", str(folder)])


def _numbers_out(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", text)


def test_the_editable_install_is_a_finder_not_a_path(installed: tuple[Path, Path]) -> None:
    _, python = installed
    site = next(python.parent.parent.glob("lib/python*/site-packages"))
    (finder,) = site.glob("__editable___*_finder.py")
    assert "MAPPING" in finder.read_text()
    assert not any("/src" in line for pth in site.glob("*.pth")
                   for line in pth.read_text().splitlines() if not line.startswith("import"))


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare -n as root to cut the network")
@pytest.mark.parametrize("config", ["jobpack-module.yaml", "jobpack-script.yaml"])
def test_a_finder_installed_src_layout_job_runs_from_its_archive(
        installed: tuple[Path, Path], config: str, tmp_path: Path) -> None:
    project, python = installed
    cmd = yaml.safe_load((project / config).read_text())["cmd"]
    quiet = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
             "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    direct = subprocess.run(["bash", "-c", cmd], cwd=tmp_path if "-m" in cmd else project,
                            env=quiet, capture_output=True, text=True, check=False)
    assert direct.returncode == 0 and "95% confidence interval" in direct.stdout, direct.stderr
    archive = tmp_path / "job.jobpack.zip"
    built = subprocess.run([sys.executable, "-m", "jobpack", "build", "--config", config,
                            "--python", str(python), "--wheels", "--wheel-cache",
                            str(cache_root() / "wheels"), "-o", str(archive)],
                           cwd=project, env=quiet, capture_output=True, text=True,
                           check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    listing = subprocess.run([sys.executable, "-m", "jobpack", "inspect", str(archive)],
                             capture_output=True, text=True, check=True).stdout
    assert "src/src/sks/percolatesanalyzer/percolation.py" in listing
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run(["unshare", "-n", "python3", str(archive), "--offline"],
                         cwd=tmp_path, env=bare, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert _numbers_out(ran.stdout) == _numbers_out(direct.stdout)
