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
    "missing-cells": ('{"nbformat": 4, "metadata": {}}', "no 'cells' list"),
}
COMMANDS = {
    "analyze": ("jobpack", "analyze", "train.ipynb"),
    "build": ("jobpack", "build", "train.ipynb", "-o", "{out}/a.zip"),
    "config": ("jobpack", "analyze", "--config", "config.yaml"),
    "nbconvert": ("jobpack", "build", "--config", "nbconvert.yaml", "-o", "{out}/a.zip"),
    "trace": ("jobpack", "trace", "train.ipynb"),
}


# each breakage through `analyze` (a jobpack start costs seconds: every kind of message is
# tested in tests/unit/test_notebook.py); one of them through every other command
CASES = [(name, "analyze") for name in sorted(BROKEN)] + [
    ("not-json", how) for how in sorted(COMMANDS) if how != "analyze"]


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


def test_write_pep723_leaves_a_notebook_alone(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir()
    (job / "train.ipynb").write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, '
                                     f'"cells": [{CELL}]}}')
    before = snapshot(job)
    result = run(command(("jobpack", "analyze", "train.ipynb", "--write-pep723"), job, job,
                         tmp_path), job, {})
    assert result.returncode == 1
    assert "train.ipynb: a notebook cannot hold a PEP 723 block" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert snapshot(job) == before
