"""The archive's layout, defined once: member names, the manifest's schema, the records
the packager writes into `jobpack.json` (`files`, `wheels`, `layers`, `install`), the
typed `RunSpec` the runner reads them as, and the few helpers both sides need.

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
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

SCHEMA = "jobpack/manifest/1"
MANIFEST_NAME = "jobpack.json"  # the manifest plus the packager's records; not in `files`
MAIN_NAME = "__main__.py"  # a few lines that import the runner package from the archive
RUNNER_PREFIX = "jobpack/"  # the runner package and this module: jobpack/runner/*.py
SOURCE_PREFIX = "src/"  # the job's files and inputs, at their project-relative paths
WHEEL_PREFIX = "wheels/"  # with --wheels, in a dependency layer: one wheel per pin
# in a dependency layer: bytecode/CACHE_TAG/WHEEL.zip, the .pyc of the modules a job imports
BYTECODE_PREFIX = "bytecode/"
REQUIREMENTS_NAME = "requirements.txt"
CONSTRAINTS_NAME = "constraints.txt"

# Bump when the runner lays out environments differently: it is part of their cache key.
# 4: environments keyed by dependency layers, not the job's files
RUNNER_VERSION = "4"
# A dependency layer found outside the archive (a Ray package, `--layers DIR`) is a file
# of this name: the layer's bytes, named by their sha256.
LAYER_FILE = "jobpack-layer-{sha256}.zip"
# Zip members are dated no earlier than this (1980-01-01T00:00:00Z, the first date a zip
# can hold); dependency layers always carry it, so their bytes depend on content alone.
ZIP_EPOCH = 315532800
ZIP_EPOCH_DATE = (1980, 1, 1, 0, 0, 0)

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
    buffer = bytearray(CHUNK)  # one buffer, filled in place: no copy per chunk
    view = memoryview(buffer)
    readinto = getattr(stream, "readinto", None)
    while True:
        if readinto is not None:
            count = readinto(buffer) or 0
            chunk = view[:count]
        else:
            chunk = memoryview(stream.read(CHUNK))
            count = len(chunk)
        if not count:
            return digest.hexdigest(), size
        size += count
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
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
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
            raise CommandError(f"cmd uses ${{{name}}}, which no input or output defines")
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


def _optional(data: Any, key: str, kind: type, default: Any) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, got {data!r}")
    return _field(data, key, kind) if key in data and data[key] is not None else default


def _strings(data: Any, key: str) -> tuple[str, ...]:
    values = _optional(data, key, list, [])
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(values)


def _records(data: Any, key: str, parse: Any) -> tuple[Any, ...]:
    return tuple(parse(entry) for entry in _optional(data, key, list, []))


@dataclass(frozen=True)
class LayerRecord:
    """A dependency layer: a stored zip (ZIP64 when it must be) of wheels and their
    bytecode, named by its sha256; its members are `files` (names unique across layers)."""

    sha256: str
    size: int
    files: tuple[FileRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "sha256": self.sha256,
                "size": self.size}

    @classmethod
    def from_dict(cls, data: Any) -> LayerRecord:
        return cls(_field(data, "sha256", str), _field(data, "size", int),
                   _records(data, "files", FileRecord.from_dict))

    @property
    def file_name(self) -> str:
        return LAYER_FILE.format(sha256=self.sha256)


@dataclass(frozen=True)
class PinRecord:
    """A pinned requirement as the runner hands it to pip when no wheel of it is bundled."""

    name: str  # canonical
    line: str  # a requirements-file line

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name}

    @classmethod
    def from_dict(cls, data: Any) -> PinRecord:
        return cls(_field(data, "name", str), _field(data, "line", str))


@dataclass(frozen=True)
class DataRecord:
    """An input or output of the job, at its path under `src/`, maybe bound to `${VAR}`."""

    path: str
    var: str | None = None
    folder: bool = False  # an output folder, created empty before the job starts

    @classmethod
    def from_dict(cls, data: Any) -> DataRecord:
        return cls(_field(data, "path", str), _optional(data, "var", str, None),
                   _optional(data, "folder", bool, False))


@dataclass(frozen=True)
class RunSpec:
    """What the runner needs of `jobpack.json`, read once and typed: the job's command and
    its environment, the archive's members and layers, and how to install the pins.

    The manifest's keys are spelled here and in `manifest.py` alone."""

    python: str  # the target's X.Y.Z (X.Y in older archives): see `same_python`
    cmd: str
    plain: bool = False  # python mode "plain": the VM's own Python, nothing installed
    inputs: tuple[DataRecord, ...] = ()
    outputs: tuple[DataRecord, ...] = ()
    runtime_vars: tuple[str, ...] = ()  # ${NAME}s read from the environment at run time
    sys_path: tuple[str, ...] = ()  # folders under src/ the job's PYTHONPATH starts with
    env_vars: tuple[tuple[str, str], ...] = ()  # set for the job
    files: tuple[FileRecord, ...] = ()  # the members of the archive's own zip
    layers: tuple[LayerRecord, ...] = ()  # in the order they lie before the zip
    wheels: tuple[WheelRecord, ...] = ()  # members of the layers
    # the optional tier: installed on the job's first import of one (runner/optional.py)
    optional: tuple[OptionalRecord, ...] = ()
    pins: tuple[PinRecord, ...] = ()
    pip_options: tuple[str, ...] = ()  # requirements-file option lines (--index-url ...)
    no_deps: bool = False
    # requirements of tier "provided" (the image has them): name, and the image's version
    # when the build knew it, else the analysed one ('' when neither)
    provided: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> RunSpec:
        """Raises ValueError naming the key that is missing or of the wrong type."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise ValueError(f"unsupported schema (this runner reads {SCHEMA})")
        python = _field(_field(data, "target", dict), "python", str)
        install = _optional(data, "install", dict, {})
        env = _optional(_optional(data, "env", dict, {}), "vars", dict, {})
        return cls(
            python=python, cmd=_optional(data, "cmd", str, ""),
            plain=_optional(_optional(data, "python", dict, {}), "mode", str, "") == "plain",
            inputs=_records(data, "inputs", DataRecord.from_dict),
            outputs=_records(data, "outputs", DataRecord.from_dict),
            runtime_vars=_strings(data, "runtime_vars"),
            sys_path=_strings(data, "sys_path"),
            env_vars=tuple(sorted((str(k), str(v)) for k, v in env.items() if v is not None)),
            files=_records(data, "files", FileRecord.from_dict),
            layers=_records(data, "layers", LayerRecord.from_dict),
            wheels=_records(data, "wheels", WheelRecord.from_dict),
            optional=_records(data, "optional", OptionalRecord.from_dict),
            pins=_records(install, "pins", PinRecord.from_dict),
            pip_options=_strings(install, "options"),
            no_deps=bool(_optional(_optional(data, "pip", dict, {}), "no_deps", bool, False)),
            provided=_provided(data))

    @classmethod
    def of_archive(cls, data: Any) -> RunSpec:
        """The spec of an archive's `jobpack.json`, which must list its `files`."""
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            raise ValueError("no list of files")
        return cls.from_dict(data)

    def layer_files(self) -> dict[str, tuple[LayerRecord, FileRecord]]:
        """Every member of every layer, by name, with the layer holding it."""
        return {f.path: (layer, f) for layer in self.layers for f in layer.files}


