"""Conformance: real scripts against real distributions (issue #12).

For every script: run it once under `jobpack trace` (the runtime truth) and assert nothing
it imported is missing from the manifest; assert the pin set is closed. For a few: build an
archive with `--wheels`, delete the sources, run the archive with a bare `python3` and no
network, and compare its output files with the direct run: the figures it draws, saved
by our harness (`harness/save_figures.py`, which runs the unmodified script with runpy) and
collected by the runner's `--output-dir`, byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import jobpack
from jobpack.analyzer.pins.distributions import DistributionIndex
from jobpack.analyzer.pins.requirements import requirements_for
from jobpack.target import Target
from tests.conformance.closure import measure, summary
from tests.conformance.environment import cache_root, ensure_environment
from tests.support.bytecode import shipped_bytecode_used_as_is

HERE = Path(__file__).resolve().parent
CASES = sorted((HERE / "cases").glob("*.py"))
CORPUS = sorted((HERE / "corpus").glob("*.py"))
SCRIPTS = CASES + CORPUS
HARNESS = HERE / "harness" / "save_figures.py"
# the cases, and corpus scripts whose figures are the same bytes run after run
# (not MeanShift, one-class SVM, KNN regression: unseeded random data; nor digits linkage:
# it prints timings)
ARCHIVED = [*CASES, *(HERE / "corpus" / f"{name}.py" for name in (
    "mpl_simple_plot", "mpl_errorbar_limits_simple", "mpl_xcorr_acorr_demo",
    "sklearn_plot_nnls", "sklearn_plot_pca_vs_lda", "sklearn_plot_spectral_coclustering",
    "sklearn_plot_gpc_isoprobability", "sklearn_plot_varimax_fa",
    "sklearn_plot_label_propagation_structure", "sklearn_plot_nca_classification",
    "sns_palette_choices"))]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def python() -> Path:
    return ensure_environment()


def job_env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "JOBPACK_CACHE_DIR": str(cache_root() / "facts"),
            "PYTHONHASHSEED": "0"}


def jobpack_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobpack", *args], cwd=cwd, env=job_env(),
                          capture_output=True, text=True, check=False)


def copy_script(script: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(script, folder / script.name))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_runtime_imports_are_in_the_manifest(script: Path, python: Path, tmp_path: Path
                                             ) -> None:
    job = copy_script(script, tmp_path / "job")
    result = jobpack_cli("trace", job.name, "--python", str(python), cwd=job.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "all are in the manifest" in result.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_the_pin_set_is_closed(script: Path, python: Path) -> None:
    analysis = jobpack.analyze([script], python=str(python), root=script.parent,
                               cache_dir=cache_root() / "facts")
    assert analysis.environment is not None
    index = DistributionIndex.from_paths(analysis.environment.distribution_paths)
    target = Target.parse(analysis.manifest.target.python)
    pinned = {r.name for r in analysis.manifest.requirements}
    named = " ".join(d.message for d in analysis.diagnostics)
    for pin in analysis.manifest.requirements:
        dist = index.get(pin.name)
        assert dist is not None and dist.version == pin.version
        for requirement in requirements_for(dist, pin.extras, target)[0]:
            name = requirement.name.lower().replace("_", "-").replace(".", "-")
            assert name in pinned or str(requirement) in named, (pin.name, str(requirement))


# What the corpus measured on the session's final main (README, "Precision"): a ceiling, so a
# change that pins more for nothing fails here. Issue #20's target is 1 / 5.
BEYOND_MEDIAN, BEYOND_MAX = 3, 13
# ... and of the tiers: nothing beyond the closure is installed up front; what the runs
# import from the optional tier (installed during the run) stays as few as measured
REQUIRED_BEYOND_MAX, ON_DEMAND_TOTAL = 0, 52


def test_pins_beyond_pip_s_closure_of_the_runtime_truth(python: Path, tmp_path: Path) -> None:
    """Both sides at once: nothing the run imports is missed, and few pins lie outside
    pip's closure of what it imports (issue #20)."""
    import statistics

    rows = []
    for script in SCRIPTS:
        job = copy_script(script, tmp_path / script.stem)
        rows.append(measure(job, str(python), job_env(), cache_root() / "facts"))
    print("\n".join([*(row.row() for row in rows), summary(rows)]))
    assert all(row.returncode == 0 for row in rows), [r.script for r in rows if r.returncode]
    assert not [row.row() for row in rows if row.missed]
    beyond = [len(row.beyond) for row in rows]
    assert statistics.median(beyond) <= BEYOND_MEDIAN and max(beyond) <= BEYOND_MAX
    assert max(len(row.beyond_required) for row in rows) <= REQUIRED_BEYOND_MAX
    assert sum(len(row.installed_on_demand) for row in rows) <= ON_DEMAND_TOTAL


def test_the_pandas_case_pins_no_extras_and_no_pyarrow(python: Path) -> None:
    analysis = jobpack.analyze([HERE / "cases" / "pandas_only.py"], python=str(python),
                               root=HERE / "cases", cache_dir=cache_root() / "facts")
    pins = {r.name: r for r in analysis.manifest.requirements}
    assert pins["pandas"].extras == () and "pyarrow" not in pins


def test_the_sklearn_case_pins_what_sklearn_imports_lazily(python: Path) -> None:
    analysis = jobpack.analyze([HERE / "cases" / "sklearn_lazy.py"], python=str(python),
                               root=HERE / "cases", cache_dir=cache_root() / "facts")
    pins = {r.name: r for r in analysis.manifest.requirements}
    assert any(r.startswith("scikit-learn (sklearn/") for r in pins["pandas"].required_by)
    assert any(r.startswith("scikit-learn (sklearn/") for r in pins["matplotlib"].required_by)


def _harnessed_job(script: Path, folder: Path) -> Path:
    """A job that runs `script` through the harness and declares its figures an output."""
    copy_script(script, folder)
    shutil.copy(HARNESS, folder / HARNESS.name)
    (folder / "config.yaml").write_text(
        f"name: {script.stem}\ncmd: python {HARNESS.name} {script.name}\n"
        "outputs:\n  - figures\n")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0,
                    reason="needs unshare -n as root to cut the network")
@pytest.mark.parametrize("script", ARCHIVED, ids=[s.stem for s in ARCHIVED])
def test_the_archive_runs_offline_on_a_bare_python(script: Path, python: Path,
                                                   tmp_path: Path) -> None:
    direct = _harnessed_job(script, tmp_path / "direct")
    ran_here = subprocess.run([str(python), HARNESS.name, script.name], cwd=direct,
                              env=job_env(), capture_output=True, text=True, check=True)
    expected = _files(direct / "figures")
    assert bool(expected) == (script.stem != "pandas_only")  # it prints, it draws nothing
    job = _harnessed_job(script, tmp_path / "job")
    archive = tmp_path / "job.jobpack.zip"
    built = jobpack_cli("build", "--config", "config.yaml", "--python", str(python),
                        "--wheels", "--wheel-cache", str(cache_root() / "wheels"),
                        "-o", str(archive), cwd=job)
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
    assert ran_here.stdout in ran.stdout
    # compiled by the analysed 3.11.x at build time, used as they are by Debian's python3
    assert shipped_bytecode_used_as_is(archive, tmp_path / ".cache" / "jobpack" / "envs") > 100
    (folder,) = collected.iterdir()  # one new folder per run
    assert _files(folder / "figures") == expected  # the same file names, the same bytes
