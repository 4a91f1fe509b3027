"""Destinations: the places that run an archive once the packager has written it.

A destination takes a built archive plus a `JobRequest` and runs it somewhere: here,
through the archive's own runner (`local.py`), or on a Ray cluster (`ray.py`). Each offers
the same small surface, the `Destination` protocol: submit, status, logs, follow, stop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: States a job ends in; Ray's names, which the local destination borrows.
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
STOPPED = "STOPPED"
FINISHED = frozenset({SUCCEEDED, FAILED, STOPPED})
KNOWN_STATES = FINISHED | {"PENDING", "RUNNING"}


@dataclass(frozen=True)
class JobRequest:
    """How to run an archive: the job's arguments and what it may use where it runs."""

    args: tuple[str, ...] = ()
    name: str | None = None
    num_cpus: float | None = None
    num_gpus: float | None = None
    memory: int | None = None  # bytes
    env: tuple[tuple[str, str], ...] = ()
    outputs_to: str | None = None  # the runner's --output-dir, seen from where it runs

    def runner_argv(self, archive: str) -> list[str]:
        """The arguments that make the archive's runner run this request."""
        argv = [archive]
        if self.outputs_to is not None:
            argv += ["--output-dir", self.outputs_to]
        return [*argv, "--", *self.args]


@dataclass(frozen=True)
class Submission:
    job_id: str
    package: str | None = None  # what the destination stored the archive as, if anything
    uploaded: bool = False  # False when the destination already had the archive
    sent: int = 0  # bytes uploaded, every package together
    layers: int = 0  # dependency layers the job uses
    layers_known: int = 0  # of those, how many the destination already had


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    state: str
    message: str = ""
    exit_code: int | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def process_exit_code(self) -> int:
        """What `jobpack submit` exits with: 0 on success, else the job's code or 1."""
        if self.state == SUCCEEDED:
            return 0
        return self.exit_code if self.exit_code else 1


class Destination(Protocol):
    """What a place that runs archives offers (cf. pypa/installer's WheelDestination)."""

    def submit(self, archive: Path, job: JobRequest) -> Submission:
        """Start running `archive`; return at once where the destination allows."""

    def status(self, job_id: str) -> JobStatus: ...

    def logs(self, job_id: str) -> str:
        """Everything the job has written so far."""

    def follow(self, job_id: str) -> Iterator[str]:
        """The job's output as it comes, until it finishes."""

    def stop(self, job_id: str) -> bool:
        """Ask the job to stop; False when it had already finished."""


def parse_env(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    """KEY=VALUE strings as sorted pairs; the last value of a repeated key wins."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ValueError(f"not KEY=VALUE: {pair!r}")
        result[key] = value
    return tuple(sorted(result.items()))
