"""`-m pkg.mod` on jobpack's command line becomes an entry point, not an unknown option."""

from __future__ import annotations

import pytest

from jobpack.analyzer.entries import module_arguments


@pytest.mark.parametrize(("given", "expected"), [
    (["analyze", "-m", "pkg.train"], ["analyze", "--", "-m pkg.train"]),
    (["analyze", "--json", "-mpkg.train"], ["analyze", "--json", "--", "-m pkg.train"]),
    (["--debug", "why", "yaml", "-m", "a", "main.py"],
     ["--debug", "why", "yaml", "main.py", "--", "-m a"]),
    (["build", "-m", "a", "-o", "x.zip"], ["build", "-o", "x.zip", "--", "-m a"]),
    (["analyze", "main.py"], ["analyze", "main.py"]),
    (["trace", "--python", "py", "-m", "pkg.run", "--", "yaml"],
     ["trace", "--python", "py", "--", "-m pkg.run", "yaml"]),
    (["trace", "main.py", "-m", "x"], ["trace", "main.py", "-m", "x"]),
])
def test_modules_move_after_the_separator(given: list[str], expected: list[str]) -> None:
    assert module_arguments(given) == expected


@pytest.mark.parametrize("given", [
    ["run", "job.zip", "--", "-m", "x"],
    ["submit", "--ray", "http://h:8265", "job.zip", "-m", "x"],
    ["trace", "main.py", "-m", "x"],
    ["analyze", "main.py", "--", "-m", "x"],
])
def test_other_commands_and_words_after_the_separator_are_untouched(given: list[str]) -> None:
    assert module_arguments(given) == given
