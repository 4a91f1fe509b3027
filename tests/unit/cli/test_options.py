"""The shared options: declared once, offered by every command that analyses a job, and
handed to it as one frozen object."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from jobpack.cli.app import app
from jobpack.cli.options import JobOptions, OutputOptions, shared_options
from jobpack.target import Target

_RUNNER = CliRunner()


def _flags(kind: type[JobOptions] | type[OutputOptions]) -> list[str]:
    """Each field's long flag (typer keeps the first name in the option's `default`)."""
    return [f.metadata["cli"].default for f in fields(kind) if f.name != "entries"]


@pytest.mark.parametrize("command", ["analyze", "why", "graph", "trace", "build", "submit"])
def test_every_job_command_offers_every_job_option(command: str) -> None:
    shown = _RUNNER.invoke(app, [command, "--help"], terminal_width=200).output
    for flag in _flags(JobOptions):
        assert flag in shown, (command, flag)


@pytest.mark.parametrize("command", ["analyze", "build"])
def test_reporting_commands_offer_the_output_options(command: str) -> None:
    shown = _RUNNER.invoke(app, [command, "--help"], terminal_width=200).output
    for flag in _flags(OutputOptions):
        assert flag in shown, (command, flag)


def test_the_command_receives_one_frozen_object_with_tuples() -> None:
    seen: list[tuple[str, JobOptions, OutputOptions]] = []
    probe = typer.Typer()

    @probe.command()
    @shared_options()
    def go(name: str, job: JobOptions, shown: OutputOptions = OutputOptions()) -> None:  # noqa: B008
        seen.append((name, job, shown))

    result = _RUNNER.invoke(probe, ["x", "a.py", "b.py", "-c", "c.yaml", "--exclude", "torch",
                                    "--exclude", "numpy", "--target-python", "3.11.7", "-q"])
    assert result.exit_code == 0, result.output
    assert seen == [("x", JobOptions(entries=("a.py", "b.py"), config=Path("c.yaml"),
                                     target_python=Target(3, 11, 7), exclude=("torch", "numpy")),
                     OutputOptions(quiet=True))]


def test_omitted_fields_keep_their_defaults_and_are_not_offered() -> None:
    seen: list[JobOptions] = []
    probe = typer.Typer()

    @probe.command()
    @shared_options(omit={"entries", "exclude"})
    def go(job: JobOptions) -> None:
        seen.append(job)

    # (--exclude-file, offered, starts with the same letters)
    assert not re.search(r"--exclude(?!-)", _RUNNER.invoke(probe, ["--help"]).output)
    assert _RUNNER.invoke(probe, ["a.py"]).exit_code != 0  # no ENTRY argument
    assert _RUNNER.invoke(probe, ["--no-cache"]).exit_code == 0
    assert seen == [JobOptions(no_cache=True)]
