"""Run archives on a Ray cluster through the Ray Jobs REST API of its dashboard.

Spoken with the standard library (`http.py`), so submitting needs no `ray` installed here.
The protocol, as Ray's own job SDK and dashboard speak it:

- `GET /api/version`: a Ray dashboard answers `{"ray_version": ...}`.
- `GET|PUT /api/packages/gcs/{name}`: whether a package is stored; store one (a zip).
- `POST /api/jobs/`: submit `{"entrypoint", "runtime_env", "metadata", "entrypoint_*"}`.
- `GET /api/jobs/{id}`, `GET /api/jobs/{id}/logs`, `POST /api/jobs/{id}/stop`.

An archive travels as packages named by sha256, each uploaded only when the cluster does
not have it yet: its zip (runner, manifest, the job's files: what a code change changes)
as the `working_dir` package, a zip of a folder's contents holding it as `job.jobpack.zip`;
each dependency layer as a `py_modules` package holding `jobpack-layer-SHA256.zip` (one
over the dashboard's 100 MiB as several, each holding one part of it, which the runner
joins and checks against the layer's sha256). Ray
unpacks those into folders it puts on the job's PYTHONPATH, where the entrypoint tells
the runner to look for the layers. A code-only change re-sends kilobytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jobpack.destinations import KNOWN_STATES, JobRequest, JobStatus, Submission
from jobpack.destinations.http import HttpClient
from jobpack.errors import ArchiveError, BuildError, DestinationRequestError, PackageTooLarge
from jobpack.layout import (
    LAYER_PART,
    MANIFEST_NAME,
    ZIP_EPOCH_DATE,
    LayerRecord,
    RunSpec,
    hash_stream,
    inline_layers,
    zip_start,
)
from jobpack.packager.archive import Member, write_members

#: Ray's dashboard refuses request bodies over this (`DASHBOARD_CLIENT_MAX_SIZE`).
UPLOAD_LIMIT = 100 * 1024 * 1024
MEMBER = "job.jobpack.zip"
_UPLOAD_TIMEOUT = 600.0
_WRAPPER_BYTES = 1024  # a one-member stored zip adds about 100 bytes of headers


@dataclass(frozen=True)
class Package:
    """Bytes of an archive (its zip, or one of its layers) wrapped as a Ray package: a
    stored zip of one member, named by the sha256 of what it wraps. Only its place in
    the archive is held: `data` reads and wraps it when asked (an upload), so submitting
    holds one package in memory at a time, whatever the layers weigh together."""

    name: str  # e.g. _ray_pkg_<sha256>.zip
    source: Path
    member: str
    start: int
    size: int
    sha256: str  # of the wrapped bytes (the member's)

    @property
    def uri(self) -> str:
        return f"gcs://{self.name}"

    @property
    def data(self) -> bytes:
        """The package's bytes: the wrapper zip, read from the archive now."""
        buffer = io.BytesIO()
        try:  # hashed again while copied: a package holds what its name says, or none
            write_members(buffer, [Member(self.member, self.sha256, self.size,
                                          source=self.source, offset=self.start,
                                          window=True)], ZIP_EPOCH_DATE)
        except OSError as exc:
            raise ArchiveError(f"cannot read it ({exc.strerror or exc})",
                               path=str(self.source)) from None
        except BuildError:
            raise ArchiveError(
                f"changed while it was being submitted: {self.member} is no longer the "
                f"bytes of sha256 {self.sha256[:12]}..., so it was not uploaded; submit "
                "it again once nothing writes to it", path=str(self.source)) from None
        return buffer.getvalue()

    @classmethod
    def wrap(cls, archive: Path, limit: int = UPLOAD_LIMIT, member: str = MEMBER,
             start: int = 0, size: int | None = None, sha256: str | None = None) -> Package:
        """`size` bytes of `archive` from `start` (default: all of it) as the package's
        one member; refused before reading when the package would be over `limit`."""
        try:
            size = archive.stat().st_size - start if size is None else size
            _check_limit(archive, size, limit)
            if sha256 is None:
                with archive.open("rb") as stream:
                    stream.seek(start)
                    sha256, _ = hash_stream(_Window(stream, size))  # type: ignore[arg-type]
        except OSError as exc:
            raise ArchiveError(f"cannot read it ({exc.strerror or exc})", path=str(archive)
                               ) from None
        return cls(f"_ray_pkg_{sha256}.zip", archive, member, start, size, sha256)


class _Window:
    """The next `left` bytes of a stream."""

    def __init__(self, stream: Any, left: int) -> None:
        self.stream, self.left = stream, left

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(data)
        return data


def _check_limit(archive: Path, size: int, limit: int) -> None:
    if size > limit - _WRAPPER_BYTES:
        raise PackageTooLarge(
            f"a {size / 1e6:.1f} MB package is over the {limit / 1e6:.1f} MB a Ray "
            "dashboard accepts in one upload; build it without --wheels (the cluster then "
            "installs the requirements from the package index), and read large data from "
            "shared storage instead of shipping it as an input", path=str(archive))


