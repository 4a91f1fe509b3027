"""The registry of diagnostics: every code jobpack reports, its severity and one line of doc.

A diagnostic is made only through its `Code` (`UNRESOLVED_IMPORT.at(path, line, message)`),
so its level comes from this table and a misspelt code fails at import time. The table
and `docs/diagnostics.md` agree (a test holds them together). What the user silences
(`--ignore CODE`, `ignore=` in the library, a `# jobpack: ignore[CODE]` comment on the
reported line) is dropped by `drop_ignored`; an error cannot be silenced: the archive
would not work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from jobpack.errors import IgnoreError
from jobpack.manifest import Diagnostic, Level


@dataclass(frozen=True)
class Code:
    """One diagnostic code: its name, its severity and what it means."""

    name: str
    level: Level
    doc: str

    def at(self, path: str | None, line: int | None, message: str) -> Diagnostic:
        """This code's diagnostic about `path:line` (either may be None)."""
        return Diagnostic(path, line, self.name, message, self.level)

    def note(self, message: str) -> Diagnostic:
        """This code's diagnostic about the job as a whole (no file)."""
        return Diagnostic(None, None, self.name, message, self.level)


REGISTRY: dict[str, Code] = {}


def _code(name: str, level: Level, doc: str) -> Code:
    if name in REGISTRY:
        raise ValueError(f"diagnostic code {name} registered twice")
    REGISTRY[name] = Code(name, level, doc)
    return REGISTRY[name]


# -- reading the job's code -------------------------------------------------------------
SYNTAX_ERROR = _code("syntax-error", "error", "a reached local module does not parse")
SYNTAX_NEWER_THAN_TARGET = _code(
    "syntax-newer-than-target", "error", "a reached file uses syntax the target Python lacks")
UNRESOLVED_IMPORT = _code(
    "unresolved-import", "warning",
    "an import is not local, not in the target's standard library and not installed")
OPTIONAL_IMPORT_MISSING = _code(
    "optional-import-missing", "info",
    "an import guarded by `except ImportError` is not available; it will not ship")
DYNAMIC_IMPORT = _code(
    "dynamic-import", "warning", "an import whose module name is not a literal string")
SYS_PATH_OUTSIDE_ROOT = _code(
    "sys-path-outside-root", "warning",
    "a file puts a folder outside the job's folder on sys.path; modules there do not ship")
RELATIVE_IMPORT_IN_SCRIPT = _code(
    "relative-import-in-script", "warning", "a relative import in a script run directly")
RELATIVE_IMPORT_NO_PACKAGE = _code(
    "relative-import-no-package", "warning", "a relative import in a top-level module")
RELATIVE_IMPORT_BEYOND_TOP = _code(
    "relative-import-beyond-top", "warning",
    "a relative import climbs above the top-level package")

# -- the analysed environment -----------------------------------------------------------
AMBIGUOUS_DISTRIBUTION = _code(
    "ambiguous-distribution", "warning",
    "two installed distributions provide the same module; both are pinned")
UNMANAGED_MODULE = _code(
    "unmanaged-module", "warning", "an installed module belongs to no distribution")
LOCAL_INSTALL = _code(
    "local-install", "warning",
    "a module comes from an editable or local-folder install; it ships as local code")
PLATFORM_MISMATCH = _code(
    "platform-mismatch", "warning",
    "a binary distribution was installed for another platform or Python than the target")
LOCAL_ARCHIVE_GONE = _code(
    "local-archive-gone", "warning",
    "a distribution was installed from a file that is gone; it is pinned from the index")
REQUIREMENT_NOT_INSTALLED = _code(
    "requirement-not-installed", "info",
    "a required distribution is not installed here; pip resolves it on the target")
BUILD_TOOL_NOT_PINNED = _code(
    "build-tool-not-pinned", "info",
    "a requirement on pip, setuptools or wheel that no reached code imports; not pinned")
