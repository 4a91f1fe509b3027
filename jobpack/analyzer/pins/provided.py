"""What the image the job runs on already has: `--provided FILE` and `--provided-python`.

A listing is a `pip freeze` or any requirements-style file, read with
pip-requirements-parser: `name==version` gives the image's version, a bare name or a range
says only that it is there, and a name with `*` (`nvidia-*`) matches every distribution of
that shape. An interpreter is asked with a few lines of the standard library that print
importlib.metadata's names and versions; nothing of it is imported here.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement as PackagingRequirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from jobpack.diagnostics import PROVIDED, PROVIDED_CONFLICT, PROVIDED_MISMATCH
from jobpack.errors import EnvironmentInspectionError, RequirementsFileError
from jobpack.layout import build_kind, local_label
from jobpack.manifest import Diagnostic

_GLOB = re.compile(r"^[A-Za-z0-9._*-]*\*[A-Za-z0-9._*-]*$")
_PROBE = r"""
import json
from importlib import metadata
found = {}
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    if name and name not in found:
        found[name] = dist.version
print(json.dumps(sorted(found.items())))
"""


@dataclass(frozen=True)
class ImageDistribution:
    """One distribution the image has (or a `*` pattern of them), and where it was said."""

    name: str  # canonical, or a canonical pattern with `*`
    version: str  # the image's version; "" when the listing does not say
    source: str  # "provided.txt:3", or the interpreter's path

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.name) if "*" in self.name else name == self.name


@dataclass(frozen=True)
class ProvidedSet:
    """Everything `--provided` and `--provided-python` said, first mention first."""

    items: tuple[ImageDistribution, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)

    def get(self, name: str) -> ImageDistribution | None:
        """The image's entry for the distribution `name`, if it has one."""
        canonical = canonicalize_name(name)
        exact = next((i for i in self.items if i.name == canonical), None)
        return exact or next((i for i in self.items if i.matches(canonical)), None)

    @classmethod
    def merge(cls, sets: Iterable[ProvidedSet]) -> ProvidedSet:
        return cls(tuple(item for one in sets for item in one.items))


def read_provided(files: Iterable[str | Path] = (), pythons: Iterable[str] = ()
                  ) -> ProvidedSet:
    """The provided set of listing `files` and interpreters `pythons`, in that order."""
    return ProvidedSet.merge([*(read_listing(Path(f)) for f in files),
                              *(read_interpreter(p) for p in pythons)])


def read_listings(files: Iterable[str | Path], cwd: Path) -> ProvidedSet:
    """Listings named relative to `cwd`, each reported by the name it was given."""
    return ProvidedSet.merge(read_listing(cwd / f, str(f)) for f in files)


def read_listing(file: Path, shown: str | None = None) -> ProvidedSet:
    """A `pip freeze` or requirements-style listing; a bad line is an error naming it
    (by `shown`, the name the user gave, when given)."""
    from pip_requirements_parser import RequirementsFile

    name = shown or str(file)
    if not file.is_file():
        raise RequirementsFileError("--provided: no such file", path=name)
    try:
        parsed = RequirementsFile.from_file(str(file), include_nested=False)
    except Exception as exc:  # the parser raises bare exceptions for unreadable files
        raise RequirementsFileError(f"--provided: cannot read it: {exc}",
                                    path=name) from None
    items: list[ImageDistribution] = []
    for invalid in parsed.invalid_lines:
        text = invalid.line.strip()
        if not _GLOB.match(text):
            raise RequirementsFileError(f"--provided: not a distribution: {text!r}",
                                        path=name, line=invalid.line_number)
        items.append(ImageDistribution(text.lower().replace("_", "-"), "",
                                       f"{name}:{invalid.line_number}"))
    for req in parsed.requirements:
        if req.name is None:
            raise RequirementsFileError(
                f"--provided: {req.requirement_line.line.strip()!r} has no name",
                path=name, line=req.requirement_line.line_number)
        items.append(ImageDistribution(canonicalize_name(req.name), _exact(str(req.specifier)),
                                       f"{name}:{req.requirement_line.line_number}"))
    return ProvidedSet(tuple(sorted(items, key=lambda i: int(i.source.rsplit(":", 1)[1]))))


