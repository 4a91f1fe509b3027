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

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conformance.editable import build_and_list, install_editable, needs_unshare, run_offline

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent / "projects" / "percolates_analyzer"


@pytest.fixture(scope="module")
def installed() -> tuple[Path, Path]:
    """The project at a fixed path (the finder names it) and its venv."""
    return install_editable(PROJECT, "percolates")


def _numbers_out(text: str) -> str:
    return re.sub(r"\d+(\.\d+)?(e-?\d+)?", "N", text)


def test_the_editable_install_is_a_finder_not_a_path(installed: tuple[Path, Path]) -> None:
    _, python = installed
    site = next(python.parent.parent.glob("lib/python*/site-packages"))
    (finder,) = site.glob("__editable___*_finder.py")
    assert "MAPPING" in finder.read_text()
    assert not any("/src" in line for pth in site.glob("*.pth")
                   for line in pth.read_text().splitlines() if not line.startswith("import"))


@needs_unshare
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
    listing = build_and_list(project, config, python, quiet, archive)
    assert "src/src/sks/percolatesanalyzer/percolation.py" in listing
    ran = run_offline(archive, tmp_path)
    assert _numbers_out(ran.stdout) == _numbers_out(direct.stdout)
