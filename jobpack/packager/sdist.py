"""Wheels built from source distributions, for pins published only as source.

A pure-Python sdist (antlr4-python3-runtime 4.9.3, which hydra-core needs; pyperclip)
builds into a `py3-none-any` wheel that installs anywhere, so `build --wheels` builds it
once (`pip wheel --no-deps`, with SOURCE_DATE_EPOCH fixed so the bytes depend on the
source alone) and keeps it in the wheel cache beside the downloaded ones. An sdist that
compiles code would build for this machine, not for the target: it is refused from its
file list, before it is built and before any large download.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from jobpack.manifest import PipOptions, Requirement
from jobpack.packager.pip import pip_error, run_pip, source_pip
from jobpack.publish import atomic_write

# Sources that only a compiler turns into something importable, and build files of
# compiled extensions (Rust, CMake, Meson).
_COMPILED_SUFFIXES = {".c", ".cc", ".cpp", ".cxx", ".c++", ".pyx", ".f", ".f90", ".f95",
                      ".rs", ".go", ".cu", ".m", ".mm"}
_COMPILED_NAMES = {"Cargo.toml", "CMakeLists.txt", "meson.build"}
# 1980-01-01, the earliest date a zip member can carry: built wheels do not depend on
# when they were built
_EPOCH = "315532800"


@dataclass(frozen=True)
class SourceVerdict:
    """What became of one source-only pin: a wheel in the cache, or why there is none."""

    requirement: Requirement
    wheel: Path | None = None
    problem: str | None = None  # "compiles C (src/x.c)", "no sdist on the index", ...
    no_source: bool = False  # neither wheel nor sdist: nothing to build


def compiled_member(sdist: Path) -> str | None:
    """A member of the sdist that needs a compiler, or None for a pure-Python one."""
    for name in _member_names(sdist):
        path = PurePosixPath(name)
        if path.suffix.lower() in _COMPILED_SUFFIXES or path.name in _COMPILED_NAMES:
            return "/".join(path.parts[1:]) or name  # without the NAME-VERSION/ folder
    return None


def _member_names(sdist: Path) -> list[str]:
    if sdist.name.endswith(".zip"):
        with zipfile.ZipFile(sdist) as archive:
            return archive.namelist()
    with tarfile.open(sdist) as archive:
        return archive.getnames()


def build_pure_wheel(requirement: Requirement, options: PipOptions, cache: Path,
                     tags: frozenset[Tag], find_links: tuple[str, ...] = (),
                     no_index: bool = False) -> SourceVerdict:
    """Download the pin's sdist from the job's indexes, refuse it when it compiles code,
    else build its wheel and publish it into `cache` atomically."""
    pip = source_pip("download", options, find_links=find_links, no_index=no_index)
    wheel_pip = source_pip("wheel", options, find_links=find_links, no_index=no_index)
    with tempfile.TemporaryDirectory(prefix="jobpack-sdist-") as temp:
        work = Path(temp)
        fetched = run_pip([*pip, "--no-deps", "--no-binary=:all:", "-d", str(work / "sdist"),
                           f"{requirement.name}=={requirement.version}"])
        sdists = sorted((work / "sdist").glob("*")) if fetched.returncode == 0 else []
        if not sdists:
            return SourceVerdict(requirement, problem="no sdist on the index either "
                                 f"({pip_error(fetched)})", no_source=True)
        compiled = compiled_member(sdists[0])
        if compiled is not None:
            return SourceVerdict(requirement, problem=f"its sdist compiles code ({compiled})")
        built = _pip_wheel(wheel_pip, sdists[0], work / "wheel")
        if isinstance(built, str):
            return SourceVerdict(requirement, problem=f"its sdist does not build: {built}")
        if not _pure(built.name, tags):
            return SourceVerdict(requirement, problem=f"its sdist builds {built.name}, "
                                 "which is not pure Python")
        return SourceVerdict(requirement, wheel=_publish(built, cache))


def _pip_wheel(pip: list[str], sdist: Path, out: Path) -> Path | str:
    """The built wheel, or pip's words on failure."""
    epoch = {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", _EPOCH)}
    process = run_pip([*pip, "--no-deps", "-w", str(out), str(sdist)], epoch)
    wheels = sorted(out.glob("*.whl")) if process.returncode == 0 else []
    return wheels[0] if wheels else pip_error(process)


def _pure(filename: str, tags: frozenset[Tag]) -> bool:
    try:
        _name, _version, _build, wheel_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return all(t.platform == "any" and t.abi == "none" for t in wheel_tags) and bool(
        set(wheel_tags) & tags)


def _publish(wheel: Path, cache: Path) -> Path:
    """Copy the wheel into the cache under its own name through `publish.atomic_write`:
    a reader sees the whole file or none."""
    final = cache / wheel.name
    with wheel.open("rb") as source, atomic_write(final) as target:
        shutil.copyfileobj(source, target)
    return final
