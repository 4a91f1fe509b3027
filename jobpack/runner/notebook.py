"""A cmd that runs `python NOTEBOOK.ipynb`: the job's Python runs jobpack's notebook
executor (`jobpack/notebook.py`, which travels in the archive beside the runner) on it.

Plain Python cannot run a notebook (it is JSON), so `python train.ipynb ARGS` is read as
"run this notebook's code cells": the executor is written into the work folder, outside
the job's files, and put between the interpreter and the notebook. Any other cmd (one
that runs `jupyter nbconvert --execute` or `papermill`) runs unchanged (docs/notebooks.md).
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

from .errors import RunnerError

_PYTHON = re.compile(r"^python(\d(\.\d+)?)?$")
EXECUTOR = "jobpack-notebook.py"


def notebook_argv(argv: list[str], workdir: Path) -> list[str]:
    """`argv` with the executor put before the notebook when it runs `python X.ipynb`
    (interpreter options allowed before it); any other argv unchanged."""
    if not argv or not _PYTHON.match(Path(argv[0]).name):
        return argv
    index = 1
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "-":
        index += 2 if argv[index] in {"-X", "-W"} else 1
    if index >= len(argv) or not argv[index].endswith(".ipynb"):
        return argv
    executor = workdir / EXECUTOR
    source = pkgutil.get_data("jobpack", "notebook.py")
    if source is None:
        raise RunnerError("the archive has no notebook executor (jobpack/notebook.py)")
    executor.write_bytes(source)
    return [*argv[:index], str(executor), *argv[index:]]
