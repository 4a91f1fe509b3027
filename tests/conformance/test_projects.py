"""Conformance: real projects that read files besides their code (issue #21).

Each folder of `projects/` is a real project's files, unmodified (see `projects/SOURCES.md`),
with a DataSphere `config.yaml` written for it. For each: both sides of the static
analysis against the runtime truth (`jobpack trace`: no file or module read at run time is
missing from the manifest; the data files shipped that the run never opened are exactly
the ones named here, with why), then the archive built with `--wheels`, the project's
folder deleted, and the archive run with no network on a bare `python3`: its stdout and
output files must be the direct run's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import jobpack
from jobpack import notebook as notebook_executor
from jobpack.analyzer import trace as tracing
from tests.conformance.environment import cache_root, ensure_environment

HERE = Path(__file__).resolve().parent
PROJECTS = HERE / "projects"
REQUIREMENTS = PROJECTS / "requirements.txt"
HARNESS = HERE / "harness" / "save_figures.py"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Project:
    name: str
    outputs: tuple[str, ...] = ()  # files the job writes, compared byte for byte
    unread: tuple[str, ...] = ()  # data files that ship but this run does not open
    # a pin is published only as a source distribution (antlr4-python3-runtime 4.9.3,
    # hydra-core's): `--wheels` builds its wheel (no escape hatch: it must work)
    needs_sdist_build: bool = False
    harness: bool = False  # runs its scripts through the corpus' save_figures.py
    notebook: bool = False  # cmd runs a notebook: run directly with jobpack's executor


CASES = [
    # the gallery script reads tsp/gr17.json; gr24 and gr120 lie beside it, unread
    Project("deap_tsp"),
    # gallery scripts reading data beside them, relative to __file__; figures compared
    Project("spm1d_io", outputs=("figures-txt/figure-1.png", "figures/figure-1.png"),
            harness=True),
    # Hydra ships its whole config folder: the run picks one option of each group
    Project("hydra_composition", unread=(
        "conf/db/mysql.yaml", "conf/schema/support.yaml", "conf/schema/warehouse.yaml",
        "conf/ui/view.yaml"), needs_sdist_build=True),
    Project("hydra_compose", unread=(
        "conf/db/postgresql.yaml", "conf/schema/support.yaml", "conf/schema/warehouse.yaml",
        "conf/ui/view.yaml"), needs_sdist_build=True),
    # a DVC pipeline: params.yaml named in cmd; each stage writes what the next reads
    Project("dvc_course", outputs=(
        "data/raw/iris.csv", "data/processed/featured_iris.csv",
        "data/processed/train_iris.csv", "data/processed/test_iris.csv",
        "reports/metrics.json", "reports/confusion_matrix_data.csv")),
    # a notebook as the entry point: its executed copy (cells' outputs) is an output
    Project("ipython_trapezoid", outputs=("trapezoid_rule.executed.ipynb",), notebook=True),
]
IDS = [case.name for case in CASES]


@pytest.fixture(scope="session")
def python() -> Path:
    return ensure_environment(REQUIREMENTS)


def job_env(python: Path) -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "USER": "jobpack",
            "JOBPACK_CACHE_DIR": str(cache_root() / "facts"),
            "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}


def copy_project(case: Project, folder: Path) -> Path:
    shutil.copytree(PROJECTS / case.name, folder)
    if case.harness:
        shutil.copy(HARNESS, folder / HARNESS.name)
    return folder


def run_cmd(folder: Path, python: Path, notebook: bool = False,
            ) -> subprocess.CompletedProcess[str]:
    """The config's cmd, run here as DataSphere runs it: in the job's folder, by a shell;
    `python X.ipynb` through jobpack's notebook executor, as the archive runs it."""
    analysis = jobpack.analyze(config=folder / "config.yaml", python=str(python),
                               cache_dir=cache_root() / "facts")
    cmd = analysis.manifest.cmd
    assert cmd is not None
    if notebook:
        cmd = cmd.replace("python ", f"python {notebook_executor.__file__} ", 1)
    return subprocess.run(["bash", "-c", cmd], cwd=folder,
                          env=job_env(python), capture_output=True, text=True, check=True)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_files_read_at_run_time_are_shipped_and_little_else(case: Project, python: Path,
                                                            tmp_path: Path) -> None:
    folder = copy_project(case, tmp_path / case.name)
    analysis = jobpack.analyze(config=folder / "config.yaml", python=str(python),
                               cache_dir=cache_root() / "facts")
    argv = tracing.config_argv(analysis, [], python=str(python), config="config.yaml")
    result = tracing.trace(analysis, argv, python=str(python), cwd=folder)
    assert result.returncode == 0
    assert not result.missing, result.missing  # modules
    assert not result.missing_files, result.missing_files  # files: none missed
    opened = {Path(o.file).relative_to(folder.resolve()).as_posix() for o in result.opened}
    shipped = {f.path for f in analysis.manifest.data_files}
    assert shipped - opened == set(case.unread)  # shipped for nothing: only these


