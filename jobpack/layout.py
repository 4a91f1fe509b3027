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
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

SCHEMA = "jobpack/manifest/1"
# the manifest plus `files`, `wheels` and `optional`; not in `files`
MANIFEST_NAME = "jobpack.json"
MAIN_NAME = "__main__.py"  # a few lines that import the runner package from the archive
RUNNER_PREFIX = "jobpack/"  # the runner package and this module: jobpack/runner/*.py
SOURCE_PREFIX = "src/"  # the job's files and inputs, at their project-relative paths
WHEEL_PREFIX = "wheels/"  # with --wheels: one wheel per pinned distribution
# with --wheels: bytecode/CACHE_TAG/WHEEL.zip, the .pyc files of the modules a job imports
BYTECODE_PREFIX = "bytecode/"
REQUIREMENTS_NAME = "requirements.txt"
CONSTRAINTS_NAME = "constraints.txt"

# Bump when the runner lays out environments differently: it is part of their cache key.
RUNNER_VERSION = "3"  # 3: the optional tier's import hook

# `${NAME}` in a config's cmd and paths: one pattern for the config reader and the runner.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# A cmd without any of these runs directly, not under /bin/sh.
_SHELL_SYNTAX = re.compile(r"[;&|<>()`$*?~\n'\"\\]|^\s*[A-Za-z_][A-Za-z0-9_]*=")

# Exit codes, the same for `jobpack ...` and `python3 job.zip`. A job's own exit code is
# passed through unchanged, so these only describe refusals before or after the job.
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


def same_python(target: str, version: Sequence[int]) -> bool:
    """Whether a Python of `version` (`sys.version_info`) is the one a manifest's target
    (`3.11.7`, or `3.11`) names: the same X.Y, since micro versions share bytecode, ABI
    and the standard library. The one answer for the packager and the runner."""
    return target.split(".")[:2] == [str(part) for part in version[:2]]


class CommandError(ValueError):
    """The cmd cannot become an argv: there is none, or a `${NAME}` has no value."""


def variable_lookup(paths: Mapping[str, str], runtime: Collection[str],
                    environ: Mapping[str, str]) -> Callable[[str], str]:
    """A lookup for `${NAME}`: the inputs' and outputs' `paths` first, then, for the
    manifest's `runtime` variables (the service's `DS_PROJECT_HOME`, datasets'), the
    environment. Raises `CommandError` for any other name, or an unset one."""
    def value(name: str) -> str:
        if name in paths:
            return paths[name]
        if name not in runtime:
            raise CommandError(f"cmd uses ${{{name}}}, which no input, output or args "
                               "defines")
        if name not in environ:
            raise CommandError(f"cmd uses ${{{name}}}, which is not set: run with "
                               f"{name}=VALUE in the environment")
        return environ[name]

    return value


def command_argv(cmd: str | None, value: Callable[[str], str], extra: Sequence[str],
                 path: str | None) -> list[str]:
    """The argv that runs `cmd` with `extra` arguments appended: every `${NAME}` one
    argument whatever its value holds. A cmd without shell syntax runs directly (found on
    `path`), so forwarded signals reach the job; one with `&&`, pipes or redirections runs
    under /bin/sh with each value quoted. The runner runs it; `jobpack trace` too."""
    cmd = str(cmd or "")
    if not cmd.strip():
        raise CommandError("the manifest has no cmd to run")
    template = VARIABLE.sub("x", cmd)
    if not _SHELL_SYNTAX.search(template):
        argv = [VARIABLE.sub(lambda m: value(m.group(1)), token) for token in cmd.split()]
        program = shutil.which(argv[0], path=path)
        if program is not None:
            return [program, *argv[1:], *extra]
    command = VARIABLE.sub(lambda m: shlex.quote(value(m.group(1))), cmd)
    return ["/bin/sh", "-c", " ".join([command, *(shlex.quote(a) for a in extra)])]


# -- builds of one version: `2.3.0+cu121` --------------------------------------------------
# Shared by the analyzer (torch on a GPU machine), the packager (where such a wheel is
# served) and the runner (is the image's build the one the archive expects?).
PYTORCH_INDEX = "https://download.pytorch.org/whl"
_LOCAL_LABEL = re.compile(r"\+([A-Za-z0-9.]+)\s*$")


def local_label(version: str) -> str:
    """The local version label (`cu121` of `2.3.0+cu121`), or ''."""
    match = _LOCAL_LABEL.search(version or "")
    return match.group(1) if match else ""


def build_kind(version: str) -> str:
    """The kind of build a local label names, by its leading letters: `cu` (`+cu121`),
    `cpu`, `rocm` (`+rocm6.1`), ...; '' without a label."""
    return re.sub(r"[^a-z].*$", "", local_label(version).lower())


def serving_index(version: str) -> str | None:
    """The PyTorch index that serves a `+cuXXX`, `+cpu` or `+rocmX.Y` build, if any."""
    if build_kind(version) not in {"cu", "cpu", "rocm"}:
        return None
    return f"{PYTORCH_INDEX}/{local_label(version)}"


@dataclass(frozen=True)
class OptionalRecord:
    """A distribution of the optional tier (`optional` in `jobpack.json`): the runner
    installs it only when the job first imports one of its `top_level` modules, from the
    bundled `wheel` member when there is one, else with pip from `line`; the optional
    distributions it `requires` come with it."""

    name: str  # canonical
    version: str
    line: str  # its requirements-file line, for pip
    top_level: tuple[str, ...]
    requires: tuple[str, ...] = ()
    wheel: str | None = None  # WHEEL_PREFIX + file name, when bundled

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name, "requires": list(self.requires),
                "top_level": list(self.top_level), "version": self.version,
                "wheel": self.wheel}

    @classmethod
    def from_dict(cls, data: Any) -> OptionalRecord:
        """Raises ValueError when a field is missing or of the wrong type."""
        wheel = data.get("wheel") if isinstance(data, dict) else None
        if wheel is not None and not isinstance(wheel, str):
            raise ValueError(f"'wheel' must be a str or null in {data!r}")
        return cls(_field(data, "name", str), _field(data, "version", str),
                   _field(data, "line", str), _names(data, "top_level"),
                   _names(data, "requires"), wheel)


def _names(data: Any, key: str) -> tuple[str, ...]:
    values = _field(data, key, list)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} must be a list of strings in {data!r}")
    return tuple(values)
