"""Hostile notebooks: a `.ipynb` entry point that is no nbformat 4 notebook is one line
naming it, a failing exit, no traceback, and the job's files untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.harness import command, run, snapshot

CELL = '{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["print(1)"]}'
BROKEN: dict[str, tuple[str | bytes, str]] = {
    "not-json": ("{\"cells\": [", "not valid JSON (line 1)"),
    "not-utf8": (b"\xff\xfe{}", "not UTF-8 text"),
    "nbformat-3": ('{"nbformat": 3, "worksheets": []}', "nbformat 3 is not supported"),
    "no-nbformat": ('{"cells": []}', "no 'nbformat' key"),
    "missing-cells": ('{"nbformat": 4, "metadata": {}}', "no 'cells' list"),
    "cells-not-a-list": ('{"nbformat": 4, "cells": {"a": 1}}', "no 'cells' list"),
    "cell-without-type": ('{"nbformat": 4, "cells": [{"source": "x"}]}',
                          "cell 1 has no cell_type"),
    "source-not-text": (f'{{"nbformat": 4, "cells": [{CELL}, {{"cell_type": "code", '
                        '"source": [1, 2]}]}', "cell 2: source is not text"),
    "empty-file": ("", "not valid JSON"),
}
COMMANDS = {
    "analyze": ("jobpack", "analyze", "train.ipynb"),
    "build": ("jobpack", "build", "train.ipynb", "-o", "{out}/a.zip"),
    "config": ("jobpack", "analyze", "--config", "config.yaml"),
    "nbconvert": ("jobpack", "build", "--config", "nbconvert.yaml", "-o", "{out}/a.zip"),
    "trace": ("jobpack", "trace", "train.ipynb"),
}


# every kind of breakage through `analyze`; one of them through every other command
CASES = [(name, "analyze") for name in sorted(BROKEN)] + [
    ("missing-cells", how) for how in sorted(COMMANDS) if how != "analyze"]


@pytest.mark.parametrize(("name", "how"), CASES)
def test_a_broken_notebook_is_one_line_naming_it(name: str, how: str, tmp_path: Path) -> None:
    job, out = tmp_path / "job", tmp_path / "out"
    job.mkdir()
    out.mkdir()
    content, message = BROKEN[name]
    path = job / "train.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (job / "config.yaml").write_text("cmd: python train.ipynb\n")
    (job / "nbconvert.yaml").write_text("cmd: jupyter nbconvert --execute --to notebook "
                                        "train.ipynb\n")
    before = snapshot(job)
    words = [w.replace("{out}", str(out)) for w in COMMANDS[how]]
    result = run(command(tuple(words), job, out, tmp_path), job, {})
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    assert "train.ipynb" in output and message in output, output
    assert snapshot(job) == before
    assert list(out.iterdir()) == []
