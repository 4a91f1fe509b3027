"""`jobpack submit/status/logs/stop` as a user runs them, against a fake Ray dashboard."""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import subprocess
import zipfile
from pathlib import Path

import pytest

from jobpack.layout import MANIFEST_NAME, SCHEMA
from tests.functional.test_cli import JOBPACK
from tests.support.fake_ray import FakeRay


def submit_following(archive: Path, address: str, stdin: int) -> subprocess.Popen[str]:
    """`jobpack submit`, following the job, with SIGINT as a user's terminal gives it.

    A process inherits an *ignored* SIGINT (a background job of a non-interactive shell
    starts so, as `.ci/run &` would) but never a handler: with one set here while it
    starts, the child starts with the default, and Python's KeyboardInterrupt."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen([JOBPACK, "submit", str(archive), "--ray", address],
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)


def jobpack(*args: str, stdin: int | None = subprocess.DEVNULL
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run([JOBPACK, *args], capture_output=True, text=True, env=env,
                          stdin=stdin, timeout=120)




@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A zip with a manifest and no dependency layer: the fake cluster never opens it."""
    path = tmp_path / "job.jobpack.zip"
    with zipfile.ZipFile(path, "w") as opened:
        opened.writestr(MANIFEST_NAME, json.dumps({"schema": SCHEMA,
                                                   "target": {"python": "3.11"}}))
    return path


def test_no_wait_prints_the_id_and_a_resubmission_uploads_nothing(
        fake: FakeRay, archive: Path) -> None:
    first = jobpack("submit", str(archive), "--ray", fake.address, "--no-wait")
    second = jobpack("submit", str(archive), "--ray", fake.address, "--no-wait")
    assert (first.returncode, first.stdout) == (0, "raysubmit_1\n")
    assert "uploaded gcs://_ray_pkg_" in first.stderr
    assert "cluster already has gcs://_ray_pkg_" in second.stderr
    assert len([r for r in fake.requests if r[0] == "PUT"]) == 1


def test_submit_streams_logs_and_exits_with_the_jobs_code(fake: FakeRay, archive: Path
                                                         ) -> None:
    fake.script = [("RUNNING", "line one\n"), ("FAILED", "line one\nline two\n")]
    fake.exit_code = 3
    result = jobpack("submit", str(archive), "--ray", fake.address, "--num-cpus", "2",
                     "--memory", "1G", "--env", "K=V", "--", "--flag", "x y")
    assert result.returncode == 3
    assert result.stdout == "line one\nline two\n"
    assert result.stderr.splitlines()[-1] == "raysubmit_1 FAILED (exit code 3): job is failed"
    assert fake.submitted[0]["entrypoint"] == "python3 job.jobpack.zip -- --flag 'x y'"
    assert fake.submitted[0]["entrypoint_memory"] == 1 << 30


def test_a_succeeded_job_exits_0_without_a_status_line(fake: FakeRay, archive: Path) -> None:
    fake.script = [("SUCCEEDED", "done\n")]
    result = jobpack("submit", str(archive), "--ray", fake.address)
    assert (result.returncode, result.stdout) == (0, "done\n")
    assert "SUCCEEDED" not in result.stderr


def test_ctrl_c_without_a_terminal_detaches_and_leaves_the_job_running(
        fake: FakeRay, archive: Path) -> None:
    fake.script = [("RUNNING", "working\n")]
    process = submit_following(archive, fake.address, subprocess.DEVNULL)
    assert process.stdout is not None
    assert process.stdout.readline() == "working\n"  # it is following the job now
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "detached; raysubmit_1 keeps running" in err
    assert fake.stopped == []
    assert "Traceback" not in err


def test_ctrl_c_at_a_terminal_asks_and_stop_stops_the_job(fake: FakeRay, archive: Path
                                                          ) -> None:
    fake.script = [("RUNNING", "working\n")]
    controller, terminal = pty.openpty()
    process = submit_following(archive, fake.address, terminal)
    os.close(terminal)
    assert process.stdout is not None
    assert process.stdout.readline() == "working\n"
    process.send_signal(signal.SIGINT)
    os.write(controller, b"stop\n")
    _out, err = process.communicate(timeout=60)
    os.close(controller)
    assert fake.stopped == ["raysubmit_1"]
    assert process.returncode == 1
    assert err.splitlines()[-1] == "raysubmit_1 STOPPED: job is stopped"


def test_status_logs_and_stop(fake: FakeRay) -> None:
    fake.script = [("RUNNING", "partial\n")]
    status = jobpack("status", "raysubmit_1", "--ray", fake.address)
    logs = jobpack("logs", "raysubmit_1", "--ray", fake.address)
    stop = jobpack("stop", "raysubmit_1", "--ray", fake.address)
    assert status.stdout == "raysubmit_1 RUNNING: job is running\n"
    assert logs.stdout == "partial\n"
    assert stop.stdout == "raysubmit_1: stop requested\n"
    assert fake.stopped == ["raysubmit_1"]


def test_an_unknown_job_is_one_line_and_exit_1(fake: FakeRay) -> None:
    result = jobpack("logs", "nope", "--ray", fake.address, "--follow")
    assert result.returncode == 1
    assert result.stderr == (f"error: {fake.address}: GET /api/jobs/nope answered 404: "
                             "Job nope does not exist\n")


def test_an_unreachable_cluster_is_one_line_and_exit_1(archive: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = jobpack("submit", str(archive), "--ray", address)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {address}: cannot reach it (")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--memory", "lots"], "not a size"),
    (["--env", "NOVALUE"], "not KEY=VALUE"),
    (["--config", "config.yaml"], "either ARCHIVE or --config"),
])
def test_bad_options_are_usage_errors(archive: Path, args: list[str], message: str) -> None:
    result = jobpack("submit", str(archive), "--ray", "http://127.0.0.1:9", *args)
    assert result.returncode == 2
    assert message in result.stderr
