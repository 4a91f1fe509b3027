from __future__ import annotations

from pathlib import Path

import pytest

from jobpack.analyzer.cmdline import find_cmd_entries
from jobpack.analyzer.job import load_job
from jobpack.errors import ConfigError, EntryPointError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for name in ("main.py", "other.py", "train/run.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "tool.py").write_text("#!/usr/bin/env python3\nprint(1)\n")
    (tmp_path / "run.sh").write_text("#!/bin/bash\necho hi\n")
    return tmp_path


@pytest.mark.parametrize(
    ("cmd", "scripts", "modules"),
    [
        ("python main.py --x 1", ["main.py"], []),
        ("python3 -u -O -X dev -W ignore main.py", ["main.py"], []),
        ("python3.11 -Xfrozen_modules=off -uB main.py", ["main.py"], []),
        ("/opt/conda/bin/python train/run.py", ["train/run.py"], []),
        ("python main.py other.py", ["main.py", "other.py"], []),
        ("python 'main.py' --name 'a b'", ["main.py"], []),
        ("python -m pkg.mod --flag", [], ["pkg.mod"]),
        ("deepspeed main.py --num_gpus=1 --deepspeed_stage 2 --apply_lora True", ["main.py"], []),
        ("deepspeed --num_gpus 2 --master_port 29500 main.py", ["main.py"], []),
        ("deepspeed --module pkg.train", [], ["pkg.train"]),
        ("torchrun --nproc_per_node 4 --standalone main.py --epochs 3", ["main.py"], []),
        ("torchrun --nnodes=2 -m pkg.train", [], ["pkg.train"]),
        ("accelerate launch --multi_gpu --num_processes 2 main.py", ["main.py"], []),
        ("python -m torch.distributed.run --nproc_per_node=2 main.py", ["main.py"], []),
        ("mpirun -np 4 -x FOO python -u main.py", ["main.py"], []),
        ("horovodrun -np 2 python main.py", ["main.py"], []),
        ("./tool.py --x", ["tool.py"], []),
        ("FOO=1 python main.py && python other.py", ["main.py", "other.py"], []),
        ("env A=1 python main.py", ["main.py"], []),
    ],
)
def test_entry_points_are_found_in_cmd(root: Path, cmd: str, scripts: list[str],
                                       modules: list[str]) -> None:
    found = find_cmd_entries(cmd, root)
    assert (list(found.scripts), list(found.modules)) == (scripts, modules)
    assert found.runs_python


@pytest.mark.parametrize("cmd", ["./run.sh", "bash run.sh", "ls -la", "./bin/solver --x"])
def test_a_cmd_that_runs_no_python_is_a_plain_job(root: Path, cmd: str) -> None:
    found = find_cmd_entries(cmd, root)
    assert not found.runs_python and not found.scripts


def test_python_without_a_script_runs_python_but_has_no_entry(root: Path) -> None:
    found = find_cmd_entries("python -c 'import x'", root)
    assert found.runs_python and not found.scripts


def test_unbalanced_quotes_are_a_config_error(root: Path) -> None:
    with pytest.raises(ConfigError, match="cmd"):
        find_cmd_entries("python 'main.py", root)


def test_a_script_outside_the_job_folder_is_set_apart(tmp_path: Path) -> None:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "main.py").write_text("")
    found = find_cmd_entries("python /workspace/x/train.py && python main.py",
                             tmp_path / "job")
    assert found.scripts == ("main.py",)
    assert found.outside == ("/workspace/x/train.py",)


def test_a_script_outside_the_job_folder_is_an_error_without_an_image(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("cmd: python ../shared/train.py\n")
    with pytest.raises(EntryPointError, match=r"runs \.\./shared/train\.py, which is outside"):
        load_job((), config=tmp_path / "config.yaml", root=None, cwd=tmp_path)
