"""How the runner turns cmd into an argv: every value is one argument, nothing more."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from jobpack.layout import DataRecord, RunSpec
from jobpack.runner.errors import RunnerError
from jobpack.runner.run import command_argv, variables

MANIFEST = RunSpec(
    "3.11", "python3 main.py --data ${DATA} --name ${NAME} --home ${DS_PROJECT_HOME}",
    inputs=(DataRecord("in put.csv", "DATA"),), runtime_vars=("DS_PROJECT_HOME", "NAME"))
NAME = {"NAME": "x; touch PWNED"}


def test_a_simple_cmd_runs_directly_with_each_value_one_argument(tmp_path: Path) -> None:
    value = variables(MANIFEST, tmp_path, {"DS_PROJECT_HOME": "/mnt/my project", **NAME})
    argv = command_argv(MANIFEST, value, ["--extra", "a b"], os.environ["PATH"])
    assert argv[1:] == ["main.py", "--data", str(tmp_path / "in put.csv"), "--name",
                        "x; touch PWNED", "--home", "/mnt/my project", "--extra", "a b"]


def test_a_shell_cmd_quotes_every_value_so_none_runs_as_a_command(tmp_path: Path) -> None:
    manifest = replace(MANIFEST, cmd="echo ${NAME} && echo ${DS_PROJECT_HOME}")
    value = variables(manifest, tmp_path, {"DS_PROJECT_HOME": "$(touch PWNED2)", **NAME})
    argv = command_argv(manifest, value, ["; touch PWNED3"], None)
    assert argv[:2] == ["/bin/sh", "-c"]
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout == "x; touch PWNED\n$(touch PWNED2) ; touch PWNED3\n"
    assert list(tmp_path.iterdir()) == []


def test_an_unset_run_time_variable_is_named(tmp_path: Path) -> None:
    value = variables(MANIFEST, tmp_path, NAME)
    with pytest.raises(RunnerError, match=r"\$\{DS_PROJECT_HOME\}.*DS_PROJECT_HOME=VALUE"):
        command_argv(MANIFEST, value, [], None)


def test_a_variable_nothing_defines_is_not_read_from_the_environment(tmp_path: Path) -> None:
    spec = RunSpec("3.11", "echo ${HOME}")
    value = variables(spec, tmp_path, {"HOME": "/root"})
    with pytest.raises(RunnerError, match="no input or output defines"):
        command_argv(spec, value, [], None)


def test_an_empty_cmd_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="no cmd"):
        spec = RunSpec("3.11", " ")
        command_argv(spec, variables(spec, tmp_path, {}), [], None)


def test_the_specs_sys_path_folders_go_first_on_pythonpath(tmp_path: Path) -> None:
    from jobpack.runner.environment import Environment
    from jobpack.runner.run import job_environment

    site = Environment(tmp_path / "env", "site", None, "/env/site")
    env = job_environment(site, RunSpec("3.11", "python main.py", sys_path=("src", "lib/py")),
                          {"PYTHONPATH": "/leak"}, tmp_path)
    assert env["PYTHONPATH"] == os.pathsep.join(
        [str(tmp_path / "src"), str(tmp_path / "lib" / "py"), "/env/site"])
    venv = Environment(tmp_path / "env", "venv")
    bare = RunSpec("3.11", "python main.py")
    assert "PYTHONPATH" not in job_environment(venv, bare, {"PYTHONPATH": "/leak"}, tmp_path)
    with pytest.raises(RunnerError, match="leaves the job's folder"):
        job_environment(venv, RunSpec("3.11", "python main.py", sys_path=("../up",)), {},
                        tmp_path)