def _untimed(text: str) -> str:
    return re.sub(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", "", text)


def _files(folder: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in names}


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare -n as root to cut the network")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_archive_runs_offline_with_the_direct_runs_outputs(case: Project, python: Path,
                                                               tmp_path: Path) -> None:
    direct = run_cmd(copy_project(case, tmp_path / "direct"), python, case.notebook)
    expected = _files(tmp_path / "direct", case.outputs)
    job = copy_project(case, tmp_path / "job")
    archive = tmp_path / f"{case.name}.jobpack.zip"
    built = subprocess.run(
        [sys.executable, "-m", "jobpack", "build", "--config", "config.yaml", "--python",
         str(python), "--wheels", "--wheel-cache", str(cache_root() / "wheels"), "-o",
         str(archive)], cwd=job, env=job_env(python), capture_output=True, text=True,
        check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    shutil.rmtree(job)
    run_dir, collected = tmp_path / "run", tmp_path / "collected"
    run_dir.mkdir()
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0"}
    ran = subprocess.run(["unshare", "-n", "python3", str(archive), "--output-dir",
                          str(collected)], cwd=run_dir, env=bare, capture_output=True,
                         text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    # the DVC course logs with timestamps: the lines after them must match
    assert _untimed(direct.stdout) in _untimed(ran.stdout)
    if case.outputs:
        (runs,) = collected.iterdir()  # one new folder per run
        assert _files(runs, case.outputs) == expected


FOLDER_OUTPUTS = """name: dvc_course_folders
cmd: >-
  python -m src.stages.data_load --config=params.yaml &&
  python -m src.stages.featurize --config=params.yaml &&
  python -m src.stages.data_split --config=params.yaml &&
  python -m src.stages.train --config=params.yaml &&
  python -m src.stages.evaluate --config=params.yaml
outputs:
  - data/raw/iris.csv
  - data/processed/featured_iris.csv
  - data/processed/train_iris.csv
  - data/processed/test_iris.csv
  - models
  - reports
"""


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare -n as root to cut the network")
def test_output_folders_missing_at_build_time_exist_when_the_job_starts(
        python: Path, tmp_path: Path) -> None:
    """`outputs: [models, reports]` (no trailing slash, as DataSphere allows), built from
    a checkout without those folders (git-ignored): the stages write into them by paths
    read from params.yaml, so their names decide; both are made, empty, before the job
    starts, and what the job wrote there is collected."""
    case = Project("dvc_course")
    job = copy_project(case, tmp_path / "job")
    (job / "config.yaml").write_text(FOLDER_OUTPUTS)
    for folder in ("models", "reports"):
        shutil.rmtree(job / folder)
    analysis = jobpack.analyze(config=job / "config.yaml", python=str(python),
                               cache_dir=cache_root() / "facts")
    assert {o.path for o in analysis.manifest.outputs if o.folder} == {"models", "reports"}
    assert sum(d.code == "output-folder" for d in analysis.manifest.diagnostics) == 2
    archive = tmp_path / "folders.jobpack.zip"
    built = subprocess.run(
        [sys.executable, "-m", "jobpack", "build", "--config", "config.yaml", "--python",
         str(python), "--wheels", "--wheel-cache", str(cache_root() / "wheels"), "-o",
         str(archive)], cwd=job, env=job_env(python), capture_output=True, text=True,
        check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    collected = tmp_path / "collected"
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0"}
    # the runner's environment cache is shared between runs: the install is paid once
    ran = subprocess.run(["unshare", "-n", "python3", str(archive), "--output-dir",
                          str(collected), "--env-cache", str(cache_root() / "runner-envs")],
                         cwd=tmp_path, env=bare, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    (runs,) = collected.iterdir()
    assert (runs / "models" / "model.joblib").stat().st_size > 0
    assert json.loads((runs / "reports" / "metrics.json").read_text())["f1_score"] > 0.5
