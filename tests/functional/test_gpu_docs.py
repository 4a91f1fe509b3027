"""docs/gpu.md runs as written: each `$` command of its console blocks, in a copy of
fixtures/gpu (pytorch/examples' word_language_model, BSD-3-Clause) with a CPU torch venv
activated, prints the lines the page shows (`...` leaves output out, or part of a line).
The archive runs offline (`unshare -n`) on that venv's python, standing in for the image's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.support.tools import tool_venv

pytestmark = pytest.mark.slow

PAGE = REPO / "docs" / "gpu.md"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}[^\n]*\n(.*?)```", PAGE.read_text(), re.S)


def _commands() -> list[tuple[str, list[str]]]:
    """(command, shown output lines) for every `$ ` line of the page's console blocks."""
    found: list[tuple[str, list[str]]] = []
    for block in _blocks("console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif found:
                found[-1][1].append(line)
    return found


def _shown_in(shown: str, printed: list[str]) -> bool:
    """A shown line is printed as it is, or (with `...` in it) its parts appear in order
    in one printed line."""
    parts = [p.strip() for p in shown.split("...")]
    for line in printed:
        at = 0
        for part in parts:
            found = line.find(part, at)
            if found < 0:
                break
            at = found + len(part)
        else:
            return True
    return False


@pytest.fixture(scope="module")
def torch_venv() -> Path:
    return tool_venv("torch-cpu", ["torch==2.13.0", "numpy==2.2.6"])


def test_the_gpu_page_commands_print_what_it_shows(torch_venv: Path, tmp_path: Path) -> None:
    job = tmp_path / "wlm"
    shutil.copytree(FIXTURES / "gpu", job)
    [listing] = _blocks("text image.txt")
    (job / "image.txt").write_text(listing)
    env = {"PATH": f"{torch_venv / 'bin'}:{Path(sys.executable).parent}:/usr/bin:/bin",
           "VIRTUAL_ENV": str(torch_venv), "HOME": str(tmp_path),
           "JOBPACK_CACHE_DIR": os.environ.get("JOBPACK_CACHE_DIR", str(tmp_path / "c")),
           "PIP_CONFIG_FILE": os.devnull}
    offline = shutil.which("unshare") is not None and os.geteuid() == 0
    commands = _commands()
    assert [c.split()[0] for c, _ in commands] == ["jobpack"] * 4 + ["python3"]
    for command, shown in commands:
        argv = ["bash", "-c", command]
        if command.startswith("python3 ") and offline:
            argv = ["unshare", "-n", *argv]  # as on an offline VM
        done = subprocess.run(argv, cwd=job, env=env, capture_output=True, text=True,
                              check=False, timeout=900)
        assert done.returncode == 0, (command, done.stderr[-3000:])
        printed = (done.stdout + done.stderr).splitlines()
        missing = [s for s in shown if s.strip() != "..." and not _shown_in(s, printed)]
        assert not missing, (command, missing, printed[-40:])
    # docs/gpu.md says "about 220 KB": the runner and the job's files, no torch
    assert (job / "dist" / "wlm.jobpack.zip").stat().st_size < 250_000
    assert list((job / "out").glob("*/model.pt"))
