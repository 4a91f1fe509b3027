"""`python X.ipynb` inside a shell line of cmd (`cd nb && python make.py && python
train.ipynb`) runs the notebook's cells with jobpack's executor, as a lone `python
X.ipynb` does (docs/notebooks.md): the analysis follows the `cd` to the notebook and the
script, the runner puts the executor before the notebook inside the `/bin/sh -c` line,
and the executed copy, written beside the notebook, is an output nobody declared."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

NOTEBOOK = {"cells": [
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["%matplotlib inline\n", "from pathlib import Path\n",
                "import helper\n", "made = Path('made.txt').read_text()\n"]},
    {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
     "source": ["print('notebook read', made, helper.TWICE(21))"]},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
CONFIG = "name: shell_notebook\ncmd: cd nb && python make.py && python -u train.ipynb\n"


def test_a_notebook_run_inside_a_shell_line_runs_from_its_archive(tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / "nb").mkdir(parents=True)
    (job / "nb" / "train.ipynb").write_text(json.dumps(NOTEBOOK))
    (job / "nb" / "helper.py").write_text("def TWICE(x):\n    return 2 * x\n")
    (job / "nb" / "make.py").write_text("open('made.txt', 'w').write('made')\n")
    (job / "config.yaml").write_text(CONFIG)
    archive = tmp_path / "nb.jobpack.zip"
    subprocess.run([sys.executable, "-m", "jobpack", "build", "--config", "config.yaml",
                    "--python", sys.executable, "-o", str(archive)], cwd=job,
                   capture_output=True, text=True, check=True)
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("jobpack.json"))
    assert [f["path"] for f in manifest["local_files"]] == [
        "nb/helper.py", "nb/make.py", "nb/train.ipynb"]
    assert [o["path"] for o in manifest["outputs"]] == ["nb/train.executed.ipynb"]
    collected = tmp_path / "collected"
    ran = subprocess.run([sys.executable, str(archive), "--output-dir", str(collected)],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "notebook read made 42" in ran.stdout
    (run,) = collected.iterdir()
    executed = json.loads((run / "nb" / "train.executed.ipynb").read_text())
    assert "notebook read made 42" in "".join(executed["cells"][1]["outputs"][0]["text"])