def _provided(data: Any) -> tuple[tuple[str, str], ...]:
    found = []
    for entry in _optional(data, "requirements", list, []):
        if isinstance(entry, dict) and entry.get("tier") == "provided":
            version = entry.get("image_version") or entry.get("version") or ""
            found.append((str(entry.get("name")), str(version)))
    return tuple(sorted(found))


def install_section(pins: list[PinRecord], options: list[str]) -> dict[str, Any]:
    """The `install` object of `jobpack.json`, as the packager writes it."""
    return {"options": list(options), "pins": [p.to_dict() for p in pins]}


def inline_layers(layers: tuple[LayerRecord, ...], prefix: int
                  ) -> dict[str, int] | None:
    """Where the layers carried inside an archive start, by sha256: they lie right before
    its zip, in order, and the archive carries the LAST of them (all, or none when they
    travel apart, as Ray packages). None when `prefix` bytes hold no such suffix."""
    offsets: dict[str, int] = {}
    end = prefix
    for layer in reversed(layers):
        if end == 0:
            break
        end -= layer.size
        if end < 0:
            return None
        offsets[layer.sha256] = end
    return offsets if end == 0 else None


def zip_start(path: str | os.PathLike[str]) -> int:
    """Where an archive's own zip starts: the bytes before it are the layers it carries.
    (zipfile adds that offset to every member's header offset; jobpack writes the first
    member at the zip's offset 0.)"""
    with zipfile.ZipFile(path) as archive:
        return min((info.header_offset for info in archive.infolist()), default=0)