TARGET_MISMATCH = _code(
    "target-mismatch", "warning",
    "the analysed interpreter's version differs from the target's")
REQUIREMENT_VERSION_CONFLICT = _code(
    "requirement-version-conflict", "warning",
    "a pinned distribution requires another at a version other than the installed one")
EXCLUDED = _code(
    "excluded", "warning", "--exclude NAME: NAME and what only it brought in will not ship")
EXCLUDE_UNKNOWN = _code(
    "exclude-unknown", "warning", "--exclude NAME names a distribution the job does not need")
ON_DEMAND = _code(
    "on-demand", "info", "--on-demand NAME: NAME, and what only it made required, is optional")
NOT_APPLIED = _code(
    "not-applied", "warning", "--exclude or --on-demand names pins a requirements file or a "
    "PEP 723 block declares instead")
ON_DEMAND_UNKNOWN = _code(
    "on-demand-unknown", "warning",
    "--on-demand NAME names a distribution the job does not need")

# -- the config -------------------------------------------------------------------------
CLOUD_ONLY_KEY = _code(
    "cloud-only-key", "info", "config keys only the cloud service can honour")
IMAGE_ENTRY_POINT = _code(
    "image-entry-point", "warning",
    "cmd runs a script the docker image provides; it is neither analysed nor shipped")
LEFT_OUT = _code(
    "left-out", "warning",
    "files under local-paths or inputs folders, or read by the job, that never ship")
CREDENTIALS_REDACTED = _code(
    "credentials-redacted", "warning",
    "an index URL or a direct URL held credentials; a ${JOBPACK_...} reference ships in "
    "their place")
VARIABLE_TYPO = _code(
    "variable-typo", "warning", "cmd has $NAME or an unclosed ${NAME where ${NAME} is defined")
RUNTIME_VARIABLE = _code(
    "runtime-variable", "info", "cmd uses a variable only the VM defines; the runner fills it")

# -- files the job reads ----------------------------------------------------------------
DATA_FILE = _code(
    "data-file", "info", "a file the job reads exists in the job's folder and ships beside it")
READ_MISSING = _code(
    "read-missing", "warning", "a file the job reads by a path known statically does not exist")
OUTPUT_FOLDER = _code(
    "output-folder", "info",
    "a declared output that does not exist here is taken as a folder the runner makes")
DATA_FILE_TOO_BIG = _code(
    "data-file-too-big", "warning",
    "a file the job reads is over 100 MB (a folder: 1,000 files); it does not ship")
READ_OUTSIDE_ROOT = _code(
    "read-outside-root", "warning", "a relative path the job reads leads outside its folder")
ROOT_MARKER = _code(
    "root-marker", "warning", "a rootutils root marker is not found, or is a folder")

# -- the archive ------------------------------------------------------------------------
BIG_FILE = _code("big-file", "warning", "an archive member over 100 MB")
BIG_ARCHIVE = _code("big-archive", "warning", "an archive over 1 GB")

# -- declared requirements (PEP 723, a manual requirements file) ------------------------
PEP723_MISMATCH = _code(
    "pep723-mismatch", "warning",
    "a dependency of the script's block is not satisfied by the installed version")
PEP723_NOT_INSTALLED = _code(
    "pep723-not-installed", "info", "a dependency of the script's block is not installed")
PEP723_UNDECLARED = _code(
    "pep723-undeclared", "warning",
    "the script imports a distribution its PEP 723 block does not declare")
PEP723_REQUIRES_PYTHON = _code(
    "pep723-requires-python", "error",
    "the script block's requires-python excludes the target Python")
REQUIREMENTS_FILE_UNDECLARED = _code(
    "requirements-file-undeclared", "warning",
    "the job imports an installed distribution the requirements file does not bring in")

# -- notebooks (docs/notebooks.md) ----------------------------------------------------------
NOTEBOOK_PIP_MISMATCH = _code(
    "notebook-pip-mismatch", "warning",
    "a notebook's %pip install names a version other than the installed one")
