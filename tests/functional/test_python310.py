"""jobpack itself runs on the oldest Python it supports (`requires-python = ">=3.10"`),
not only on the 3.11 the tests run on.

Python 3.10's `typing.get_type_hints` wraps the hint of a parameter whose default is None
in `Optional[...]`; 3.11 no longer does. That hid `trace`'s `Annotated[...,
typer.Argument(...)]` parameters from typer: on 3.10, `jobpack trace main.py` answered
"Got unexpected extra argument(s) (main.py)" and never ran the job.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cache import cached_folder
from tests.support.pythons import python_or_skip

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

pytestmark = pytest.mark.slow  # a venv of jobpack's dependencies for 3.10, once a machine

REPO = Path(__file__).resolve().parents[2]


def _jobpack_on_310() -> Path:
    """A 3.10 venv holding jobpack's dependencies (jobpack itself runs from this tree)."""
    python = python_or_skip("3.10")
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "dependencies"]
    key = hashlib.sha256("\n".join(dependencies).encode()).hexdigest()[:16]

    def build(folder: Path) -> None:
        subprocess.run([str(python), "-m", "venv", str(folder)], check=True)
        subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *dependencies], check=True)

    return cached_folder(f"jobpack-py310-{key}", build, in_place=True) / "bin" / "python"


def test_trace_runs_the_entry_with_its_arguments_on_python_3_10(tmp_path: Path) -> None:
    python = _jobpack_on_310()
    (tmp_path / "main.py").write_text("import sys\nprint('ran with', sys.argv[1:])\n")
    result = subprocess.run(
        [str(python), "-m", "jobpack", "trace", "main.py", "--", "a", "b"], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "VIRTUAL_ENV": str(python.parent.parent)},
        capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ran with ['a', 'b']" in result.stdout + result.stderr
