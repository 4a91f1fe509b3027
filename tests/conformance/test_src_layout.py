"""Conformance (#21): a real src-layout project installed with `pip install -e .`.

pypa/sampleproject (`tests/conformance/projects/sampleproject`, MIT, unmodified) keeps
its package in `src/sample` and is importable only through its editable install. Its
code ships as local files at their project paths (`src/sample/simple.py`), and the
runner puts `src` on sys.path as the install did, so each way of starting it runs from
the archive, offline on a bare python3, as it runs here.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conformance.editable import build_and_list, install_editable, needs_unshare, run_offline

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parent / "projects" / "sampleproject"


@pytest.fixture(scope="module")
def installed() -> tuple[Path, Path]:
    """The project at a fixed path (an editable install names it) and its venv."""
    return install_editable(PROJECT, "sampleproject")


@needs_unshare
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
    listing = build_and_list(project, config, python, quiet, archive)
    assert "src/src/sample/simple.py" in listing  # at its project path, under the archive's src/
    ran = run_offline(archive, tmp_path)
    assert ran.stdout == direct.stdout
    if config == "jobpack-tests.yaml":  # unittest reports on stderr
        assert "Ran 1 test" in ran.stderr and "OK" in ran.stderr