NOTEBOOK_PIP_NOT_INSTALLED = _code(
    "notebook-pip-not-installed", "info",
    "a notebook's %pip install names a distribution that is not installed")
NOTEBOOK_MAGIC = _code(
    "notebook-magic", "info",
    "a notebook %pip line the analysis cannot read (-r file, a path)")
NOTEBOOK_TOOL_NOT_INSTALLED = _code(
    "notebook-tool-not-installed", "warning",
    "cmd runs jupyter or papermill, whose distribution is not installed")


# -- the image and the machine the job runs on (--provided, cloud-instance-type) --------
PROVIDED = _code("left-to-image", "info",
                 "what the image provides and what only it needs: neither shipped nor pinned")
PROVIDED_MISMATCH = _code(
    "provided-mismatch", "warning",
    "the image's version differs from the analysed one in major release or kind of build")
PROVIDED_CONFLICT = _code(
    "provided-conflict", "warning",
    "a shipped pin requires a range of a provided distribution the image's version misses")
IMAGE_NOT_PROVIDED = _code(
    "image-not-provided", "info",
    "env.docker without --provided: what the image has ships and installs again")
LOCAL_VERSION_INDEX = _code(
    "local-version-index", "warning",
    "a +cu121 / +cpu pin and no index that serves it (PyPI never does)")
CPU_BUILD_ON_GPU = _code(
    "cpu-build-on-gpu", "warning",
    "a CPU-only torch, jaxlib or tensorflow build headed for a GPU configuration")
CUDA_BUILD_ON_CPU = _code(
    "cuda-build-on-cpu", "warning", "a CUDA build headed for a CPU configuration")


def code(name: str) -> Code:
    """The registered code `name` (a `KeyError` for an unknown one: a bug in jobpack)."""
    return REGISTRY[name]


def check_ignorable(names: Iterable[str]) -> frozenset[str]:
    """The codes a user asked to silence, refused with an `IgnoreError` when one is
    unknown or an error's."""
    wanted = frozenset(names)
    for name in sorted(wanted):
        known = REGISTRY.get(name)
        if known is None:
            raise IgnoreError(f"unknown diagnostic code {name!r} (see docs/diagnostics.md)")
        if known.level == "error":
            raise IgnoreError(f"{name} is an error and cannot be ignored: the archive "
                              "would not work")
    return wanted


# `# jobpack: ignore[code]` or `# jobpack: ignore[code-a, code-b]`, as ruff's noqa.
SUPPRESSION = re.compile(r"#\s*jobpack:\s*ignore\[([a-z0-9,\s-]*)\]")


def suppressed_codes(comment: str) -> frozenset[str]:
    """The codes a comment's `jobpack: ignore[...]` names (none if it has no such part)."""
    found: set[str] = set()
    for match in SUPPRESSION.finditer(comment):
        found.update(part.strip() for part in match.group(1).split(",") if part.strip())
    return frozenset(found)


def drop_ignored(diagnostics: Iterable[Diagnostic], ignore: frozenset[str] = frozenset(),
                 suppressed: Callable[[str, int], frozenset[str]] | None = None
                 ) -> tuple[Diagnostic, ...]:
    """`diagnostics` without those whose code is in `ignore` or in `suppressed(path, line)`
    (the codes a comment silences on that line). Errors always stay."""
    kept = []
    for diagnostic in diagnostics:
        if diagnostic.level != "error":
            if diagnostic.code in ignore:
                continue
            if suppressed is not None and diagnostic.path is not None \
                    and diagnostic.line is not None \
                    and diagnostic.code in suppressed(diagnostic.path, diagnostic.line):
                continue
        kept.append(diagnostic)
    return tuple(kept)


def by_line(lines: Mapping[int, frozenset[str]]) -> Callable[[int], frozenset[str]]:
    """A file's suppressions as a lookup by line."""
    return lambda line: lines.get(line, frozenset())
