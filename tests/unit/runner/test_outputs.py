"""Each run collects into a folder of its own; an unusable output folder is refused early."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobpack.layout import DataRecord, RunSpec
from jobpack.runner import outputs
from jobpack.runner.errors import RunnerError

MANIFEST = RunSpec("3.11", "python main.py", outputs=(
    DataRecord("out/r.txt", "R"), DataRecord("res", "D"), DataRecord("never.txt")))


def _job(src: Path, text: str) -> None:
    (src / "out").mkdir(parents=True, exist_ok=True)
    (src / "out" / "r.txt").write_text(text)
    (src / "res").mkdir(exist_ok=True)
    (src / "res" / text).write_text(text)


def test_two_runs_never_merge_and_missing_outputs_are_reported(tmp_path: Path) -> None:
    root = outputs.check_output_root(tmp_path / "o")
    _job(tmp_path / "a", "first")
    one, missing, _ = outputs.collect(MANIFEST, tmp_path / "a", root)
    _job(tmp_path / "b", "second")
    two, _, _ = outputs.collect(MANIFEST, tmp_path / "b", root)
    assert one != two and missing == ["never.txt"]
    assert (one / "out" / "r.txt").read_text() == "first"
    assert sorted(p.name for p in (two / "res").iterdir()) == ["second"]
    assert sorted(p.name for p in root.iterdir()) == sorted([one.name, two.name])


def test_a_file_as_output_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("mine")
    with pytest.raises(RunnerError, match="is not a folder"):
        outputs.check_output_root(tmp_path / "f")
    assert (tmp_path / "f").read_text() == "mine"


def test_an_output_dir_that_cannot_be_created_is_refused() -> None:
    with pytest.raises(RunnerError, match="cannot be created"):
        outputs.check_output_root(Path("/proc/jobpack-outputs"))


def test_a_failed_collection_leaves_no_partial_folder(tmp_path: Path) -> None:
    root = outputs.check_output_root(tmp_path / "o")
    src = tmp_path / "src"
    _job(src, "x")
    (src / "res" / "inner").mkdir()
    # the second output is inside the first, already copied: copytree finds it there
    bad = RunSpec("3.11", "python main.py",
                  outputs=(DataRecord("res"), DataRecord("res/inner")))
    with pytest.raises(OSError):
        outputs.collect(bad, src, root)
    assert list(root.iterdir()) == []


def test_fifos_among_the_outputs_are_left_out_and_the_rest_is_kept(tmp_path: Path) -> None:
    root = outputs.check_output_root(tmp_path / "o")
    src = tmp_path / "src"
    _job(src, "x")
    os.mkfifo(src / "res" / "pipe")
    os.mkfifo(src / "out" / "r.pipe")
    spec = RunSpec("3.11", "python main.py", outputs=(
        DataRecord("res"), DataRecord("out/r.pipe"), DataRecord("out/r.txt")))
    folder, missing, left_out = outputs.collect(spec, src, root)
    assert missing == [] and left_out == ["res/pipe", "out/r.pipe"]
    assert sorted(p.name for p in (folder / "res").iterdir()) == ["x"]
    assert (folder / "out" / "r.txt").read_text() == "x"


def test_declared_folders_and_parents_of_files_exist_before_the_job(tmp_path: Path) -> None:
    spec = RunSpec("3.11", "python main.py", outputs=(
        DataRecord("models", folder=True), DataRecord("out/deep/r.txt", "R"),
        DataRecord("model")))
    outputs.prepare(spec, tmp_path)
    assert (tmp_path / "models").is_dir() and not any((tmp_path / "models").iterdir())
    assert (tmp_path / "out" / "deep").is_dir()
    assert not (tmp_path / "model").exists()  # a file output: only its parent is made


@pytest.mark.parametrize("path", ["../escape", "/tmp/abs", "a/../../b"])
def test_an_output_leaving_the_job_folder_is_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(RunnerError, match="leaves the job's folder"):
        outputs.prepare(RunSpec("3.11", "python main.py",
                                outputs=(DataRecord(path, folder=True),)), tmp_path / "src")
    assert not (tmp_path / "escape").exists()
