"""Scalars are read as text, as DataSphere reads them; variables the VM defines; YAML bombs."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from jobpack.config import MAX_CONFIG_BYTES, load_config
from jobpack.errors import ConfigError
from jobpack.target import Target


def write(folder: Path, text: str) -> Path:
    (folder / "main.py").write_text("")
    config = folder / "config.yaml"
    config.write_text(text)
    return config


@pytest.mark.parametrize(("written", "read"), [
    ("3.10", "3.10"), ("3.12", "3.12"), ("'3.10'", "3.10"), ("3.10.13", "3.10.13"),
])
def test_an_unquoted_version_is_read_as_written(tmp_path: Path, written: str, read: str) -> None:
    job = load_config(write(tmp_path, f"cmd: python main.py\nenv:\n  python:\n"
                                      f"    type: manual\n    version: {written}\n"))
    assert job.target == Target.parse(read)


def test_names_and_args_keep_their_text(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "name: 010\ncmd: python main.py ${A} ${B} ${C}\n"
                                      "args:\n  A: 1.50\n  B: yes\n  C: 0x1F\n"))
    assert job.name == "010"
    assert job.cmd == "python main.py 1.50 yes 0x1F"


def test_an_args_value_is_one_argument_whatever_it_holds(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "cmd: python main.py --x ${X}\n"
                                      "args:\n  X: 'a; touch PWNED $(id) `id`'\n"))
    assert shlex.split(job.cmd) == ["python", "main.py", "--x", "a; touch PWNED $(id) `id`"]


def test_an_empty_args_value_is_an_empty_argument(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "cmd: python main.py ${X}\nargs:\n  X:\n"))
    assert shlex.split(job.cmd) == ["python", "main.py", ""]


def test_env_var_values_are_text(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "cmd: python main.py\nenv:\n  vars:\n"
                                      "    - LEVEL: 3.10\n    - ON: true\n    - EMPTY:\n"))
    assert dict(job.env_vars) == {"LEVEL": "3.10", "ON": "true", "EMPTY": None}


def test_an_output_with_an_empty_variable_is_a_plain_path(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "cmd: python main.py\noutputs:\n  - model.nemo:\n"))
    assert [(o.path, o.var) for o in job.outputs] == [("model.nemo", None)]


@pytest.mark.parametrize("value", ["true", "True", "yes", "false", "no"])
def test_no_deps_reads_yaml_booleans(tmp_path: Path, value: str) -> None:
    job = load_config(write(tmp_path, "cmd: python main.py\nenv:\n  python:\n    pip:\n"
                                      f"      no-deps: {value}\n"))
    assert job.pip.no_deps is (value.lower() in {"true", "yes"})


def test_no_deps_with_a_typo_is_refused(tmp_path: Path) -> None:
    config = write(tmp_path, "cmd: python main.py\nenv:\n  python:\n    pip:\n      no-deps: ture\n")
    with pytest.raises(ConfigError, match="no-deps: must be true or false"):
        load_config(config)


def test_service_and_dataset_variables_are_left_for_the_runner(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "cmd: ./run.sh ${DS_PROJECT_HOME}/texts ${CIFAR_10}\n"
                                      "datasets:\n  - bt10gb7dn2sr3c6fab1c: CIFAR_10\n"
                                      "  - another-dataset-id\n"))
    assert job.cmd == "./run.sh ${DS_PROJECT_HOME}/texts ${CIFAR_10}"
    assert job.runtime_vars == ("CIFAR_10", "DS_PROJECT_HOME")
    note = next(n for n in job.notes if n.code == "runtime-variable")
    assert note.level == "info" and "${DS_PROJECT_HOME}" in note.message


def test_an_undefined_variable_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$\{DATA\} is used but never defined"):
        load_config(write(tmp_path, "cmd: python main.py ${DATA}\n"))


def test_a_dataset_variable_defined_twice_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="defined twice"):
        load_config(write(tmp_path, "cmd: python main.py ${D}\nargs:\n  D: x\n"
                                    "datasets:\n  - someid: D\n"))


def test_a_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join(['*a' + str(i - 1)] * 9)}]" for i in range(1, 10)]
    config = write(tmp_path, "cmd: python main.py\n" + "\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="too many values"):
        load_config(config)


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too many values"):
        load_config(write(tmp_path, "cmd: python main.py\nargs: &a\n  X: *a\n"))


def test_a_huge_config_is_refused_before_parsing(tmp_path: Path) -> None:
    config = write(tmp_path, "cmd: python main.py\n# " + "x" * MAX_CONFIG_BYTES + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_config(config)


@pytest.mark.parametrize(("version", "fragment"), [
    ("3.7", "not supported"), ("3.6", "not supported"), ("3.1", "did you mean 3.10?"),
])
def test_a_target_older_than_the_runner_supports_is_refused(tmp_path: Path, version: str,
                                                            fragment: str) -> None:
    config = write(tmp_path, f"cmd: python main.py\nenv:\n  python:\n    version: {version}\n")
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_config(config)
    assert caught.value.key == "env.python.version" and caught.value.line == 4


@pytest.mark.parametrize(("cmd", "written"), [
    ("python main.py --lr $LR", "$LR"), ("python main.py --lr ${LR --x", "${LR"),
])
def test_a_variable_written_without_braces_is_a_typo_warning(tmp_path: Path, cmd: str,
                                                             written: str) -> None:
    job = load_config(write(tmp_path, f"cmd: {cmd}\nargs:\n  LR: '0.1'\n"))
    note = next(n for n in job.notes if n.code == "variable-typo")
    assert note.level == "warning" and repr(written) in note.message
    assert "did you mean ${LR}?" in note.message


def test_shell_variables_that_no_key_defines_are_not_typos(tmp_path: Path) -> None:
    job = load_config(write(tmp_path, "cmd: python main.py --home $HOME --lr ${LR}\n"
                                      "args:\n  LR: '0.1'\n"))
    assert [n for n in job.notes if n.code == "variable-typo"] == []
