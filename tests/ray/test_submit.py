"""`jobpack submit` against a real Ray head node, as a user runs it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.functional.test_cli import JOBPACK
from tests.ray.conftest import RayHead

pytestmark = pytest.mark.slow


def jobpack(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run([JOBPACK, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=600)


def build(tmp_path: Path, *args: str, cwd: Path | None = None) -> Path:
    result = jobpack("build", *args, "-o", str(tmp_path), cwd=cwd)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.split()[0])


@pytest.fixture
def env_cache(tmp_path: Path) -> str:
    """Keep the jobs' venvs out of the user's ~/.cache."""
    return f"XDG_CACHE_HOME={tmp_path / 'xdg'}"


def test_the_example_job_runs_on_ray_and_its_outputs_reach_outputs_to(
        ray_head: RayHead, tmp_path: Path, env_cache: str) -> None:
    archive = build(tmp_path, "--config", str(FIXTURES / "example" / "config.yaml"))
    outputs = tmp_path / "shared" / "out"
    result = jobpack("submit", str(archive), "--ray", ray_head.address, "--name", "example",
                     "--num-cpus", "1", "--memory", "100M", "--env", env_cache,
                     "--outputs-to", str(outputs))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "sum = 7.0" in result.stdout
    assert "jobpack: job exited with code 0" in result.stdout
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert f"gcs://_ray_pkg_{digest}.zip" in result.stderr
    collected = list(outputs.glob("*/result.json"))  # one new folder per run
    assert len(collected) == 1
    assert json.loads(collected[0].read_text()) == {"sum": 7.0}


def test_submit_config_builds_first_and_the_same_archive_is_not_uploaded_again(
        ray_head: RayHead, tmp_path: Path, env_cache: str) -> None:
    config = str(FIXTURES / "example" / "config.yaml")
    built = jobpack("submit", "--config", config, "--ray", ray_head.address, "--env", env_cache)
    assert built.returncode == 0, built.stderr + built.stdout
    assert "built example.jobpack.zip" in built.stderr
    assert "sum = 7.0" in built.stdout
    archive = build(tmp_path, "--config", config)  # the same bytes: builds are reproducible
    again = jobpack("submit", str(archive), "--ray", ray_head.address, "--no-wait",
                    "--env", env_cache)
    assert again.returncode == 0, again.stderr
    assert "cluster already has gcs://_ray_pkg_" in again.stderr
    job_id = again.stdout.strip()
    assert job_id.startswith("raysubmit_")
    logs = jobpack("logs", job_id, "--ray", ray_head.address, "--follow")
    assert "sum = 7.0" in logs.stdout
    status = jobpack("status", job_id, "--ray", ray_head.address)
    assert status.stdout.startswith(f"{job_id} SUCCEEDED")


def test_a_failing_job_exits_with_its_code_and_one_status_line(
        ray_head: RayHead, tmp_path: Path, env_cache: str) -> None:
    archive = build(tmp_path, "main.py", cwd=FIXTURES / "jobs" / "exit3")
    result = jobpack("submit", str(archive), "--ray", ray_head.address, "--env", env_cache)
    assert result.returncode == 3
    assert "exiting with 3" in result.stdout
    assert " FAILED (exit code 3)" in result.stderr.splitlines()[-1]


def test_a_job_can_be_stopped(ray_head: RayHead, tmp_path: Path, env_cache: str) -> None:
    project = tmp_path / "sleeper"
    project.mkdir()
    (project / "main.py").write_text(
        "import time\nprint('started', flush=True)\ntime.sleep(600)\n")
    archive = build(tmp_path, "main.py", cwd=project)
    job_id = jobpack("submit", str(archive), "--ray", ray_head.address, "--no-wait",
                     "--env", env_cache).stdout.strip()
    _wait_for_log(ray_head, job_id, "started")
    stop = jobpack("stop", job_id, "--ray", ray_head.address)
    assert stop.stdout == f"{job_id}: stop requested\n"
    jobpack("logs", job_id, "--ray", ray_head.address, "--follow")  # returns once it ended
    status = jobpack("status", job_id, "--ray", ray_head.address)
    assert status.stdout.startswith(f"{job_id} STOPPED")


def _wait_for_log(ray_head: RayHead, job_id: str, text: str) -> None:
    for _ in range(300):
        if text in jobpack("logs", job_id, "--ray", ray_head.address).stdout:
            return
        time.sleep(1)
    pytest.fail(f"{job_id} never printed {text!r}")
