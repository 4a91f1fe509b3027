"""Run archives on a Ray cluster through the Ray Jobs REST API of its dashboard.

Spoken with the standard library (`http.py`), so submitting needs no `ray` installed here.
The protocol, as Ray's own job SDK and dashboard speak it:

- `GET /api/version`: a Ray dashboard answers `{"ray_version": ...}`.
- `GET|PUT /api/packages/gcs/{name}`: whether a package is stored; store one (a zip).
- `POST /api/jobs/`: submit `{"entrypoint", "runtime_env", "metadata", "entrypoint_*"}`.
- `GET /api/jobs/{id}`, `GET /api/jobs/{id}/logs`, `POST /api/jobs/{id}/stop`.

The archive travels as a `working_dir` package: a zip of a folder's contents, so the archive
is wrapped in a one-member zip (`job.jobpack.zip`, deterministic bytes). The package is named
by the archive's sha256, so submitting the same archive twice uploads it once.
"""

from __future__ import annotations

import hashlib
import io
import shlex
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobpack.destinations import KNOWN_STATES, JobRequest, JobStatus, Submission
from jobpack.destinations.http import HttpClient
from jobpack.errors import ArchiveError, DestinationRequestError, PackageTooLarge

#: Ray's dashboard refuses request bodies over this (`DASHBOARD_CLIENT_MAX_SIZE`).
UPLOAD_LIMIT = 100 * 1024 * 1024
MEMBER = "job.jobpack.zip"
_UPLOAD_TIMEOUT = 600.0
_EPOCH = (1980, 1, 1, 0, 0, 0)
_WRAPPER_BYTES = 1024  # a one-member stored zip adds about 100 bytes of headers


@dataclass(frozen=True)
class Package:
    """An archive wrapped as a Ray working_dir package."""

    name: str  # e.g. _ray_pkg_<archive sha256>.zip
    data: bytes

    @property
    def uri(self) -> str:
        return f"gcs://{self.name}"

    @classmethod
    def wrap(cls, archive: Path, limit: int = UPLOAD_LIMIT) -> Package:
        content = _read_within(archive, limit)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as wrapper:
            info = zipfile.ZipInfo(MEMBER, date_time=_EPOCH)
            info.create_system = 3  # unix, so the mode below is read
            info.external_attr = 0o100644 << 16
            wrapper.writestr(info, content)
        digest = hashlib.sha256(content).hexdigest()
        return cls(f"_ray_pkg_{digest}.zip", buffer.getvalue())


def _read_within(archive: Path, limit: int) -> bytes:
    """The archive's bytes, refused before reading when the package would be over `limit`."""
    try:
        size = archive.stat().st_size
        if size > limit - _WRAPPER_BYTES:
            raise PackageTooLarge(
                f"{size / 1e6:.1f} MB is over the {limit / 1e6:.1f} MB a Ray dashboard "
                "accepts in one upload; build it without --wheels (the cluster then installs "
                "the requirements from the package index), and read large data from shared "
                "storage instead of shipping it as an input", path=str(archive))
        return archive.read_bytes()
    except OSError as exc:
        raise ArchiveError(f"cannot read it ({exc.strerror or exc})", path=str(archive)
                           ) from None


def entrypoint(job: JobRequest) -> str:
    """The shell command Ray runs in the package's folder: the archive's own runner."""
    return shlex.join(["python3", *job.runner_argv(MEMBER)])


_MAX_POLL = 10.0  # seconds between polls of a job that prints nothing
_STRANGE_ANSWERS = 5  # status answers in a row without a known state before giving up


