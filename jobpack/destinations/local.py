"""Run an archive here, through its own runner, as the VM would.

The job runs to completion inside `submit` (its output goes straight to this terminal), so
`status` only reports how it ended and there is nothing left to follow or stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jobpack.destinations import FAILED, SUCCEEDED, JobRequest, JobStatus, Submission
from jobpack.errors import JobNotFound


class LocalDestination:
    """This machine. Resources and environment come from the current process."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def run(self, archive: Path, job: JobRequest) -> int:
        """Run the archive's runner in this process; return the job's exit code."""
        from jobpack.runner.main import main as run_archive

        return run_archive(job.runner_argv(str(archive)))

    def submit(self, archive: Path, job: JobRequest) -> Submission:
        job_id = f"local-{len(self._codes) + 1}"
        self._codes[job_id] = self.run(archive, job)
        return Submission(job_id)

    def status(self, job_id: str) -> JobStatus:
        if job_id not in self._codes:
            raise JobNotFound(f"no local job {job_id}")
        code = self._codes[job_id]
        return JobStatus(job_id, SUCCEEDED if code == 0 else FAILED, exit_code=code)

    def logs(self, job_id: str) -> str:
        self.status(job_id)
        return ""

    def follow(self, job_id: str) -> Iterator[str]:
        self.status(job_id)
        return iter(())

    def stop(self, job_id: str) -> bool:
        self.status(job_id)
        return False
