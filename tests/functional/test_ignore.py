"""Silencing diagnostics: `--ignore CODE`, `ignore=` and `# jobpack: ignore[CODE]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import jobpack
from jobpack.errors import IgnoreError
from tests.functional.test_cli import jobpack as run_jobpack

MAIN = """import os
import plugin_one_not_installed  # jobpack: ignore[unresolved-import]
import plugin_two_not_installed
note = "# jobpack: ignore[dynamic-import]"
backend = __import__(os.environ["BACKEND"])
"""


def _job(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(MAIN, encoding="utf-8")
    return tmp_path


def _codes(output: str) -> list[tuple[str, int | None]]:
    return [(d["code"], d["line"]) for d in json.loads(output)["diagnostics"]]


def test_a_comment_silences_its_line_only(tmp_path: Path) -> None:
    result = run_jobpack("analyze", "main.py", "--format", "json", cwd=_job(tmp_path))
    assert result.returncode == 0, result.stderr
    assert _codes(result.stdout) == [("unresolved-import", 3), ("dynamic-import", 5)]


def test_ignore_drops_a_code_everywhere(tmp_path: Path) -> None:
    result = run_jobpack("analyze", "main.py", "--format", "json", "--ignore",
                         "dynamic-import", "--ignore", "unresolved-import", cwd=_job(tmp_path))
    assert result.returncode == 0, result.stderr
    assert _codes(result.stdout) == []


@pytest.mark.parametrize(("code", "said"), [
    ("dynamic-imports", "error: unknown diagnostic code 'dynamic-imports' (see "
                        "docs/diagnostics.md)"),
    ("syntax-error", "error: syntax-error is an error and cannot be ignored: the archive "
                     "would not work"),
])
def test_an_unknown_code_or_an_error_is_one_line_and_exit_1(tmp_path: Path, code: str,
                                                             said: str) -> None:
    result = run_jobpack("analyze", "main.py", "--ignore", code, cwd=_job(tmp_path))
    assert (result.returncode, result.stderr.strip().splitlines()) == (1, [said])


def test_the_library_takes_ignore(tmp_path: Path) -> None:
    analysis = jobpack.analyze(["main.py"], root=_job(tmp_path), ignore=["dynamic-import"],
                               no_cache=True)
    assert [(d.code, d.line) for d in analysis.diagnostics] == [("unresolved-import", 3)]
    with pytest.raises(IgnoreError, match="nope"):
        jobpack.analyze(["main.py"], root=tmp_path, ignore=["nope"], no_cache=True)
