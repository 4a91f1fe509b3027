"""The README shows real output on the example job; this keeps it real."""

from __future__ import annotations

import re
import shlex

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
    "why lib.stats --config config.yaml", "graph --config config.yaml --format mermaid"])
def test_the_readme_shows_what_the_command_prints(command: str) -> None:
    result = jobpack(*shlex.split(command), cwd=FIXTURES / "example")
    shown = _shown()[command].splitlines()
    printed = result.stdout.rstrip("\n").splitlines()
    if printed and printed[0].startswith("Analysed "):  # the interpreter's path is yours
        assert shown[0].startswith("Analysed ")
        shown, printed = shown[1:], printed[1:]
    assert printed == shown
