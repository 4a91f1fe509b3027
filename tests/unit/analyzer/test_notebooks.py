"""Notebooks as entry points (docs/notebooks.md): the analysis reads the code cells, names
cells in what it says, takes `%pip install` lines and notebook tools as requirements, and
adds the executed copy to the outputs; the runner puts its executor before the notebook."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import packaging
import pytest
from packaging.version import Version

import jobpack
import jobpack.notebook
from jobpack.analyzer.cmdline import find_cmd_entries
from jobpack.analyzer.notebooks import executor_argv
from jobpack.errors import NotebookFormatError
from jobpack.runner.notebook import notebook_argv

INSTALLED = packaging.__version__


def write(folder: Path, *sources: str, name: str = "train.ipynb") -> Path:
    cells: list[dict[str, object]] = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]}]
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": s.splitlines(keepends=True)} for s in sources]
    path = folder / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}, indent=1))
    return path


def analyze(folder: Path, *entries: str, config: Path | None = None) -> jobpack.Analysis:
    return jobpack.analyze(list(entries), config=config, python=sys.executable, cwd=folder,
                           no_cache=True)


def test_a_notebooks_imports_are_read_and_said_at_a_cell_and_line(tmp_path: Path) -> None:
    write(tmp_path, "%matplotlib inline\nimport json\n", "!ls\nimport not_there_at_all\n")
    manifest = analyze(tmp_path, "train.ipynb").manifest
    (missing,) = [d for d in manifest.diagnostics if d.code == "unresolved-import"]
    assert (missing.path, missing.line) == ("train.ipynb", None)
    assert missing.message.startswith("cell 3, line 2: ")
    assert manifest.cmd == "python train.ipynb"
    assert [o.path for o in manifest.outputs] == ["train.executed.ipynb"]
    assert [f.path for f in manifest.local_files] == ["train.ipynb"]


def test_pip_install_pins_the_installed_version_with_its_place(tmp_path: Path) -> None:
    write(tmp_path, "%pip install -q packaging\n")
    (pin,) = analyze(tmp_path, "train.ipynb").manifest.requirements
    assert (pin.name, pin.version, pin.direct) == ("packaging", INSTALLED, True)
    assert pin.required_by == ("train.ipynb cell 2 (%pip install)",)


def test_pip_install_of_another_version_or_of_a_missing_one_ships_as_written(
        tmp_path: Path) -> None:
    other = f"packaging<{Version(INSTALLED).major}"
    write(tmp_path, f"!pip install '{other}' no-such-distribution-jobpack==1.0\n")
    manifest = analyze(tmp_path, "train.ipynb").manifest
    pins = {r.name: (r.version, r.specifier) for r in manifest.requirements}
    assert pins == {"packaging": ("", other.removeprefix("packaging")),
                    "no-such-distribution-jobpack": ("", "==1.0")}
    said = {d.code: d.message for d in manifest.diagnostics}
    assert said["notebook-pip-mismatch"].startswith("cell 2, line 1: ")
    assert "notebook-pip-not-installed" in said


def test_a_broken_notebook_is_one_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "train.ipynb").write_text('{"nbformat": 4, "cells": {}}')
    with pytest.raises(NotebookFormatError) as caught:
        analyze(tmp_path, "train.ipynb")
    assert "train.ipynb" in str(caught.value)
    assert "no 'cells' list" in str(caught.value)


def test_cmd_tools_that_run_notebooks_are_requirements(tmp_path: Path) -> None:
    write(tmp_path, "import json\n", name="in.ipynb")
    write(tmp_path, "import json\n", name="out.ipynb")
    found = find_cmd_entries("jupyter nbconvert --execute --to notebook in.ipynb "
                             "--output out.ipynb", tmp_path)
    assert (found.scripts, found.tools) == (
        ("in.ipynb",), (("jupyter nbconvert", "nbconvert"), ("jupyter nbconvert", "ipykernel")))
    found = find_cmd_entries("papermill in.ipynb out.ipynb -p alpha 0.6", tmp_path)
    assert found.scripts == ("in.ipynb",)
    assert found.tools == (("papermill", "papermill"), ("papermill", "ipykernel"))
    assert find_cmd_entries("jupyter execute in.ipynb", tmp_path).tools[0] == (
        "jupyter execute", "nbclient")


@pytest.mark.skipif(find_spec("papermill") is not None, reason="papermill is installed here")
def test_a_tool_not_installed_is_shipped_unpinned_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "import json\n")
    config = tmp_path / "config.yaml"
    config.write_text("cmd: papermill train.ipynb out.ipynb\n")
    manifest = analyze(tmp_path, config=config).manifest
    names = {r.name: r.version for r in manifest.requirements}
    assert names == {"papermill": "", "ipykernel": ""}
    assert [d.code for d in manifest.diagnostics].count("notebook-tool-not-installed") == 2
    assert [o.path for o in manifest.outputs] == ["out.ipynb"]  # what papermill writes


def test_the_runner_and_trace_put_the_executor_before_a_notebook(tmp_path: Path) -> None:
    argv = notebook_argv(["/env/bin/python", "-u", "train.ipynb", "--lr", "1"], tmp_path)
    assert argv == ["/env/bin/python", "-u", str(tmp_path / "jobpack-notebook.py"),
                    "train.ipynb", "--lr", "1"]
    assert (tmp_path / "jobpack-notebook.py").read_bytes() == Path(
        jobpack.notebook.__file__).read_bytes()
    for unchanged in (["/env/bin/python", "main.py"], ["jupyter", "nbconvert", "x.ipynb"],
                      ["/bin/sh", "-c", "echo python x.ipynb && python x.ipynb.bak"]):
        assert notebook_argv(unchanged, tmp_path) == unchanged
        assert executor_argv(unchanged) == unchanged
    assert executor_argv(["python3", "train.ipynb"])[1] == jobpack.notebook.__file__


def test_a_notebook_a_python_runs_inside_a_shell_line_gets_the_executor(
        tmp_path: Path) -> None:
    line = "cd nb && FOO=1 python3 -X dev 'a.ipynb' --lr 1; python b.ipynb | tee log"
    argv = notebook_argv(["/bin/sh", "-c", line], tmp_path)
    executor = tmp_path / "jobpack-notebook.py"
    assert argv == ["/bin/sh", "-c", f"cd nb && FOO=1 python3 -X dev {executor} 'a.ipynb' "
                    f"--lr 1; python {executor} b.ipynb | tee log"]
    assert executor.is_file()


def test_why_and_the_files_read_name_a_notebooks_cell_and_line(tmp_path: Path) -> None:
    write(tmp_path, "%matplotlib inline\nimport json\n",
          "x = 1\nimport yaml\ncfg = open('params.yaml').read()\n")
    (tmp_path / "params.yaml").write_text("a: 1\n")
    (data,) = analyze(tmp_path, "train.ipynb").manifest.data_files
    assert data.read_by == ("train.ipynb cell 3, line 3",)
    why = subprocess.run([sys.executable, "-m", "jobpack", "why", "yaml", "train.ipynb",
                          "--python", sys.executable], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert "  train.ipynb cell 3, line 2: imports yaml" in why, why
