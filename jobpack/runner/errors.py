"""The runner's refusals: each one line, each with the exit code the CLI uses for it."""

from __future__ import annotations

from jobpack.layout import EXIT_FAILURE, EXIT_INTERRUPTED


class RunnerError(Exception):
    """A refusal or failure the runner reports as one line (never a traceback)."""

    exit_code = EXIT_FAILURE


class UnsafeMember(RunnerError):
    """An archive member that could write outside its folder, or does not match the
    manifest."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"refusing archive member {name!r}: {why}")
        self.name = name


class Interrupted(RunnerError):
    """SIGINT or SIGTERM arrived before the job started; temp folders are cleaned up."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}; nothing half-built was kept")
        self.signum = signum
