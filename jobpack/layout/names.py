"""The archive's names and numbers: member names and prefixes, the manifest's schema, the
runner's cache version, the zip epoch and the exit codes, the same on both sides."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

SCHEMA = "jobpack/manifest/1"
MANIFEST_NAME = "jobpack.json"  # the manifest plus the packager's records; not in `files`
MAIN_NAME = "__main__.py"  # a few lines that import the runner package from the archive
RUNNER_PREFIX = "jobpack/"  # jobpack/runner/*.py, jobpack/layout/*.py and their peers
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
# A layer bigger than one package of its destination (Ray's dashboard takes 100 MiB an
# upload) travels as parts: consecutive slices of its bytes in files of this name, INDEX
# from 1 to COUNT, which the runner joins and checks against the layer's sha256.
LAYER_PART = "jobpack-layer-{sha256}.part{index:04d}of{count:04d}"
# Zip members are dated no earlier than this (1980-01-01T00:00:00Z, the first date a zip
# can hold); dependency layers always carry it, so their bytes depend on content alone.
ZIP_EPOCH = 315532800
ZIP_EPOCH_DATE = (1980, 1, 1, 0, 0, 0)

# Exit codes, the same for `jobpack ...` and `python3 job.zip`. A job's own exit code is
# passed through unchanged, so these only describe refusals before or after the job.
EXIT_FAILURE = 1  # an error the user can fix, reported as one line (JobpackError)
EXIT_USAGE = 2  # a malformed command line
EXIT_INTERRUPTED = 130  # SIGINT / SIGTERM before the job started


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


def member_problem(name: str) -> str | None:
    """Why `name` must not be an archive member (it could write outside the folder it is
    unpacked into), or None. The packager refuses such a name before writing it; the
    runner, before unpacking it."""
    if not name or "\x00" in name or "\\" in name:
        return "invalid characters in the name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    parts = PurePosixPath(name).parts
    if any(part in {"..", "."} for part in parts) or name.endswith("/") or "//" in name:
        return "path leaves the archive folder or is not a plain file"
    return None
