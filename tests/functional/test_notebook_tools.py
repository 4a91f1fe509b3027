"""A config whose cmd runs `jupyter nbconvert --execute` (docs/notebooks.md): nbconvert
and ipykernel are pinned with their closure, bundled with `--wheels`, and the archive runs
the notebook in a real Jupyter kernel with no network, writing the executed notebook as a
declared output. One cached venv of nbconvert + ipykernel (about 30 MB) per machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cache import tests_cache_root
from tests.support.cached_venv import ensure_venv

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("unshare") is None or os.geteuid() != 0,
    reason="needs unshare -n as root to cut the network"), pytest.mark.skipif(
    shutil.which("ip") is None, reason="needs ip (iproute2) to bring loopback up")]
HERE = Path(__file__).resolve().parent
NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# A job\n"]},
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["%pip install -q nbformat\n", "import json, nbformat\n",
                "print(json.dumps({'cells': 4, 'format': nbformat.NO_CONVERT is not None}))"]},
], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                               "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
CONFIG = """name: nbconvert_job
cmd: jupyter nbconvert --execute --to notebook train.ipynb
outputs:
  - train.nbconvert.ipynb
"""


def test_nbconvert_in_cmd_runs_the_notebook_in_a_kernel_from_the_archive(
        tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("nbconvert\nipykernel\n")
    python = ensure_venv("nbconvert", requirements)
    job = tmp_path / "job"
    job.mkdir()
    (job / "train.ipynb").write_text(json.dumps(NOTEBOOK, indent=1))
    (job / "config.yaml").write_text(CONFIG)
    archive = tmp_path / "nb.jobpack.zip"
    built = subprocess.run(
        [sys.executable, "-m", "jobpack", "build", "--config", "config.yaml", "--python",
         str(python), "--wheels", "--wheel-cache", str(tests_cache_root() / "wheels"),
         "-o", str(archive)], cwd=job, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    with zipfile.ZipFile(archive) as opened:
        pins = {r["name"]: r for r in json.loads(opened.read("jobpack.json"))["requirements"]}
    assert pins["nbconvert"]["version"] and pins["ipykernel"]["version"]
    assert pins["nbformat"]["direct"]  # the %pip line: declared, pinned
    assert "pyzmq" in pins  # ipykernel's closure
    collected = tmp_path / "collected"
    bare = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": str(tmp_path)}
    # no network but loopback, as on a VM: the kernel and nbconvert talk over 127.0.0.1
    ran = subprocess.run(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec python3 '
                          '"$0" --output-dir "$1"', str(archive), str(collected)],
                         cwd=tmp_path, env=bare, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    (run,) = collected.iterdir()
    executed = json.loads((run / "train.nbconvert.ipynb").read_text())
    outputs = executed["cells"][1]["outputs"]
    assert any('{"cells": 4, "format": true}' in "".join(o.get("text", ""))
               for o in outputs), outputs
