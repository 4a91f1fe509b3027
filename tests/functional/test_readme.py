"""The README shows real output on the example job; this keeps it real."""

from __future__ import annotations

import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO
from tests.functional.test_cli import JOBPACK, jobpack

# The README's samples are what CPython 3.11.7 printed. On another Python the target in
# them is that Python (`env: python: auto`): the analyses are compared with it read as
# 3.11.7; the archive's bytes (its bytecode, its manifest) are that Python's own.
README_PYTHON = "3.11.7"
HERE = platform.python_version()


def _as_on_the_readme_s_python(lines: list[str]) -> list[str]:
    if HERE == README_PYTHON:
        return lines
    minor, readme_minor = HERE.rpartition(".")[0], README_PYTHON.rpartition(".")[0]
    return [line.replace(HERE, README_PYTHON).replace(f'">={minor}"', f'">={readme_minor}"')
            for line in lines]


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
    printed = _as_on_the_readme_s_python(result.stdout.rstrip("\n").splitlines())
    if printed and printed[0].lstrip("# ").startswith("Analysed "):  # the path is yours
        assert shown[0].lstrip("# ").startswith("Analysed ")
        shown, printed = shown[1:], printed[1:]
    assert printed == shown


@pytest.mark.skipif(HERE != README_PYTHON, reason=f"the README's archive is what CPython "
                    f"{README_PYTHON} builds (its bytecode); this is {HERE}")
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


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else b""
            for p in sorted(root.rglob("*"))}


def test_the_quick_start_writes_nothing_inside_the_repository(tmp_path: Path) -> None:
    """The README's first command, as a new user runs it from a fresh clone (its venv
    steps aside; `/tmp` here is a folder of the test's): every file it writes, caches
    included, lands outside the repository."""
    text = (REPO / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)\n```", text, re.S)
    assert block is not None
    command = re.fullmatch(r"(.*) && \(cd /tmp && python3 example\.jobpack\.zip\)", block[1])
    assert command is not None, "the quick start no longer ends by running the archive in /tmp"
    steps = [s for s in command[1].split(" && ") if not s.startswith(("python3 -m venv",
                                                                      ".venv/bin/pip"))]
    repo, out = tmp_path / "repo", tmp_path / "tmp"
    shutil.copytree(FIXTURES / "example", repo / "fixtures" / "example")
    out.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "JOBPACK_CACHE_DIR", "JOBPACK_ENV_CACHE"}}
    env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))
    before = _tree(repo)
    for step in steps:
        args = [a if a != "/tmp" else str(out) for a in shlex.split(step)]
        assert args[0] == ".venv/bin/jobpack", step
        ran = subprocess.run([JOBPACK, *args[1:]], cwd=repo, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        assert ran.returncode == 0, ran.stderr
    ran = subprocess.run([sys.executable, "example.jobpack.zip"], cwd=out, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert ran.returncode == 0, ran.stderr
    assert _tree(repo) == before
    assert (out / "jobpack-outputs").is_dir()
