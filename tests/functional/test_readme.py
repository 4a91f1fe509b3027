"""The README shows real output on the example job; this keeps it real."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.functional.test_cli import jobpack


def _shown() -> dict[str, str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"## Usage, on the example job.*?```console\n(.*?)```", text, re.S)
    assert block is not None
    outputs: dict[str, str] = {}
    for chunk in block[1].split("\n\n"):
        command, _, output = chunk.partition("\n")
        outputs[command.removeprefix("$ jobpack ")] = output.rstrip("\n")
    return outputs


@pytest.mark.parametrize("command", [
    "analyze --config config.yaml", "analyze main.py --format pep723",
    "analyze --config config.yaml --format json",
    "analyze --config config.yaml --format requirements",
    "why lib.stats --config config.yaml", "graph --config config.yaml --format mermaid"])
def test_the_readme_shows_what_the_command_prints(command: str) -> None:
    result = jobpack(*shlex.split(command), cwd=FIXTURES / "example")
    shown = _shown()[command].splitlines()
    printed = result.stdout.rstrip("\n").splitlines()
    if printed and printed[0].lstrip("# ").startswith("Analysed "):  # the path is yours
        assert shown[0].lstrip("# ").startswith("Analysed ")
        shown, printed = shown[1:], printed[1:]
    assert printed == shown


def test_the_readme_shows_what_build_and_inspect_print(tmp_path: Path) -> None:
    # the README builds into /tmp; here into tmp_path, shown as /tmp (same bytes either way)
    built = jobpack("build", "--config", "config.yaml", "-o", str(tmp_path),
                    cwd=FIXTURES / "example")
    archive = tmp_path / "example.jobpack.zip"
    inspected = jobpack("inspect", str(archive))
    verified = jobpack("verify", str(archive))
    shown = _shown()
    for command, result in (("build --config config.yaml -o /tmp", built),
                            ("inspect /tmp/example.jobpack.zip", inspected),
                            ("verify /tmp/example.jobpack.zip", verified)):
        assert result.returncode == 0, result.stderr
        # as a terminal shows it: the "Analysed" line and the summary go to stderr
        notes = result.stderr.splitlines()
        printed = [line.replace(str(tmp_path), "/tmp")
                   for line in notes[:1] + result.stdout.splitlines() + notes[1:]]
        if os.environ.get("JOBPACK_UPDATE_GOLDEN"):
            _rewrite(command, shown[command], printed)
            continue
        expected = shown[command].splitlines()
        if printed[0].startswith("Analysed "):  # the interpreter's path is yours
            assert expected[0].startswith("Analysed "), command
            expected, printed = expected[1:], printed[1:]
        assert printed == expected, command


def _rewrite(command: str, old: str, printed: list[str]) -> None:
    """JOBPACK_UPDATE_GOLDEN=1: the README's sample becomes what was printed (its
    "Analysed" line kept, since it names the writer's interpreter)."""
    readme = REPO / "README.md"
    old_lines = old.splitlines()
    new = old_lines[:1] + printed[1:] if printed[0].startswith("Analysed ") else printed
    text = readme.read_text()
    before = f"$ jobpack {command}\n{old}\n"
    assert text.count(before) == 1, command
    readme.write_text(text.replace(before, f"$ jobpack {command}\n" + "\n".join(new) + "\n"))
