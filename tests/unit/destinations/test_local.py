"""The local destination runs a real archive through its runner, here."""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path

import pytest

from jobpack.destinations import Destination, JobRequest
from jobpack.destinations.local import LocalDestination
from jobpack.destinations.ray import RayCluster
from jobpack.errors import JobNotFound
from tests.conftest import FIXTURES
from tests.functional.test_cli import JOBPACK


def test_both_destinations_offer_the_protocol_with_its_parameters() -> None:
    wanted = {name: list(inspect.signature(member).parameters)
              for name, member in vars(Destination).items()
              if inspect.isfunction(member) and not name.startswith("_")}
    assert set(wanted) == {"submit", "status", "logs", "follow", "stop"}
    for kind in (LocalDestination, RayCluster):
        offered = {name: list(inspect.signature(getattr(kind, name)).parameters)[:len(params)]
                   for name, params in wanted.items()}
        assert offered == wanted, kind


def test_a_local_job_runs_to_completion_and_reports_its_exit_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    subprocess.run([JOBPACK, "build", "main.py", "-o", str(tmp_path / "exit3.jobpack.zip")],
                   cwd=FIXTURES / "jobs" / "exit3", check=True, capture_output=True)
    local = LocalDestination()
    submission = local.submit(tmp_path / "exit3.jobpack.zip",
                              JobRequest(outputs_to=str(tmp_path / "out")))
    status = local.status(submission.job_id)
    assert (status.state, status.exit_code, status.process_exit_code()) == ("FAILED", 3, 3)
    assert local.stop(submission.job_id) is False
    assert list(local.follow(submission.job_id)) == []
    with pytest.raises(JobNotFound):
        local.status("local-99")
