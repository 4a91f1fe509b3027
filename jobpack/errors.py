"""The one error hierarchy of jobpack.

Every error a user can cause is a `JobpackError`. Each carries what it is about (a file,
a key path in a config, a line) and renders itself as one line; the CLI prints that line
and exits non-zero at exactly one place (`jobpack.cli.app.main`).
"""

from __future__ import annotations

from jobpack.layout import EXIT_FAILURE


class JobpackError(Exception):
    """Base of every error jobpack reports to a user."""

    exit_code = EXIT_FAILURE  # one table for jobpack and the runner: jobpack.layout

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.key = key

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
        if self.key is not None:
            where = f"{where}: {self.key}" if where else self.key
        return f"{where}: {self.message}" if where else self.message


class ManifestError(JobpackError):
    """A manifest (jobpack.json) is unreadable or of an unknown schema."""


class TargetError(JobpackError):
    """The target Python is malformed or not supported."""


class QueryError(JobpackError):
    """A question about the analysis names nothing the job has (`jobpack why NAME`)."""


class ConfigError(JobpackError):
    """The job config (config.yaml) is invalid."""


class RequirementsFileError(JobpackError):
    """A requirements file cannot be used."""



class EntryPointError(JobpackError):
    """An entry point does not exist or cannot be determined."""


class EnvironmentInspectionError(JobpackError):
    """The analysed interpreter or its distributions cannot be read."""


class DistributionError(JobpackError):
    """An installed distribution cannot be pinned."""


class BuildError(JobpackError):
    """The archive cannot be built."""


class MissingWheelsError(BuildError):
    """Some pinned distributions have no wheel for the target."""


class OfflineInstallError(BuildError):
    """The bundled wheels do not install offline to exactly the pins."""


class WheelDownloadError(BuildError):
    """pip could not download the target's wheels; carries pip's own message."""


class ArchiveError(JobpackError):
    """An archive is unreadable or does not match its manifest."""



class FormatError(JobpackError):
    """The analysis cannot be written in the requested format (a range in a lock file)."""


class ScriptMetadataError(JobpackError):
    """An entry script's PEP 723 `# /// script` block is malformed."""


class NotebookFormatError(JobpackError):
    """A notebook entry point is not an nbformat 4 notebook (not JSON, no cells...)."""


class OutputPathError(BuildError):
    """The archive cannot be written where it was asked to go without losing something."""


class DestinationError(JobpackError):
    """A place that runs archives (a Ray cluster) cannot be used for a request."""


class DestinationUnreachable(DestinationError):
    """Nothing answers at the destination's address."""


class DestinationTimeout(DestinationError):
    """The destination did not answer in time."""


class DestinationRequestError(DestinationError):
    """The destination answered a request with an error status (4xx/5xx) or nonsense."""

    def __init__(self, message: str, *, path: str | None = None, status: int | None = None
                 ) -> None:
        super().__init__(message, path=path)
        self.status = status


class JobNotFound(DestinationRequestError):
    """The destination knows no job by that id."""


class PackageTooLarge(DestinationError):
    """An archive is over what the destination accepts in one upload."""


class SpecialFileError(JobpackError):
    """A file jobpack must read is a FIFO, socket or device (reading it could hang)."""


class IgnoreError(JobpackError):
    """`--ignore CODE` names an unknown diagnostic code, or an error's."""