class RayCluster:
    """A Ray cluster, addressed by its dashboard (`http://HOST:8265`)."""

    def __init__(self, address: str, *, timeout: float = 30.0, poll_seconds: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep,
                 upload_limit: int = UPLOAD_LIMIT) -> None:
        self.http = HttpClient.for_address(address, timeout)
        self.upload_limit = upload_limit
        self._poll = poll_seconds
        self._sleep = sleep

    @property
    def address(self) -> str:
        return self.http.address

    def ray_version(self) -> str:
        """Check that a Ray dashboard answers at the address; return its Ray version."""
        answer = self.http.request("GET", "/api/version").json(self.address)
        if not isinstance(answer, dict) or "ray_version" not in answer:
            raise DestinationRequestError(
                "the answer to /api/version is not a Ray dashboard's", path=self.address)
        return str(answer["ray_version"])

    def has_package(self, package: Package) -> bool:
        answer = self.http.request("GET", f"/api/packages/gcs/{package.name}", accept=(404,))
        return answer.status == 200

    def upload(self, package: Package) -> bool:
        """Store the package unless the cluster has it; True when it was uploaded."""
        if self.has_package(package):
            return False
        answer = self.http.request("PUT", f"/api/packages/gcs/{package.name}",
                                   data=package.data, accept=(413,), timeout=_UPLOAD_TIMEOUT)
        if answer.status == 413:
            raise PackageTooLarge(
                f"the cluster refused the {len(package.data) / 1e6:.1f} MB upload as too "
                "large; build the archive without --wheels", path=self.address)
        return True

    def submit(self, archive: Path, job: JobRequest) -> Submission:
        package = Package.wrap(archive, self.upload_limit)
        self.ray_version()
        uploaded = self.upload(package)
        answer = self.http.request("POST", "/api/jobs/", payload=submit_payload(package, job))
        body = answer.json(self.address)
        job_id = (body.get("submission_id") or body.get("job_id")) if isinstance(body, dict) \
            else None
        if not job_id:
            raise DestinationRequestError("the job submission answer has no id",
                                          path=self.address)
        return Submission(str(job_id), package.uri, uploaded)

    def status(self, job_id: str) -> JobStatus:
        body = self._json("GET", f"/api/jobs/{job_id}")
        code = body.get("driver_exit_code")
        return JobStatus(job_id, str(body.get("status", "UNKNOWN")),
                         str(body.get("message") or ""),
                         code if isinstance(code, int) else None)

    def logs(self, job_id: str) -> str:
        return str(self._json("GET", f"/api/jobs/{job_id}/logs").get("logs") or "")

    def follow(self, job_id: str, on_state: Callable[[JobStatus], None] | None = None
               ) -> Iterator[str]:
        """New log text every poll until the job has finished (status first, so the
        logs read after a finished status are complete); `on_state` hears each change
        of state, e.g. a job PENDING while it waits for resources."""
        shown, state, wait, strange = 0, "", self._poll, 0
        while True:
            status = self.status(job_id)
            strange = 0 if status.state in KNOWN_STATES else strange + 1
            if strange >= _STRANGE_ANSWERS:  # would poll for ever: say so instead
                raise DestinationRequestError(
                    f"GET /api/jobs/{job_id}: {strange} answers in a row without a known "
                    f"status (last: {status.state!r})", path=self.address)
            if on_state is not None and status.state != state:
                on_state(status)
            state = status.state
            text = self.logs(job_id)
            if len(text) > shown:
                yield text[shown:]
                shown = len(text)
                wait = self._poll  # the job talks: listen closely again
            if status.finished:
                return
            self._sleep(wait)
            wait = min(wait * 1.5, max(self._poll, _MAX_POLL))  # a quiet job: back off

    def stop(self, job_id: str) -> bool:
        return bool(self._json("POST", f"/api/jobs/{job_id}/stop").get("stopped"))

    def _json(self, method: str, path: str) -> dict[str, Any]:
        body = self.http.request(method, path).json(self.address)
        if not isinstance(body, dict):
            raise DestinationRequestError(f"{method} {path}: the answer is not an object",
                                          path=self.address)
        return body


def submit_payload(package: Package, job: JobRequest) -> dict[str, Any]:
    """The body of `POST /api/jobs/` (Ray's JobSubmitRequest)."""
    runtime_env: dict[str, Any] = {"working_dir": package.uri}
    if job.env:
        runtime_env["env_vars"] = dict(job.env)
    payload: dict[str, Any] = {"entrypoint": entrypoint(job), "runtime_env": runtime_env}
    if job.name:
        payload["metadata"] = {"job_name": job.name}
    for key, value in (("entrypoint_num_cpus", job.num_cpus),
                       ("entrypoint_num_gpus", job.num_gpus),
                       ("entrypoint_memory", job.memory)):
        if value is not None:
            payload[key] = value
    return payload
