"""A full disk (a small tmpfs, mounted as root; skipped with the reason where mount is
refused) at build and at run time: one line, no traceback, nothing half-written kept,
the user's files unchanged, and the next attempt with space succeeds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import JOBPACK, run, snapshot
from tests.support.disks import SmallDisk
from tests.support.disks import small_disk as mounted

TIMEOUT = 120


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with mounted(tmp_path / "small", "256k") as disk:
        yield disk


def _job(folder: Path, data_bytes: int) -> Path:
    job = folder / "job"
    (job / "data").mkdir(parents=True)
    (job / "main.py").write_text("print('hello')\n")
    (job / "config.yaml").write_text("cmd: python main.py\ninputs:\n  - data/\n")
    (job / "data" / "blob.bin").write_bytes(b"\x01" * data_bytes)
    return job


def _one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode > 0, output
    assert "Traceback" not in output, output
    assert "no space left" in output.lower(), output
    return output


def test_a_build_on_a_full_disk_is_one_line_and_leaves_nothing(
    tmp_path: Path, small_disk: SmallDisk,
) -> None:
    job = _job(tmp_path, 1 << 20)
    before = snapshot(job)
    result = run([JOBPACK, "build", "--config", "config.yaml", "-o",
                  str(small_disk.path / "a.zip")], job, {})
    _one_line_failure(result)
    assert small_disk.files() == []  # no .part, no truncated archive
    assert snapshot(job) == before
    small_disk.grow("8m")
    again = run([JOBPACK, "build", "--config", "config.yaml", "-o",
                 str(small_disk.path / "a.zip")], job, {})
    assert again.returncode == 0, again.stderr
    assert small_disk.files() == ["a.zip"]


def test_a_graph_on_a_full_disk_is_one_line_and_leaves_nothing(
    tmp_path: Path, small_disk: SmallDisk,
) -> None:
    job = tmp_path / "job"
    job.mkdir()
    # a graph of a few hundred local modules is bigger than the 256 KiB disk
    lines = [f"import mod{i}_{'x' * 60}\n" for i in range(400)]
    (job / "main.py").write_text("".join(lines))
    for i in range(400):
        (job / f"mod{i}_{'x' * 60}.py").write_text("")
    before = snapshot(job)
    small_disk.grow("16k")
    result = run([JOBPACK, "graph", "main.py", "-o", str(small_disk.path / "g.html")], job, {})
    _one_line_failure(result)
    assert small_disk.files() == []
    assert snapshot(job) == before


def test_a_run_whose_environment_fills_the_disk_is_one_line_and_the_next_run_works(
    runner_archive: Path, tmp_path: Path, small_disk: SmallDisk,
) -> None:
    small_disk.grow("8m")  # the three wheels need 36 MB installed
    cache = small_disk.path / "envs"
    command = [sys.executable, str(runner_archive), "--offline", "--env-cache", str(cache)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                            cwd=tmp_path, check=False)
    output = _one_line_failure(result)
    assert "JOB OK" not in output
    assert [p for p in cache.iterdir() if p.is_dir()] == [], "a half-built environment stayed"
    small_disk.grow("128m")
    again = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                           cwd=tmp_path, check=False)
    assert again.returncode == 0, again.stderr
    assert "JOB OK 6" in again.stdout


def test_a_full_facts_cache_only_costs_speed(tmp_path: Path, small_disk: SmallDisk) -> None:
    small_disk.grow("4k")
    job = tmp_path / "job"
    job.mkdir()
    (job / "main.py").write_text("".join(f"import m{i}\n" for i in range(50)))
    for i in range(50):
        (job / f"m{i}.py").write_text(f"import json\nX = {'1' * 200}\n")
    result = run([JOBPACK, "analyze", "main.py", "--cache-dir", str(small_disk.path)], job, {})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert not [name for name in small_disk.files() if name.endswith(".part")]
