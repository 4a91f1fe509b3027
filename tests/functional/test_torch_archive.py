"""The torch job's whole archive runs with a bare `python3` 3.11, offline (issue #23).

pytorch/examples' word_language_model (`fixtures/gpu`, BSD-3-Clause, see its NOTICE) is
built with `--wheels` from the CPU torch 2.13.0 venv that docs/gpu.md's test uses (one
build per machine; the CPU wheel comes from the local index): torch's wheel and the
wheels it needs travel in the archive's dependency layers (a 238 MB archive). The bare
interpreter, no jobpack installed, runs it under `unshare -n` with an empty environment
cache: the runner checks the layers, installs every wheel with its own installer (no
pip) and the job trains its one epoch.

The build's caches (import facts, wheels, bytecode, layers) are the tests' persistent
cache, not the session's: the first session on a machine pays the whole build (about
85 s of CPU: analysing torch, fetching and compiling), later ones a rebuild (about 2 s).
The run costs about 15 s of CPU (installing 219 MB of wheels, importing torch).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from jobpack.runner.verify import read_spec
from tests.conftest import FIXTURES
from tests.support.cache import tests_cache_root
from tests.support.offline import build_with_wheels, offline_or_skip, run_offline
from tests.support.pythons import python_or_skip
from tests.support.tools import tool_venv

pytestmark = pytest.mark.slow

TORCH = ["torch==2.13.0", "numpy==2.2.6"]  # the venv of test_gpu_docs.py: shared



def test_the_torch_jobs_archive_with_its_wheels_runs_on_bare_python3_311(
        tmp_path: Path) -> None:
    offline_or_skip()
    bare = python_or_skip("3.11")
    venv = tool_venv("torch-cpu", TORCH)
    job = tmp_path / "wlm"
    shutil.copytree(FIXTURES / "gpu", job)
    archive = build_with_wheels(job, str(venv / "bin" / "python"),
                                tests_cache_root() / "torch-archive", "--config", "config.yaml")
    assert archive.name == "wlm.jobpack.zip"
    with zipfile.ZipFile(archive) as opened:
        wheels = {wheel.name for wheel in read_spec(opened).wheels}
    assert "torch" in wheels  # what the rest needs is the analyser's to say

    run = run_offline(bare, archive, tmp_path, "--output-dir", str(tmp_path / "out"),
                      timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"jobpack: installing {len(wheels)} wheels: done" in run.stderr
    assert "pip installing" not in run.stderr  # every wheel from the archive
    assert "End of training" in run.stdout
    assert list((tmp_path / "out").glob("*/model.pt"))
