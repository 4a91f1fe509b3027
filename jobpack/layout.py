"""The archive's layout, defined once: member names, the manifest's schema, the `files`
and `wheels` records, and the few domain helpers both the packager and the runner need.

Standard library only, Python 3.8+: this module travels inside every archive beside the
runner (as `jobpack/layout.py`), so the side that writes an archive and the side that
reads it share one definition instead of two copies that could drift apart.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

SCHEMA = "jobpack/manifest/1"
MANIFEST_NAME = "jobpack.json"  # the manifest plus `files` and `wheels`; not in `files`
MAIN_NAME = "__main__.py"  # a few lines that import the runner package from the archive
RUNNER_PREFIX = "jobpack/"  # the runner package and this module: jobpack/runner/*.py
SOURCE_PREFIX = "src/"  # the job's files and inputs, at their project-relative paths
WHEEL_PREFIX = "wheels/"  # with --wheels: one wheel per pinned distribution
# with --wheels: bytecode/CACHE_TAG/WHEEL.zip, the .pyc files of the modules a job imports
BYTECODE_PREFIX = "bytecode/"
REQUIREMENTS_NAME = "requirements.txt"
CONSTRAINTS_NAME = "constraints.txt"

# Bump when the runner lays out environments differently: it is part of their cache key.
RUNNER_VERSION = "2"

# `${NAME}` in a config's cmd and paths: one pattern for the config reader and the runner.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Exit codes, the same for `jobpack ...` and `python3 job.zip`. A job's own exit code is
# passed through unchanged, so these only describe refusals before or after the job.
EXIT_OK = 0
EXIT_FAILURE = 1  # an error the user can fix, reported as one line (JobpackError)
EXIT_USAGE = 2  # a malformed command line
EXIT_INTERRUPTED = 130  # SIGINT / SIGTERM before the job started

CHUNK = 1 << 20


class SizeExceeded(ValueError):
    """A stream holds more bytes than it was allowed to."""


def hash_stream(
    stream: IO[bytes], sink: IO[bytes] | None = None, limit: int | None = None
) -> tuple[str, int]:
    """sha256 hex digest and size of a stream, read in chunks; copies into `sink` while
    hashing when given. Raises `SizeExceeded` as soon as more than `limit` bytes come."""
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return digest.hexdigest(), size
        size += len(chunk)
        if limit is not None and size > limit:
            raise SizeExceeded(f"more than {limit} bytes")
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)


def hash_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """sha256 hex digest and size of the file at `path` (a str or os.PathLike)."""
    with Path(path).open("rb") as handle:
        return hash_stream(handle)


def _field(data: Any, key: str, kind: type) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, got {data!r}")
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{key!r} must be a {kind.__name__} in {data!r}")
    return value


@dataclass(frozen=True)
class FileRecord:
    """One member of the archive (every member but the manifest): path, sha256, size."""

    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}

    @classmethod
    def from_dict(cls, data: Any) -> FileRecord:
        """Raises ValueError when a field is missing or of the wrong type."""
        return cls(_field(data, "path", str), _field(data, "sha256", str),
                   _field(data, "size", int))


@dataclass(frozen=True)
class WheelRecord:
    """A bundled wheel: the distribution's name, its member name, its sha256, and the
    member holding the bytecode compiled from it, if any (see `bytecode_member`)."""

    name: str
    file: str  # WHEEL_PREFIX + the wheel's file name
    sha256: str
    bytecode: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {"file": self.file, "name": self.name, "sha256": self.sha256}
        if self.bytecode is not None:
            data["bytecode"] = self.bytecode
        return data

    @classmethod
    def from_dict(cls, data: Any) -> WheelRecord:
        """Raises ValueError when a field is missing or of the wrong type."""
        bytecode = _field(data, "bytecode", str) if "bytecode" in data else None
        return cls(_field(data, "name", str), _field(data, "file", str),
                   _field(data, "sha256", str), bytecode)

    @property
    def filename(self) -> str:
        return self.file.rsplit("/", 1)[-1]


def bytecode_member(cache_tag: str, wheel_filename: str) -> str:
    """The member holding a wheel's compiled modules for one interpreter (`cpython-311`):
    a stored zip of `PACKAGE/__pycache__/MODULE.CACHE_TAG.pyc`, laid out like the wheel."""
    return f"{BYTECODE_PREFIX}{cache_tag}/{wheel_filename}.zip"


def bytecode_tag(member: str) -> str:
    """The interpreter cache tag a `bytecode_member` was compiled for."""
    return member[len(BYTECODE_PREFIX):].split("/", 1)[0]
