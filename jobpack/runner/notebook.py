"""A cmd that runs `python NOTEBOOK.ipynb`: the job's Python runs jobpack's notebook
executor (`jobpack/notebook.py`, which travels in the archive beside the runner) on it.

Plain Python cannot run a notebook (it is JSON), so `python train.ipynb ARGS` is read as
"run this notebook's code cells": the executor is written into the work folder, outside
the job's files, and put between the interpreter and the notebook, also inside a shell line
(`cd nb && python train.ipynb`). Any other cmd (one that runs `jupyter nbconvert
--execute` or `papermill`) runs unchanged (docs/notebooks.md).
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

from jobpack.layout import with_notebook_executor

from .errors import RunnerError

EXECUTOR = "jobpack-notebook.py"


def notebook_argv(argv: list[str], workdir: Path) -> list[str]:
    """`argv` with the executor put before each notebook a python runs (interpreter
    options allowed before it), directly or in a shell line (`cd nb && python
    train.ipynb`); any other argv unchanged."""
    executor = workdir / EXECUTOR
    changed = with_notebook_executor(argv, str(executor))
    if changed is None:
        return argv
    source = pkgutil.get_data("jobpack", "notebook.py")
    if source is None:
        raise RunnerError("the archive has no notebook executor (jobpack/notebook.py)")
    executor.write_bytes(source)
    return changed
