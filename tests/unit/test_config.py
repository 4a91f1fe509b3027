"""config.yaml: accepted shapes and every error with its file, key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobpack.config import load_config
from jobpack.errors import ConfigError
from jobpack.target import Target


def write(folder: Path, text: str, *files: str) -> Path:
    for name in ("main.py", *files):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            target.mkdir(exist_ok=True)
        else:
            target.write_text("")
    config = folder / "config.yaml"
    config.write_text(text)
    return config


def test_a_full_datasphere_config_is_read(tmp_path: Path) -> None:
    config = write(tmp_path, """\
name: train
desc: a job
cmd: python main.py --data ${DATA} --out ${OUT} --lr ${LR}
args:
  LR: 0.01
inputs:
  - data.csv: DATA
  - extra/
outputs:
  - result/: OUT
env:
  vars:
    - TOKEN
    - MODE: fast
  docker: some/image:1
  python:
    type: manual
    version: 3.10.13
    requirements-file: requirements.txt
    root-paths: [other.py]
    pip:
      index-url: https://example.org/simple
      extra-index-urls: [https://pypi.ngc.nvidia.com]
      trusted-hosts: [nvidia.com]
      no-deps: true
flags:
  - attach-project-disk
cloud-instance-types: [g1.1]
working-storage:
  type: SSD
  size: 150Gb
graceful-shutdown:
  signal: SIGTERM
  timeout: 15s
""", "data.csv", "extra/", "requirements.txt", "other.py")
    job = load_config(config)
    assert job.cmd == "python main.py --data ${DATA} --out ${OUT} --lr 0.01"
    assert [(p.path, p.var) for p in job.inputs] == [("data.csv", "DATA"), ("extra", None)]
    assert [(p.path, p.var) for p in job.outputs] == [("result", "OUT")]
    assert job.env_vars == (("MODE", "fast"), ("TOKEN", None))
    assert (job.python_type, job.target, job.root_paths) == ("manual", Target(3, 10, 13),
                                                             ("other.py",))
    assert job.pip.no_deps and job.pip.trusted_hosts == ("nvidia.com",)
    [note] = job.notes
    assert note.code == "cloud-only-key" and note.level == "info"
    for key in ("cloud-instance-types", "env.docker", "flags", "graceful-shutdown",
                "working-storage"):
        assert key in note.message


def test_cloud_instance_types_are_read_in_order(tmp_path: Path) -> None:
    many = write(tmp_path, "cmd: python main.py\ncloud-instance-types:\n  - g2.1\n  - g1.1\n")
    assert load_config(many).instance_types == ("g2.1", "g1.1")
    one = write(tmp_path, "cmd: python main.py\ncloud-instance-type: c1.4\n")
    assert load_config(one).instance_types == ("c1.4",)
    bad = write(tmp_path, "cmd: python main.py\ncloud-instance-types: [g1.1, {a: b}]\n")
    with pytest.raises(ConfigError, match=r"must be a name such as g1\.1") as caught:
        load_config(bad)
    assert caught.value.key == "cloud-instance-types[1]"


def test_python_auto_shorthand_and_root_path_spelling(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "cmd: python main.py\nenv:\n  python: auto\n")
                       ).python_configured
    config = write(tmp_path, "cmd: python main.py\nenv:\n  python:\n    root-path: [b.py]\n",
                   "b.py")
    assert load_config(config).root_paths == ("b.py",)


ERRORS = [
    ("cmd: python main.py\nenvv: {}\n", "envv", 2, "did you mean 'env'"),
    ("cmd: python main.py\nenv:\n  python:\n    tpye: auto\n", "env.python.tpye", 4,
     "did you mean 'type'"),
    ("cmd: [python, main.py]\n", "cmd", 1, "must be a string"),
    ("name: x\n", "cmd", None, "required key is missing"),
    ("cmd: python main.py\ninputs: data.csv\n", "inputs", 2, "must be a list"),
    ("cmd: python main.py\ninputs:\n  - nothere.csv\n", "inputs[0]", 3, "does not exist"),
    ("cmd: python main.py\ninputs:\n  - ../outside.csv\n", "inputs[0]", 3, "leaves the job folder"),
    ("cmd: python main.py\nenv:\n  python:\n    type: manual\n    local-paths: [main.py]\n"
     "    root-paths: [main.py]\n", "env.python.local-paths", 5, "together with root-paths"),
    ("cmd: python main.py\nenv:\n  python:\n    type: manual\n", "env.python", 3,
     "at least one of"),
    ("cmd: python main.py\nenv:\n  python: manual\n", "env.python", 3, "at least one of"),
    ("cmd: python main.py\nenv:\n  python:\n    root-paths:\n      - main.py\n      - gone.py\n",
     "env.python.root-paths[1]", 6, "does not exist"),
    ("cmd: python main.py ${DATA}\n", "cmd", 1, "${DATA} is used but never defined"),
    ("cmd: python main.py ${A}\nargs:\n  A: x\ninputs:\n  - main.py: A\n", "inputs[0]", 5,
     "defined twice"),
    ("cmd: python main.py\nenv:\n  python:\n    type: docker\n", "env.python.type", 4,
     "must be `auto` or `manual`"),
    ("cmd: python main.py\nenv:\n  python:\n    version: '2.7'\n", "env.python.version", 4,
     "not a Python 3 version"),
    ("cmd: python main.py\nenv:\n  python:\n    pip:\n      no-deps: sometimes\n",
     "env.python.pip.no-deps", 5, "true or false"),
    ("cmd: python main.py\nenv:\n  vars:\n    - 1BAD\n", "env.vars[0]", 4, "not a valid"),
    ("cmd: python main.py\ncmd: python other.py\n", "cmd", 2, "given twice"),
]


@pytest.mark.parametrize(("text", "key", "line", "message"), ERRORS)
def test_every_error_names_file_key_and_line(
    tmp_path: Path, text: str, key: str, line: int | None, message: str
) -> None:
    config = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    error = caught.value
    assert (error.path, error.key, error.line) == (str(config), key, line)
    assert message in error.message
    assert "\n" not in str(error)


@pytest.mark.parametrize(("text", "line"), [("cmd: [\n", 2), ("cmd: a\n  b: c\n", 2),
                                            ("cmd: 'unclosed\n", 2)])
def test_invalid_yaml_is_an_error_with_file_and_line(tmp_path: Path, text: str, line: int
                                                     ) -> None:
    config = write(tmp_path, text)
    with pytest.raises(ConfigError, match="invalid YAML") as caught:
        load_config(config)
    assert (caught.value.path, caught.value.line) == (str(config), line)


def test_a_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "config.yaml")


def test_an_output_is_a_folder_when_written_with_a_slash_or_one_exists(tmp_path: Path
                                                                       ) -> None:
    config = write(tmp_path, """\
cmd: python main.py
outputs:
  - models/: MODELS
  - logs
  - runs
  - model
  - out/result.json
""", "logs/", "model")
    job = load_config(config)
    assert [(p.path, p.folder) for p in job.outputs] == [
        ("models", True), ("logs", True), ("runs", False), ("model", False),
        ("out/result.json", False)]