def _exact(specifier: str) -> str:
    """The version a `==X` or `===X` pins, else "" (a range says only that it is there)."""
    match = re.fullmatch(r"===?\s*([^,*\s]+)", specifier.strip())
    return match.group(1) if match else ""


def read_interpreter(python: str) -> ProvidedSet:
    """The distributions installed for `python` (its importlib.metadata view, run in a
    neutral folder without PYTHONPATH, as the image would start it)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    try:
        with tempfile.TemporaryDirectory() as neutral:
            done = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True,
                                  cwd=neutral, env=env, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvironmentInspectionError(f"--provided-python: cannot run {python}: {exc}"
                                         ) from None
    try:
        if done.returncode != 0:
            raise ValueError((done.stderr.strip().splitlines() or ["no output"])[-1])
        pairs = json.loads(done.stdout)
        items = tuple(ImageDistribution(canonicalize_name(str(name)), str(version), python)
                      for name, version in pairs)
    except (ValueError, TypeError) as exc:
        raise EnvironmentInspectionError(
            f"--provided-python: {python} did not list its distributions: {exc}") from None
    return ProvidedSet(items)


def split_provided(parents: Mapping[str, Iterable[str]], direct: Iterable[str],
                   provided: ProvidedSet) -> tuple[set[str], set[str]]:
    """(recorded, left) among the pinned distributions named in `parents` (name -> the
    distributions that brought it in): `recorded` are those the image provides that the
    job or a shipped pin needs (the manifest's provided tier); `left` are the pins that
    only provided ones need, which the image is trusted to have too (not pinned)."""
    children: dict[str, set[str]] = {}
    for name, brought_by in parents.items():
        for parent in brought_by:
            children.setdefault(parent, set()).add(name)
    image = {name for name in parents if provided.get(name) is not None}
    recorded = {name for name in direct if name in image}
    shipped: set[str] = set()
    queue = sorted(name for name in direct if name not in image)
    while queue:
        name = queue.pop()
        if name in shipped:
            continue
        shipped.add(name)
        for child in sorted(children.get(name, ())):
            if child in image:
                recorded.add(child)
            else:
                queue.append(child)
    return recorded, set(parents) - shipped - recorded


def provided_note(recorded: Iterable[str], left: Iterable[str]) -> Diagnostic | None:
    """One info line: what is left to the image."""
    names, others = sorted(recorded), sorted(left)
    if not names and not others:
        return None
    also = f"; also left to it, since only those need them: {', '.join(others)}" \
        if others else ""
    return PROVIDED.note(f"provided by the image, not shipped: {', '.join(names) or 'none'}"
                         f"{also}")


def version_mismatch(name: str, analysed: str, image: ImageDistribution) -> Diagnostic | None:
    """A warning when the image's version differs from the analysed one in a way that
    matters: another major release (minor below 1.0), or another kind of build
    (`+cu121` against `+cpu` or none)."""
    if not analysed or not image.version or analysed == image.version:
        return None
    try:
        mine, theirs = Version(analysed), Version(image.version)
    except InvalidVersion:
        return None
    width = 2 if mine.major == 0 else 1
    why = []
    if mine.release[:width] != theirs.release[:width]:
        why.append("another major version")
    if build_kind(analysed) != build_kind(image.version):
        why.append(f"another build ({_build_name(image.version)} against "
                   f"{_build_name(analysed)})")
    if not why:
        return None
    return PROVIDED_MISMATCH.note(f"{name}: the image has {image.version} ({image.source}) but "
                      f"{analysed} was analysed: {' and '.join(why)}; the job runs on the "
                      "image's")


def _build_name(version: str) -> str:
    label = local_label(version)
    return f"+{label}" if label else "no label"


def unmet(requirer: str, requirement: PackagingRequirement, image: ImageDistribution
          ) -> Diagnostic | None:
    """A warning when a shipped pin requires a range the image's version is outside of."""
    if not image.version or not requirement.specifier:
        return None
    try:
        ok = requirement.specifier.contains(image.version, prereleases=True)
    except InvalidVersion:
        return None
    if ok:
        return None
    return PROVIDED_CONFLICT.note(f"{requirer} requires {requirement} but the image has "
                      f"{image.name} {image.version} ({image.source})")
