"""The job (and pip) never outlive the runner: `kill -9` of `python3 job.zip` while the job
runs leaves no process of the job's group behind, its own children included, and the next
run proceeds. Real processes, found in /proc, killed from outside."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobpack.manifest import LocalFile, Manifest, SourceMap
from jobpack.packager.api import build
from jobpack.target import Target

TIMEOUT = 120
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _stat(pid: str) -> tuple[int, int, str]:
    """(ppid, process group, state) of a process; ValueError when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        raise ValueError(pid) from None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[2]), fields[0]


def _live(where: int, *, parent: bool = False) -> list[int]:
    """Live processes whose group (or, with `parent`, parent) is `where`."""
    found = []
    for pid in (p.name for p in Path("/proc").iterdir() if p.name.isdigit()):
        try:
            ppid, group, state = _stat(pid)
        except ValueError:
            continue
        if (ppid if parent else group) == where and state not in ("Z", "X"):
            found.append(int(pid))
    return found


def _job_group(runner: subprocess.Popen[str]) -> int:
    """The process group the runner started the job in (a child leading its own group)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for pid in _live(runner.pid, parent=True):
            try:
                if _stat(str(pid))[1] == pid:
                    return pid
            except ValueError:
                continue
        time.sleep(0.05)
    raise AssertionError("the runner started no job")


def _gone(group: int, patience: float = 15.0) -> bool:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if not _live(group):
            return True
        time.sleep(0.1)
    return False


def _start(archive: Path, cache: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(archive), "--offline", "--env-cache",
                             str(cache)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **env}, cwd=archive.parent)


def _kill_mid_job(archive: Path, cache: Path, go: Path, env: dict[str, str] | None = None
                  ) -> int:
    if env is None:  # the killed runner's work folder stays in the test's own folder
        (go.parent / "tmp").mkdir(exist_ok=True)
        env = {"TMPDIR": str(go.parent / "tmp")}
    runner = _start(archive, cache, {**env, "JOB_WAIT_FOR": str(go)})
    assert runner.stderr is not None
    while "running:" not in (line := runner.stderr.readline()):
        assert line, "the job never started"
    group = _job_group(runner)
    time.sleep(0.3)  # the job (and, under a shell, its children) are under way
    assert _live(group)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait(timeout=TIMEOUT)
    return group


def _cleanup(group: int) -> None:
    if _live(group):
        os.killpg(group, signal.SIGKILL)


def test_a_job_dies_with_its_killed_runner(runner_archive: Path, tmp_path: Path) -> None:
    cache, go = tmp_path / "envs", tmp_path / "go"
    group = _kill_mid_job(runner_archive, cache, go)
    try:
        assert _gone(group), f"the job outlived its runner: {_live(group)}"
    finally:
        _cleanup(group)
    go.touch()
    again = subprocess.run([sys.executable, str(runner_archive), "--offline", "--env-cache",
                            str(cache)], capture_output=True, text=True, timeout=TIMEOUT,
                           cwd=runner_archive.parent, check=False)
    assert again.returncode == 0, again.stderr
    assert "JOB OK 6" in again.stdout


WAITER = """\
import os, sys, time
print("STAGE", sys.argv[1], flush=True)
while not os.path.exists(os.environ["JOB_WAIT_FOR"]):
    time.sleep(0.05)
"""


def _shell_job(folder: Path) -> Path:
    """An archive whose cmd runs under /bin/sh: the Pythons are the runner's grandchildren."""
    job = folder / "job"
    job.mkdir()
    data = WAITER.encode()
    (job / "main.py").write_bytes(data)
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    manifest = Manifest(
        target=Target.parse(python), entry_points=("main.py",),
        cmd="python main.py one && python main.py two",
        local_files=(LocalFile("main.py", hashlib.sha256(data).hexdigest(), len(data)),))
    return build(manifest, SourceMap.beside(manifest, job), folder / "sh.jobpack.zip").path


def test_the_jobs_own_children_die_with_the_killed_runner(tmp_path: Path) -> None:
    archive = _shell_job(tmp_path)
    group = _kill_mid_job(archive, tmp_path / "envs", tmp_path / "go")
    try:
        assert _gone(group), f"the job's children outlived the runner: {_live(group)}"
    finally:
        _cleanup(group)


def _work_folders(tmp: Path) -> set[str]:
    return {p.name for p in tmp.glob("jobpack-run-*")}


def test_the_next_run_removes_what_a_killed_run_left(runner_archive: Path,
                                                     tmp_path: Path) -> None:
    """The killed runner's work folder outlives it; the next run removes it, and neither
    a running one's folder nor one kept with --keep (`jobpack/runner/workdirs.py`)."""
    tmp, cache = tmp_path / "tmp", tmp_path / "envs"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    kept = subprocess.run([sys.executable, str(runner_archive), "--offline", "--keep",
                           "--env-cache", str(cache)], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=runner_archive.parent, check=False,
                          env={**env, "JOB_WAIT_FOR": str(runner_archive)})
    assert kept.returncode == 0, kept.stderr
    kept_folder = Path(kept.stderr.split("work folder kept: ")[1].split()[0]).name
    group = _kill_mid_job(runner_archive, cache, tmp_path / "go", {"TMPDIR": str(tmp)})
    try:
        assert _gone(group)
    finally:
        _cleanup(group)
    killed = _work_folders(tmp) - {kept_folder}
    assert len(killed) == 1

    # the next run removes it as it starts, and keeps its own while it runs
    running = _start(runner_archive, cache, {"TMPDIR": str(tmp),
                                             "JOB_WAIT_FOR": str(tmp_path / "go2")})
    try:
        assert running.stderr is not None
        said = ""
        while "running:" not in (line := running.stderr.readline()):
            assert line, "the job never started"
            said += line
        assert "removed 1 work folder(s) that killed runs left in " + str(tmp) in said
        live = _work_folders(tmp) - {kept_folder}
        assert len(live) == 1 and live != killed

        # another run meanwhile leaves both the running one's and the kept one
        (tmp_path / "go").touch()
        again = subprocess.run([sys.executable, str(runner_archive), "--offline", "--env-cache",
                                str(cache)], capture_output=True, text=True, timeout=TIMEOUT,
                               cwd=runner_archive.parent, check=False, env=env)
        assert again.returncode == 0, again.stderr
        assert "removed" not in again.stderr
        assert _work_folders(tmp) == {kept_folder} | live
        (tmp_path / "go2").touch()
        _, err = running.communicate(timeout=TIMEOUT)
        assert running.returncode == 0, err
        assert _work_folders(tmp) == {kept_folder}
    finally:  # a failed assertion must not leave a runner waiting for ever
        if running.poll() is None:
            running.kill()
            running.communicate(timeout=TIMEOUT)
