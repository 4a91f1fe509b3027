"""Faults from outside: a runner killed with SIGKILL at each of its phases, then run again;
a prune while a job runs in the environment it would remove; two first runs at once.

The runner says each phase on stderr before it starts (`installing 3 wheels...`), so the
test kills it from outside the moment that line appears: no hook in the runner. Only the
runner's own process is killed, as `kill -9 PID` would: its worker processes must die with
it, or they keep the environment's lock and every later run hangs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TIMEOUT = 120
def _start(archive: Path, cache: Path, *more: str, env: dict[str, str] | None = None
           ) -> subprocess.Popen[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.Popen([sys.executable, str(archive), "--offline", "--env-cache",
                             str(cache), *more], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full,
                            cwd=archive.parent)


def _kill_when(process: subprocess.Popen[str], phase: str, delay: float = 0.0) -> list[str]:
    """Read the runner's stderr until `phase` starts, then (`delay` seconds later, when
    its work is under way) SIGKILL the runner alone."""
    assert process.stderr is not None
    seen = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen.append(line)
        if phase in line:
            time.sleep(delay)
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=TIMEOUT)
    return seen


def _run(archive: Path, cache: Path, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(archive), "--offline", "--env-cache",
                           str(cache), *more], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=archive.parent, check=False)


@pytest.mark.parametrize(("phase", "delay"), [
    ("unpacking", 0.0), ("creating a venv", 0.0), ("installing 3 wheels", 0.0),
    ("installing 3 wheels", 0.4),  # the workers are forked and writing by then
    ("running:", 0.0)])
def test_a_run_killed_at_any_phase_leaves_a_cache_the_next_run_repairs(
    runner_archive: Path, tmp_path: Path, phase: str, delay: float,
) -> None:
    archive = runner_archive
    before = archive.read_bytes()
    cache = tmp_path / "envs"
    seen = _kill_when(_start(archive, cache), phase, delay)
    assert any(phase in line for line in seen), seen
    time.sleep(0.2)  # the kernel delivers the workers' SIGKILL
    again = _run(archive, cache)  # hangs (then times out) if an orphan holds the lock
    assert again.returncode == 0, again.stderr
    assert "JOB OK 6" in again.stdout
    assert "Traceback" not in again.stderr
    entries = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / ".jobpack-complete").is_file()
    assert _run(archive, cache).stderr.count("reusing environment") == 1
    assert archive.read_bytes() == before


def test_a_prune_never_removes_the_environment_of_a_running_job(
    runner_archive: Path, tmp_path: Path,
) -> None:
    archive = runner_archive
    cache, go = tmp_path / "envs", tmp_path / "go"
    job = _start(archive, cache, env={"JOB_WAIT_FOR": str(go)})
    assert job.stderr is not None
    while "running:" not in (line := job.stderr.readline()):
        assert line, "the job never started"
    pruned = _run(archive, cache, "--prune-cache", "--env-cache-max", "0")
    assert pruned.returncode == 0, pruned.stderr
    assert "pruned 0 environments" in pruned.stderr
    go.touch()
    out, err = job.communicate(timeout=TIMEOUT)
    assert job.returncode == 0, err
    assert "JOB OK 6" in out
    # once the job is over, the same prune removes it
    assert "pruned 1 environments" in _run(archive, cache, "--prune-cache",
                                           "--env-cache-max", "0").stderr


def test_two_first_runs_at_once_build_one_environment(runner_archive: Path, tmp_path: Path
                                                       ) -> None:
    archive = runner_archive
    cache = tmp_path / "envs"
    first, second = _start(archive, cache), _start(archive, cache)
    results = [p.communicate(timeout=TIMEOUT) for p in (first, second)]
    assert first.returncode == second.returncode == 0, results
    assert all("JOB OK 6" in out for out, _ in results)
    assert sum("reusing environment" in err for _, err in results) == 1
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 1