def packages(archive: Path, limit: int = UPLOAD_LIMIT) -> tuple[Package, list[Package]]:
    """The archive's zip as the working_dir package, and one package per dependency
    layer; every size checked against `limit` before anything is read whole."""
    try:
        with zipfile.ZipFile(archive) as opened:
            layers = RunSpec.from_dict(json.loads(opened.read(MANIFEST_NAME))).layers
        start = zip_start(archive)
    except OSError as exc:
        raise ArchiveError(f"cannot read it ({exc.strerror or exc})", path=str(archive)
                           ) from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ArchiveError(f"not a jobpack archive ({exc})", path=str(archive)) from None
    offsets = inline_layers(layers, start)
    if offsets is None or len(offsets) != len(layers):
        raise ArchiveError("does not carry its dependency layers", path=str(archive))
    head = Package.wrap(archive, limit, start=start)
    return head, [package for layer in layers
                  for package in _layer_packages(archive, layer, offsets[layer.sha256], limit)]


def _layer_packages(archive: Path, layer: LayerRecord, start: int, limit: int
                    ) -> list[Package]:
    """One package for a layer that fits in `limit`; else its parts (`LAYER_PART`), each
    a package named by the sha256 of its own bytes: the same layer and limit give the
    same parts, so a resubmit finds them all on the cluster, and two parts that happen to
    hold the same bytes (zeros) are still two packages."""
    step = limit - _WRAPPER_BYTES
    if layer.size <= step:
        return [Package.wrap(archive, limit, layer.file_name, start, layer.size, layer.sha256)]
    count = -(-layer.size // step)
    found = []
    for index in range(count):
        size = min(step, layer.size - index * step)
        name = LAYER_PART.format(sha256=layer.sha256, index=index + 1, count=count)
        part = Package.wrap(archive, limit, name, start + index * step, size)
        digest = hashlib.sha256(part.data).hexdigest()  # one part in memory, then let go
        found.append(replace(part, name=f"_ray_pkg_{digest}.zip"))
    return found


def entrypoint(job: JobRequest, layers: bool = False) -> str:
    """The shell command Ray runs in the package's folder: the archive's own runner,
    told to find the dependency layers where Ray unpacked them (on PYTHONPATH)."""
    argv = job.runner_argv(MEMBER)
    if not layers:
        return shlex.join(["python3", *argv])
    return " ".join(["python3", shlex.quote(argv[0]), '--layers "${PYTHONPATH:-}"',
                     shlex.join(argv[1:])])


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

    def upload_all(self, head: Package, layers: list[Package]) -> tuple[bool, int, int]:
        """Store what the cluster lacks, one package in memory at a time: whether the head
        package was uploaded, how many bytes were sent, and how many layer packages the
        cluster already had."""
        sent, known = 0, 0
        for layer in layers:
            count = self.upload(layer)
            sent += count
            known += count == 0
        count = self.upload(head)
        return count > 0, sent + count, known

    def upload(self, package: Package) -> int:
        """Store the package unless the cluster has it; the bytes sent (0: it had it)."""
        if self.has_package(package):
            return 0
        data = package.data
        answer = self.http.request("PUT", f"/api/packages/gcs/{package.name}",
                                   data=data, accept=(413,), timeout=_UPLOAD_TIMEOUT)
        if answer.status == 413:
            raise PackageTooLarge(
                f"the cluster refused the {len(data) / 1e6:.1f} MB upload as too "
                "large; build the archive without --wheels", path=self.address)
        return len(data)

    def submit(self, archive: Path, job: JobRequest) -> Submission:
        package, layers = packages(archive, self.upload_limit)
        self.ray_version()
        uploaded, sent, known = self.upload_all(package, layers)
        answer = self.http.request("POST", "/api/jobs/",
                                   payload=submit_payload(package, job, layers))
        body = answer.json(self.address)
        job_id = (body.get("submission_id") or body.get("job_id")) if isinstance(body, dict) \
            else None
        if not job_id:
            raise DestinationRequestError("the job submission answer has no id",
                                          path=self.address)
        return Submission(str(job_id), package.uri, uploaded, sent, len(layers), known)

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


def submit_payload(package: Package, job: JobRequest, layers: Sequence[Package] = ()
                   ) -> dict[str, Any]:
    """The body of `POST /api/jobs/` (Ray's JobSubmitRequest)."""
    runtime_env: dict[str, Any] = {"working_dir": package.uri}
    if layers:
        runtime_env["py_modules"] = [layer.uri for layer in layers]
    if job.env:
        runtime_env["env_vars"] = dict(job.env)
    payload: dict[str, Any] = {"entrypoint": entrypoint(job, bool(layers)),
                               "runtime_env": runtime_env}
    if job.name:
        payload["metadata"] = {"job_name": job.name}
    for key, value in (("entrypoint_num_cpus", job.num_cpus),
                       ("entrypoint_num_gpus", job.num_gpus),
                       ("entrypoint_memory", job.memory)):
        if value is not None:
            payload[key] = value
    return payload
