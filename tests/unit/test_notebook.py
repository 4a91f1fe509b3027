"""jobpack/notebook.py: reading nbformat 4, telling magics and shell escapes from Python,
the Python the analyzer reads, `%pip install` words, and the executor the archive runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobpack import notebook
from jobpack.notebook import Cell, NotebookError, lines_of, pip_lines, python_source


def nb(*sources: str, markdown_first: bool = True) -> dict[str, Any]:
    cells: list[dict[str, Any]] = [{"cell_type": "markdown", "metadata": {},
                                    "source": ["# Title\n"]}] if markdown_first else []
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": source.splitlines(keepends=True)} for source in sources]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def kinds(source: str) -> list[str]:
    return [line.kind for line in lines_of(Cell(1, source))]


def test_magics_shell_escapes_and_help_are_told_from_python() -> None:
    assert kinds("%matplotlib inline\n!ls -l\nx = !ls\ny = %env HOME\ndf?\n"
                 "a = 1 % 2\nb != c\n  %time f()\n") == [
        "magic", "shell", "shell", "magic", "help", "code", "code", "magic"]


def test_a_line_inside_a_multi_line_string_is_code_whatever_it_starts_with() -> None:
    assert kinds('s = """\n!important\n%not a magic\n"""\n!echo real\n') == [
        "code", "code", "code", "code", "shell"]


def test_a_cell_magic_makes_the_whole_cell_its_body() -> None:
    assert kinds("%%bash\necho hi\nls\n") == ["cell-magic", "body", "body"]


def test_the_python_for_analysis_keeps_every_line_in_its_place() -> None:
    cells = notebook.code_cells(nb("%matplotlib inline\nimport numpy as np\n",
                                   "for f in files:\n    !cp {f} out/\nx = !ls\n",
                                   "%%time\nimport pandas\n", "%%bash\nimport nothing\n",
                                   "from __future__ import annotations\nimport yaml\n",
                                   "%timeit sorted(data)\n"))
    source, where = python_source(cells)
    assert source.splitlines() == [
        "pass", "import numpy as np",
        "for f in files:", "    pass", "x = []",
        "", "import pandas",
        "", "",
        "pass", "import yaml",
        "sorted(data)"]
    assert where[1] == (2, 2)  # markdown counts: the first code cell is cell 2
    assert where[-1] == (7, 1)
    compile(source, "nb", "exec")  # it is Python


def test_run_of_a_script_is_read_as_running_it_so_it_ships() -> None:
    source, _ = python_source([Cell(1, "%run helper.py --fast\n%run {name}.py\n")])
    assert source.splitlines() == ["import runpy; runpy.run_path('helper.py')", "pass"]


def test_pip_install_lines_give_requirement_words_without_options() -> None:
    cells = notebook.code_cells(nb(
        "%pip install -q 'pandas>=2' --index-url https://x/simple scikit-learn\n"
        "!pip install requests==2.31.0\n"
        "!{sys.executable} -m pip install tqdm  # progress\n"
        "!python3 -m pip install -U rich\n",
        "%pip install {package}\n!pip uninstall -y x\nout = !pip install hidden\n"))
    found = [(cell, line, words) for cell, line, _, words in pip_lines(cells)]
    assert found == [(2, 1, ["pandas>=2", "scikit-learn"]), (2, 2, ["requests==2.31.0"]),
                     (2, 3, ["tqdm"]), (2, 4, ["rich"]), (3, 1, [])]


@pytest.mark.parametrize(("data", "message"), [
    (b"not json", "not a notebook: not valid JSON (line 1)"),
    (b"\xff\xfe", "not a notebook: not UTF-8 text"),
    (b"[1, 2]", "no 'nbformat' key"),
    (b'{"nbformat": 3, "worksheets": []}', "nbformat 3 is not supported"),
    (b'{"nbformat": 4}', "no 'cells' list"),
    (b'{"nbformat": 4, "cells": [{"source": "x"}]}', "cell 1 has no cell_type"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}',
     "cell 1: source is not text"),
])
def test_what_is_no_notebook_is_one_line_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(NotebookError) as caught:
        notebook.load(data, "train.ipynb")
    assert str(caught.value).startswith("train.ipynb: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def run(folder: Path, content: dict[str, Any], *args: str, python: str = sys.executable,
        ) -> subprocess.CompletedProcess[str]:
    (folder / "sub").mkdir(exist_ok=True)
    (folder / "sub" / "job.ipynb").write_text(json.dumps(content))
    return subprocess.run([python, notebook.__file__, "sub/job.ipynb", *args], cwd=folder,
                          capture_output=True, text=True, check=False)


def executed(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "sub" / "job.executed.ipynb").read_text())
    return data


def test_the_executor_runs_the_cells_in_one_main_namespace_in_the_notebooks_folder(
        tmp_path: Path) -> None:
    (tmp_path / "sub" / "helper.py").parent.mkdir()
    (tmp_path / "sub" / "helper.py").write_text("VALUE = 41\n")
    done = run(tmp_path, nb(
        "%matplotlib inline\nimport os, sys, helper\nprint(__name__, sys.argv[1:])\n",
        "x = !echo shell\nprint(x, os.path.basename(os.getcwd()))\n",
        "%%time\nhelper.VALUE + 1\n",
        "!echo {helper.VALUE} > made.txt\nprint(open('made.txt').read().strip());\n"),
        "--lr", "0.1")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "__main__ ['--lr', '0.1']\n['shell'] sub\n41\n"
    assert "cell 2: %matplotlib skipped" in done.stderr
    cells = [c for c in executed(tmp_path)["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in cells] == [1, 2, 3, 4]
    assert cells[1]["outputs"] == [{"name": "stdout", "output_type": "stream",
                                    "text": "['shell'] sub\n"}]
    assert cells[2]["outputs"][0]["data"] == {"text/plain": "42"}


def test_a_failing_cell_stops_the_run_with_its_number_and_an_error_output(
        tmp_path: Path) -> None:
    done = run(tmp_path, nb("print('before')\n", "1 / 0\n", "print('never')\n"))
    assert done.returncode == 1
    assert done.stdout == "before\n"
    assert done.stderr.strip().splitlines()[-1] == (
        "jobpack: job.ipynb: cell 3 failed: ZeroDivisionError: division by zero")
    assert 'File "job.ipynb, cell 3", line 1' in done.stderr
    cells = [c for c in executed(tmp_path)["cells"] if c["cell_type"] == "code"]
    assert cells[1]["outputs"][-1]["output_type"] == "error"
    assert cells[1]["outputs"][-1]["ename"] == "ZeroDivisionError"
    assert cells[2]["execution_count"] is None


def test_sys_exit_in_a_cell_ends_the_run_with_its_code(tmp_path: Path) -> None:
    done = run(tmp_path, nb("import sys\nsys.exit(3)\n", "print('never')\n"))
    assert (done.returncode, done.stdout) == (3, "")


def test_the_executor_refuses_a_broken_notebook_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "job.ipynb").write_text("{")
    done = subprocess.run([sys.executable, notebook.__file__, "sub/job.ipynb"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr == "jobpack: sub/job.ipynb: not a notebook: not valid JSON (line 1)\n"


def test_the_executor_runs_on_python_3_8(tmp_path: Path) -> None:
    from tests.support.pythons import find_python

    python = find_python("3.8")
    if python is None:
        pytest.skip("no Python 3.8 here")
    done = run(tmp_path, nb("x = !echo ok\nprint(x)\n"), python=str(python))
    assert (done.returncode, done.stdout) == (0, "['ok']\n"), done.stderr


def test_cell_magics_that_are_not_python_do_what_ipython_does(tmp_path: Path) -> None:
    done = run(tmp_path, nb("%%writefile made.py\nANSWER = 42\n",
                            "import made, sys\nprint(made.ANSWER, sys.stdout.encoding)\n",
                            "%%bash\necho from bash\n", "%%html\n<b>x</b>\n"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "42 utf-8\nfrom bash\n"
    assert "cell 5: %%html cell skipped" in done.stderr


def test_a_cell_magic_that_cannot_run_fails_its_cell_in_one_line(tmp_path: Path) -> None:
    done = run(tmp_path, nb("%%writefile\nx = 1\n"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "jobpack: job.ipynb: cell 2 failed: ValueError: %%writefile names no file")
