"""A config whose cmd runs the three notebook tools of docs/notebooks.md, `jupyter
nbconvert --execute`, `jupyter execute` and `papermill`: their distributions and
ipykernel are pinned with their closure, bundled with `--wheels`, and the archive runs the
notebook in a real Jupyter kernel three times with no network; the notebooks the tools
write are outputs though the config declares none. One cached venv of nbconvert +
ipykernel + papermill (about 35 MB) per machine; one archive, one install, one run.
"""

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
    {"cell_type": "code", "execution_count": None, "metadata": {"tags": ["parameters"]},
     "outputs": [], "source": ["alpha = 0.1\n"]},
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["%pip install -q nbformat\n", "import json, nbformat\n",
                "print(json.dumps({'alpha': alpha, 'format': nbformat.NO_CONVERT is not None}))"]},
], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                               "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
# no outputs: what each tool writes is declared from cmd
CONFIG = """name: notebook_tools
cmd: >-
  jupyter nbconvert --execute --to notebook train.ipynb &&
  jupyter execute train.ipynb --output=executed &&
  papermill train.ipynb ran/papermill.ipynb -p alpha 0.5
"""
WRITTEN = {"train.nbconvert.ipynb": 0.1, "executed.ipynb": 0.1, "ran/papermill.ipynb": 0.5}


def test_notebook_tools_in_cmd_run_the_notebook_in_a_kernel_from_the_archive(
        tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("nbconvert\nipykernel\npapermill\n")
    python = ensure_venv("notebook-tools", requirements)
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
    assert all(pins[n]["version"] for n in ("nbconvert", "nbclient", "papermill", "ipykernel"))
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
    for written, alpha in WRITTEN.items():
        outputs = json.loads((run / written).read_text())["cells"][-1]["outputs"]
        shown = f'{{"alpha": {alpha}, "format": true}}'
        assert any(shown in "".join(o.get("text", "")) for o in outputs), (written, outputs)
