"""A real Ray head node on 127.0.0.1 for the session, from a cached venv with ray[default].

The venv lives outside the repo (<test cache>/ray-<hash>, see tests.support.cache) and is
built once, under a lock, by whichever test run gets there first. The head node runs in a session of its
own (`start_new_session`), so teardown ends exactly its processes, by id, also when a test
failed; `ray stop` would end every Ray on the machine. Where Ray cannot be installed or
started the tests skip with the reason, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cache import cached_folder

RAY_REQUIREMENT = "ray[default]==2.60.0"  # a release with wheels for CPython 3.9-3.13


@dataclass(frozen=True)
class RayHead:
    address: str  # the dashboard: what `jobpack submit --ray` takes
    python: Path  # the head node's interpreter (python3 on the jobs' PATH)


def unavailable(reason: str) -> None:
    """Skip with the reason; on CI a missing Ray is a failure, not a skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"Ray is required on CI: {reason}")
    pytest.skip(reason)


def ray_venv() -> Path:
    """The cached venv with ray[default], built once (in place: a venv's scripts name its
    absolute path; published by its completion marker, see `tests.support.cache`)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    key = hashlib.sha256(f"{RAY_REQUIREMENT} {version}".encode()).hexdigest()[:12]
    return cached_folder(f"ray-{key}", _install, in_place=True,
                         finished_by_older=".complete")


def _install(folder: Path) -> None:
    venv.EnvBuilder(with_pip=True).create(folder)
    env = {k: v for k, v in os.environ.items() if k != "PIP_CONFIG_FILE"}
    result = subprocess.run(
        [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", RAY_REQUIREMENT],
        capture_output=True, text=True, env=env, timeout=1800, check=False)
    if result.returncode != 0:  # the half-built venv is removed by the cache helper
        lines = result.stderr.strip().splitlines() or ["(no output)"]
        unavailable(f"cannot install {RAY_REQUIREMENT}: {lines[-1]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_command(ray: Path, temp: Path, dashboard_port: int) -> list[str]:
    ports = {f"--{name}": str(free_port()) for name in (
        "port", "ray-client-server-port", "dashboard-agent-listen-port",
        "dashboard-agent-grpc-port", "runtime-env-agent-port", "metrics-export-port",
        "node-manager-port", "object-manager-port")}
    return [str(ray), "start", "--head", "--num-cpus", "2", "--node-ip-address", "127.0.0.1",
            "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dashboard_port),
            "--include-dashboard", "true", "--object-store-memory", str(100 * 2**20),
            "--min-worker-port", "0", "--max-worker-port", "0",
            "--temp-dir", str(temp), "--disable-usage-stats",
            *[item for pair in ports.items() for item in pair]]


@pytest.fixture(scope="session")
def ray_head() -> Iterator[RayHead]:
    folder = ray_venv()
    # Ray puts unix sockets under --temp-dir; their paths must stay short (< 108 bytes).
    temp = Path(tempfile.mkdtemp(prefix="jpray-", dir="/tmp"))
    port = free_port()
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0",
               PATH=f"{folder / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    log = temp / "ray-start.log"
    with log.open("w") as output:  # a file, not a pipe: the daemons may keep it open
        start = subprocess.Popen(_start_command(folder / "bin" / "ray", temp, port), env=env,
                                 stdout=output, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    # start_new_session makes `ray start` a session leader: every daemon it leaves behind
    # (gcs_server, raylet, dashboard, workers) carries its pid as their session id.
    head = RayHead(f"http://127.0.0.1:{port}", folder / "bin" / "python")
    try:
        if start.wait(timeout=300) != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            unavailable(f"`ray start --head` failed: {' | '.join(tail)}")
        _wait_for_dashboard(head.address)
        yield head
    finally:
        _stop_jobs(head.address)
        _end_session(start.pid)
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_dashboard(address: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{address}/api/version", timeout=5) as answer:
                json.load(answer)
                return
        except (OSError, ValueError) as exc:
            if time.monotonic() > deadline:
                unavailable(f"the Ray dashboard at {address} did not answer: {exc}")
            time.sleep(1)


def _stop_jobs(address: str) -> None:
    """Stop jobs still running (their entrypoints run in sessions of their own) and give
    Ray a little time to end them before its own processes go."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        running = [job["submission_id"] for job in _jobs(address)
                   if job.get("status") in {"PENDING", "RUNNING"} and job.get("submission_id")]
        if not running:
            return
        for job_id in running:
            request = urllib.request.Request(f"{address}/api/jobs/{job_id}/stop",
                                             method="POST")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=10).close()
        time.sleep(1)


def _jobs(address: str) -> list[dict[str, str]]:
    try:
        with urllib.request.urlopen(f"{address}/api/jobs/", timeout=10) as answer:
            jobs = json.load(answer)
    except (OSError, ValueError):
        return []
    return jobs if isinstance(jobs, list) else []


def session_members(session: int) -> list[int]:
    """Live processes (not zombies) whose session id is `session`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _end_session(session: int) -> None:
    if not session:
        return
    for signum, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        for pid in session_members(session):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        deadline = time.monotonic() + wait
        while session_members(session) and time.monotonic() < deadline:
            time.sleep(0.2)
    left = session_members(session)
    assert not left, f"Ray processes left running: {left}"
