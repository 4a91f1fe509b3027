"""Run an archive here, through its own runner, as the VM would; read and verify one.

This is the one module of jobpack that imports the runner (an import-linter contract):
`jobpack run`, `verify` and `inspect` come through here. The job runs to completion inside
`submit` (its output goes straight to this terminal), so `status` only reports how it
ended and there is nothing left to follow or stop.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from jobpack.destinations import FAILED, SUCCEEDED, JobRequest, JobStatus, Submission
from jobpack.errors import ArchiveError, JobNotFound
from jobpack.layout import EXIT_USAGE, MANIFEST_NAME, LayerRecord, inline_layers, zip_start
from jobpack.manifest import Manifest


@dataclass(frozen=True)
class ArchiveContents:
    """What `jobpack inspect` shows: the manifest and every member (name, size, the
    sha256 the manifest records for it, '' for the manifest itself)."""

    manifest: Manifest
    members: tuple[tuple[str, int, str], ...]
    layers: tuple[tuple[LayerRecord, bool], ...] = ()  # each, and whether it is inside


def read_archive(path: Path) -> ArchiveContents:
    """The archive's manifest, members and dependency layers, read as the runner reads
    them (size limit, schema check); an `ArchiveError` when it is not a readable jobpack
    archive."""
    from jobpack.runner.errors import RunnerError
    from jobpack.runner.verify import read_spec

    try:
        with zipfile.ZipFile(path) as archive:
            spec = read_spec(archive)  # the checks; the manifest itself for the report
            data = json.loads(archive.read(MANIFEST_NAME))
            infos = archive.infolist()
        inline = inline_layers(spec.layers, zip_start(path)) or {}
    except (OSError, zipfile.BadZipFile, RunnerError) as exc:
        raise ArchiveError(f"not a readable jobpack archive: {exc}", path=str(path)) from None
    digests = {f.path: f.sha256 for f in spec.files}
    return ArchiveContents(
        Manifest.from_dict(data),
        tuple((i.filename, i.file_size, digests.get(i.filename, "")) for i in infos),
        tuple((layer, layer.sha256 in inline) for layer in spec.layers))


def verify_archive(path: Path) -> list[str]:
    """Every problem with an archive, digests included, as the runner would find them."""
    from jobpack.runner.verify import verify

    return verify(path)


def unpack_archive(path: Path, into: Path, layers: str | None = None) -> int:
    """Lay the whole archive out under `into` (empty or absent), its dependency layers'
    members included, each checked; the number of files written."""
    from jobpack.runner.errors import RunnerError
    from jobpack.runner.lay_out import lay_out
    from jobpack.runner.layers import search_folders

    archive = path.absolute()
    try:
        return lay_out(archive, into, search_folders(archive, layers))
    except (OSError, zipfile.BadZipFile, RunnerError) as exc:
        raise ArchiveError(f"cannot unpack: {exc}", path=str(path)) from None


class LocalDestination:
    """This machine. Resources and environment come from the current process."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def run(self, archive: Path, job: JobRequest) -> int:
        """Run the archive's runner in this process; return the job's exit code."""
        from jobpack.runner.main import main as run_archive

        return run_archive(job.runner_argv(str(archive)))

    def run_command_line(self, args: Sequence[str]) -> int:
        """Run the runner on a command line as `python3 ARCHIVE ARGS` would parse it (its
        own options and `--help` included); a usage error is `EXIT_USAGE`."""
        from jobpack.runner.main import main as run_archive

        try:
            return run_archive(list(args))
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE

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
