"""`jobpack trace`: runs the job with an import recorder and names what the manifest lacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JOBPACK = [sys.executable, "-m", "jobpack"]


def trace(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*JOBPACK, "trace", *args, "--python", sys.executable],
                          cwd=folder, capture_output=True, text=True, check=False)


def test_a_dynamic_import_of_an_installed_distribution_is_reported(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "import importlib\nimport sys\nmodule = importlib.import_module(sys.argv[1])\n"
        "open('out.txt', 'w').write(module.__name__)\n")
    result = trace(tmp_path, "main.py", "--", "yaml")
    assert result.returncode == 1, result.stderr
    assert "missing distribution: pyyaml (imported as yaml" in result.stderr
    assert (tmp_path / "out.txt").read_text() == "yaml"  # it really ran, with its ARGS


def test_a_job_whose_imports_are_all_in_the_manifest_passes(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("import yaml\n")
    (tmp_path / "main.py").write_text("import helper\nimport json\n")
    result = trace(tmp_path, "main.py")
    assert result.returncode == 0, result.stderr
    assert "all are in the manifest" in result.stderr


def test_a_failing_job_exits_2_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("raise SystemExit(3)\n")
    result = trace(tmp_path, "main.py")
    assert result.returncode == 2
    assert "exited with status 3" in result.stderr


def test_the_help_says_it_runs_user_code() -> None:
    result = subprocess.run([*JOBPACK, "trace", "--help"], capture_output=True, text=True,
                            check=True)
    assert "RUNS THE JOB" in result.stdout
